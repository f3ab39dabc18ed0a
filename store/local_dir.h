// Private to store/: the directory on this machine a store works in — the SQLite store's whole
// store, the PostgreSQL store's scratch files and blob cache. Private to the service user
// (directory 0700, files 0600), held by one process at a time (flock on LOCK: it dies with the
// process, kill -9 included, so a restart never finds it stale), its scratch/ emptied at open
// (scratch files belong to requests that never finished: no row names them).
#pragma once

#include <sys/stat.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace taicho::store {

// The held directory; closes the lock when destroyed. Move-only.
class LocalDir {
 public:
  // Creates `dir` (0700, parents as usual) when missing, checks it is private (kStoreInsecure
  // otherwise, naming the fix), takes LOCK (kIo when another process holds it) and empties
  // scratch/.
  static absl::StatusOr<LocalDir> Open(const std::string& dir);

  LocalDir(LocalDir&& other) noexcept : dir_(std::move(other.dir_)), lock_fd_(other.lock_fd_) {
    other.lock_fd_ = -1;
  }
  LocalDir& operator=(LocalDir&&) = delete;
  ~LocalDir();

  const std::string& path() const { return dir_; }

 private:
  LocalDir(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}
  std::string dir_;
  int lock_fd_;
};

// kStoreInsecure unless `info` (of `path`) is owned by this process's user with no group or other
// permission bits; `fix` names the command that would make it so ("chmod 600").
absl::Status CheckPrivate(const std::string& path, const struct stat& info, const char* fix);

// kIo naming the call, the path and errno's text.
absl::Status Errno(const char* what, const std::string& path);

}  // namespace taicho::store
