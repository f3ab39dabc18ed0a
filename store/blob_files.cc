#include "store/blob_files.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::store {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status Errno(const char* what, const std::string& path) {
  return Error(ErrorCode::kIo, absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status MakeDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir", dir);
  return absl::OkStatus();
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

absl::Status SyncDirectory(const std::string& dir) {
  Fd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Errno("open", dir);
  if (fsync(fd.get()) != 0) return Errno("fsync", dir);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Sha256OfFile(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errno("open", path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Error(ErrorCode::kCrypto, "SHA-256 init");
  }
  std::array<char, 64 * 1024> buffer;
  for (;;) {
    const ssize_t n = read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("read", path);
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(n));
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> md;
  unsigned int md_len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md.data(), &md_len) != 1) {
    return Error(ErrorCode::kCrypto, "SHA-256 final");
  }
  return absl::BytesToHexString(std::string(reinterpret_cast<const char*>(md.data()), md_len));
}

absl::StatusOr<BlobFiles> BlobFiles::Open(const std::string& root) {
  absl::Status st = MakeDir(root);
  if (!st.ok()) return st;
  return BlobFiles(root);
}

absl::StatusOr<std::string> BlobFiles::PathOf(const std::string& sha256) const {
  if (!IsHex64(sha256)) return Error(ErrorCode::kInternal, "not a SHA-256: " + sha256);
  return absl::StrCat(root_, "/", sha256.substr(0, 2), "/", sha256, ".pdf");
}

absl::StatusOr<std::string> BlobFiles::Adopt(const std::string& path,
                                             const std::string& sha256) const {
  absl::StatusOr<std::string> sha = sha256;
  {
    // The bytes must be on disk before the name that promises them.
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return Errno("open", path);
    if (fsync(fd.get()) != 0) return Errno("fsync", path);
    if (sha->empty()) sha = Sha256OfFile(path);
    if (!sha.ok()) return sha.status();
    // Then out of the page cache: a revision is written once and read seldom (the next
    // signature, a download, a print), and kept cached every new one takes fresh pages. On this
    // VM (pages the host backs only when first touched) that cost more CPU than the rest of
    // storing it: a 166 KB file written and fsynced took 380-660 us of CPU kept, 155 us dropped;
    // reading one back from the disk costs ~60 us more than from the cache. Advice only: a
    // failure changes nothing.
    posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
  }
  absl::StatusOr<std::string> final_path = PathOf(*sha);
  if (!final_path.ok()) return final_path.status();
  const std::string dir = Parent(*final_path);
  struct stat info;
  if (stat(dir.c_str(), &info) != 0) {
    absl::Status st = MakeDir(dir);
    if (!st.ok()) return st;
    st = SyncDirectory(root_);
    if (!st.ok()) return st;
  }
  // Same hash, same bytes: an existing blob is kept untouched (and the new copy removed).
  // RENAME_NOREPLACE checks and renames in one step; where the file system refuses the flag,
  // a check then a plain rename.
  if (renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, final_path->c_str(), RENAME_NOREPLACE) != 0) {
    const int error = errno;
    if (error != EEXIST && error != EINVAL) return Errno("rename", *final_path);
    if (error == EEXIST || access(final_path->c_str(), F_OK) == 0) {
      unlink(path.c_str());
      return *sha;
    }
    if (rename(path.c_str(), final_path->c_str()) != 0) return Errno("rename", *final_path);
  }
  chmod(final_path->c_str(), 0400);  // a reminder that blobs never change, not a protection
  absl::Status st = SyncDirectory(dir);
  if (!st.ok()) return st;
  return *sha;
}

}  // namespace taicho::store
