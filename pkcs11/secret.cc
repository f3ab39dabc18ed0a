#include "pkcs11/secret.h"

#include <openssl/crypto.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

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

absl::StatusOr<SecretString> ReadSecretLine(int fd, size_t max_bytes) {
  std::string line;
  // Reserved once and never outgrown: a growing string would leave earlier bytes in the buffers
  // it freed.
  line.reserve(max_bytes + 1);
  char c = 0;
  auto wipe = [&] {
    OPENSSL_cleanse(line.data(), line.capacity());
    line.clear();
    OPENSSL_cleanse(&c, 1);
  };
  for (;;) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      wipe();
      return Error(ErrorCode::kIo, absl::StrCat("reading the PIN: ", std::strerror(err)));
    }
    if (n == 0 || c == '\n') break;
    if (line.size() == max_bytes) {
      wipe();
      return Error(ErrorCode::kPinInvalid, absl::StrCat("longer than ", max_bytes, " bytes"));
    }
    line.push_back(c);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  SecretString secret(std::move(line));  // cleanses `line`
  wipe();
  return secret;
}

void SecretString::Wipe() {
  // Cleanse the whole buffer, including bytes past size() left over from earlier contents.
  if (value_.capacity() > 0) OPENSSL_cleanse(value_.data(), value_.capacity());
  value_.clear();
}

}  // namespace taicho::pkcs11
