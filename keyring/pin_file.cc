#include "keyring/pin_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::keyring {
namespace {

constexpr size_t kMaxPinFileBytes = 256;  // far above any token's PIN length

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<pkcs11::SecretString> ReadPinFile(const std::string& path) {
  // O_NOFOLLOW: the checks below must be about the file itself, not a link someone could repoint.
  Fd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    if (errno == ELOOP) {
      return Error(ErrorCode::kPinFileInsecure, absl::StrCat(path, ": a symbolic link"));
    }
    return Error(ErrorCode::kIo, absl::StrCat(path, ": ", std::strerror(errno)));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    return Error(ErrorCode::kIo, absl::StrCat(path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return Error(ErrorCode::kPinFileInsecure, absl::StrCat(path, ": not a regular file"));
  }
  if (st.st_uid != geteuid()) {
    return Error(ErrorCode::kPinFileInsecure,
                 absl::StrCat(path, ": owned by uid ", st.st_uid, ", not by the service user (uid ",
                              geteuid(), ")"));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error(ErrorCode::kPinFileInsecure,
                 absl::StrCat(path, ": mode ", mode,
                              "; allow only its owner (chmod 600) / chỉ chủ sở hữu được đọc"));
  }
  char buffer[kMaxPinFileBytes + 1];
  size_t used = 0;
  while (used < sizeof buffer) {
    const ssize_t n = read(fd.get(), buffer + used, sizeof buffer - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      OPENSSL_cleanse(buffer, sizeof buffer);
      return Error(ErrorCode::kIo, absl::StrCat(path, ": ", std::strerror(errno)));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > kMaxPinFileBytes) {
    OPENSSL_cleanse(buffer, sizeof buffer);
    return Error(ErrorCode::kPinInvalid, absl::StrCat(path, ": longer than a PIN"));
  }
  size_t length = used;
  while (length > 0 && (buffer[length - 1] == '\n' || buffer[length - 1] == '\r')) --length;
  pkcs11::SecretString pin(std::string(buffer, length));
  OPENSSL_cleanse(buffer, sizeof buffer);
  if (pin.empty()) return Error(ErrorCode::kPinInvalid, absl::StrCat(path, ": empty"));
  return pin;
}

}  // namespace taicho::keyring
