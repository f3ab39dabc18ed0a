#include "store/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors/error.h"

namespace taicho::store {
namespace {

absl::Status ProbeFailed(const std::string& what, const std::string& path, int error) {
  return Error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(error));
}

}  // namespace

absl::Status Store::ProbeWritable() {
  // One file-system block, written and synced: a full or read-only file system refuses it here,
  // as it would refuse the next revision.
  const std::string path = NewScratchPath(".probe");
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ProbeFailed("cannot create", path, errno);
  const std::string block(4096, '\0');
  absl::Status status;
  if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) {
    status = ProbeFailed("cannot write", path, errno == 0 ? ENOSPC : errno);
  } else if (fsync(fd) != 0) {
    status = ProbeFailed("cannot sync", path, errno);
  }
  close(fd);
  if (unlink(path.c_str()) != 0 && status.ok()) status = ProbeFailed("cannot remove", path, errno);
  return status;
}

}  // namespace taicho::store
