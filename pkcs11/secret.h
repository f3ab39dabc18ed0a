// A PIN held in memory only as long as needed and wiped when destroyed.
#pragma once

#include <string>
#include <string_view>

namespace taicho::pkcs11 {

// Owns a secret (a PIN). Move-only; the bytes are cleansed on destruction and on Wipe().
// Never log or print its contents.
class SecretString {
 public:
  SecretString() = default;
  // Takes the secret out of `value` and cleanses `value`'s buffer (a short string's bytes would
  // otherwise stay behind in the moved-from object).
  explicit SecretString(std::string&& value);
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(SecretString&& other) noexcept;
  ~SecretString() { Wipe(); }

  std::string_view view() const { return value_; }
  bool empty() const { return value_.empty(); }
  void Wipe();

 private:
  std::string value_;
};

}  // namespace taicho::pkcs11
