// A PIN held in memory only as long as needed and wiped when destroyed, and read into such memory
// with no other copy made on the way.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

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
  // For an API that takes `const std::string&` and copies nothing (PKCS12_parse through
  // signer::LoadPkcs12Signer): a std::string made from view() would be a copy nobody wipes.
  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }
  void Wipe();

 private:
  std::string value_;
};

// Reads one line (up to '\n' or the end of input; a trailing '\r' dropped) from `fd` with read(2),
// a byte at a time, into memory that is wiped: no stdio buffer keeps a copy, and nothing after the
// line is consumed (it stays for whoever reads `fd` next). kPinInvalid for a line longer than
// `max_bytes` (what was read is wiped), kIo for a read error. Echo is the caller's business.
absl::StatusOr<SecretString> ReadSecretLine(int fd, size_t max_bytes = 1024);

}  // namespace taicho::pkcs11
