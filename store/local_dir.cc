#include "store/local_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::store {
namespace {

// Creates the store's directory 0700 when missing (its parents as usual) and checks it.
absl::Status PrivateDirectory(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();  // "store/" names "store"
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Error(ErrorCode::kIo, absl::StrCat("mkdir ", parent.string(), ": ", ec.message()));
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir", dir);
  struct stat info {};
  if (stat(dir.c_str(), &info) != 0) return Errno("stat", dir);
  if (!S_ISDIR(info.st_mode)) return Error(ErrorCode::kIo, dir + ": not a directory");
  return CheckPrivate(dir, info, "chmod 700");
}

}  // namespace

absl::Status Errno(const char* what, const std::string& path) {
  return Error(ErrorCode::kIo, absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status CheckPrivate(const std::string& path, const struct stat& info, const char* fix) {
  if (info.st_uid != geteuid()) {
    return Error(ErrorCode::kStoreInsecure,
                 absl::StrCat(path, ": owned by uid ", info.st_uid,
                              ", not by the service user (uid ", geteuid(), ")"));
  }
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return Error(ErrorCode::kStoreInsecure,
                 absl::StrCat(path, ": mode ", mode, "; allow only its owner (", fix,
                              ") / chỉ chủ sở hữu được truy cập"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LocalDir> LocalDir::Open(const std::string& dir) {
  if (absl::Status st = PrivateDirectory(dir); !st.ok()) return st;
  const std::string lock_path = dir + "/LOCK";
  const int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return Errno("open", lock_path);
  LocalDir held(dir, lock_fd);  // closes the lock on every early return below
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Error(ErrorCode::kIo, "another process uses the store " + dir);
  }
  const std::string scratch = dir + "/scratch";
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  if (ec) return Error(ErrorCode::kIo, absl::StrCat("rm -r ", scratch, ": ", ec.message()));
  if (mkdir(scratch.c_str(), 0700) != 0) return Errno("mkdir", scratch);
  return held;
}

LocalDir::~LocalDir() {
  if (lock_fd_ >= 0) close(lock_fd_);
}

}  // namespace taicho::store
