#include "pkcs11/secret.h"

#include <openssl/crypto.h>

#include <utility>

namespace taicho::pkcs11 {

SecretString::SecretString(std::string&& value) : value_(value) {
  if (value.capacity() > 0) OPENSSL_cleanse(value.data(), value.capacity());
  value.clear();
}

SecretString::SecretString(SecretString&& other) noexcept : value_(std::move(other.value_)) {
  // A moved-from std::string may keep its (short-string) buffer: cleanse it too.
  other.Wipe();
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    Wipe();
    value_ = std::move(other.value_);
    other.Wipe();
  }
  return *this;
}

void SecretString::Wipe() {
  // Cleanse the whole buffer, including bytes past size() left over from earlier contents.
  if (value_.capacity() > 0) OPENSSL_cleanse(value_.data(), value_.capacity());
  value_.clear();
}

}  // namespace taicho::pkcs11
