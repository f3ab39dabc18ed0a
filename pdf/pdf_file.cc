#include "pdf/pdf_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::pdf {
namespace {

constexpr size_t kChunk = 1 << 20;

absl::Status IoError(const char* what, const std::string& path) {
  return Error(ErrorCode::kIo, absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Closes a file descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Only has to differ from the names other writers pick at the same time (open() refuses an
// existing one): a per-thread generator seeded once, not an OS random read per file.
std::string RandomSuffix() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  uint64_t bits = generator();
  for (int i = 0; i < 12; ++i, bits >>= 4) s.push_back(kHex[bits & 15]);
  return s;
}

}  // namespace

absl::StatusOr<AtomicFile> AtomicFile::Create(const std::string& final_path,
                                              Durability durability) {
  std::filesystem::path p(final_path);
  std::string temp = (p.parent_path() / ("." + p.filename().string() + ".taicho-" +
                                         std::to_string(::getpid()) + "-" + RandomSuffix()))
                         .string();
  int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create", temp);
  return AtomicFile(final_path, temp, fd, durability);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : final_path_(std::move(other.final_path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(other.fd_),
      durability_(other.durability_),
      committed_(other.committed_) {
  other.fd_ = -1;
  other.committed_ = true;  // the moved-from object owns nothing
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

absl::Status AtomicFile::Commit() {
  const bool sync = durability_ == Durability::kSynced;
  if (sync && ::fsync(fd_) != 0) return IoError("cannot sync", temp_path_);
  if (::close(fd_) != 0) {
    fd_ = -1;
    return IoError("cannot close", temp_path_);
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return IoError("cannot rename to", final_path_);
  }
  committed_ = true;
  if (!sync) return absl::OkStatus();
  // Make the rename itself durable.
  std::string dir = std::filesystem::path(final_path_).parent_path().string();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

absl::Status StreamByteRange(const std::string& path, const ByteRange& range,
                             const std::function<void(std::span<const uint8_t>)>& sink,
                             const std::function<bool()>& cancelled) {
  FdCloser fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot open", path);
  return StreamByteRange(fd.get(), path, range, sink, cancelled);
}

absl::Status StreamByteRange(int fd, const std::string& path, const ByteRange& range,
                             const std::function<void(std::span<const uint8_t>)>& sink,
                             const std::function<bool()>& cancelled) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError("cannot stat", path);
  const int64_t size = st.st_size;
  for (int r = 0; r < 2; ++r) {
    const int64_t start = range[2 * r];
    const int64_t length = range[2 * r + 1];
    if (start < 0 || length < 0 || start > size || length > size - start) {
      return Error(ErrorCode::kPdfUnreadable, "/ByteRange lies outside the file");
    }
  }
  // At most a chunk, no larger than the longest part, and not zero-filled: clearing a megabyte
  // for a small file cost more than hashing it.
  const size_t capacity = static_cast<size_t>(
      std::max<int64_t>(1, std::min<int64_t>(kChunk, std::max(range[1], range[3]))));
  std::unique_ptr<uint8_t[]> buffer = std::make_unique_for_overwrite<uint8_t[]>(capacity);
  for (int r = 0; r < 2; ++r) {
    int64_t offset = range[2 * r];
    int64_t left = range[2 * r + 1];
    while (left > 0) {
      if (cancelled && cancelled()) return Error(ErrorCode::kCancelled, "reading signed bytes");
      size_t want = static_cast<size_t>(std::min<int64_t>(left, capacity));
      ssize_t got = ::pread(fd, buffer.get(), want, offset);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return IoError("cannot read", path);
      sink(std::span<const uint8_t>(buffer.get(), static_cast<size_t>(got)));
      offset += got;
      left -= got;
    }
  }
  return absl::OkStatus();
}

absl::Status WriteAt(int fd, int64_t offset, std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error(ErrorCode::kIo, absl::StrCat("write failed: ", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CopyFileTo(const std::string& from_path, int fd) {
  FdCloser in(::open(from_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return IoError("cannot open", from_path);
  return CopyFileTo(in.get(), from_path, fd);
}

absl::StatusOr<int64_t> CopyFileTo(int from_fd, const std::string& name, int fd) {
  // In the kernel where it can: the file being extended is most of every signed file, and
  // copy_file_range moves it page cache to page cache, not through a buffer of ours.
  loff_t read_at = 0;
  loff_t copied = 0;
  for (;;) {
    const ssize_t got = ::copy_file_range(from_fd, &read_at, fd, &copied, size_t{1} << 30, 0);
    if (got > 0) continue;
    if (got == 0) return static_cast<int64_t>(copied);
    if (errno == EINTR) continue;
    // Not between these two files (other file systems on older kernels, special files): copy
    // through a buffer below, from the start, as nothing was copied yet.
    if (copied == 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                        errno == EOPNOTSUPP || errno == EBADF)) {
      break;
    }
    return IoError("cannot copy", name);
  }
  // Not zero-filled: clearing a megabyte per copy cost more than copying a small PDF.
  std::unique_ptr<uint8_t[]> buffer = std::make_unique_for_overwrite<uint8_t[]>(kChunk);
  int64_t total = 0;
  for (;;) {
    ssize_t got = ::pread(from_fd, buffer.get(), kChunk, total);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return IoError("cannot read", name);
    if (got == 0) break;
    absl::Status st = WriteAt(fd, total, std::span<const uint8_t>(buffer.get(), got));
    if (!st.ok()) return st;
    total += got;
  }
  return total;
}

absl::StatusOr<std::string> ReadAt(const std::string& path, int64_t offset, size_t length) {
  FdCloser fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot open", path);
  return ReadAt(fd.get(), path, offset, length);
}

absl::StatusOr<std::string> ReadAt(int fd, const std::string& path, int64_t offset, size_t length) {
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t got = ::pread(fd, out.data() + done, length - done, offset + done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return IoError("cannot read", path);
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  out.resize(done);
  return out;
}

std::optional<int64_t> LastStartXref(std::string_view tail) {
  size_t pos = tail.rfind("startxref");
  if (pos == std::string_view::npos) return std::nullopt;
  pos += 9;
  while (pos < tail.size() && std::isspace(static_cast<unsigned char>(tail[pos]))) ++pos;
  int64_t value = 0;
  size_t digits = 0;
  while (pos < tail.size() && std::isdigit(static_cast<unsigned char>(tail[pos])) && digits < 15) {
    value = value * 10 + (tail[pos++] - '0');
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  return value;
}

}  // namespace taicho::pdf
