// File-level helpers for signed PDFs: atomic output, byte ranges, the cross-reference tail.
// Nothing here parses PDF objects; it works on bytes and offsets.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace taicho::pdf {

// /ByteRange [offset1 length1 offset2 length2]: the signed bytes are the two ranges.
using ByteRange = std::array<int64_t, 4>;

// Whether AtomicFile::Commit makes the file and its name durable (fsync) or only atomic.
enum class Durability {
  kSynced,
  // The caller syncs it itself: e.g. a scratch file the store adopts (store/blob_files.h fsyncs
  // it before giving it its name), where syncing here too cost two more disk flushes per file.
  kAtomicOnly,
};

// A file written beside its final path and renamed into place only by Commit(): a crash or an
// error leaves no half-written file at `final_path`. The temp file is removed on destruction
// unless committed. Not thread-safe.
class AtomicFile {
 public:
  static absl::StatusOr<AtomicFile> Create(const std::string& final_path,
                                           Durability durability = Durability::kSynced);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();

  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  int fd() const { return fd_; }

  // fsync, close, rename over final_path, fsync the directory (no fsyncs for kAtomicOnly).
  absl::Status Commit();

 private:
  AtomicFile(std::string final_path, std::string temp_path, int fd, Durability durability)
      : final_path_(std::move(final_path)),
        temp_path_(std::move(temp_path)),
        fd_(fd),
        durability_(durability) {}
  std::string final_path_;
  std::string temp_path_;
  int fd_ = -1;
  Durability durability_ = Durability::kSynced;
  bool committed_ = false;
};

// Feeds the bytes of both ranges of `path` to `sink` in bounded chunks (memory stays flat
// whatever the file size). Fails when a range lies outside the file. `cancelled` (optional) is
// asked before each chunk: kCancelled when it answers true (a caller that gave up, a shutdown).
absl::Status StreamByteRange(const std::string& path, const ByteRange& range,
                             const std::function<void(std::span<const uint8_t>)>& sink,
                             const std::function<bool()>& cancelled = {});
// The same through an open descriptor (`path` names it in errors).
absl::Status StreamByteRange(int fd, const std::string& path, const ByteRange& range,
                             const std::function<void(std::span<const uint8_t>)>& sink,
                             const std::function<bool()>& cancelled = {});

// Writes all of `data` at `offset` of `fd`.
absl::Status WriteAt(int fd, int64_t offset, std::span<const uint8_t> data);

// Copies all of `from_path` to the start of `fd` (which must be empty) and returns its size.
absl::StatusOr<int64_t> CopyFileTo(const std::string& from_path, int fd);
// The same from an open descriptor (read from its start; `name` for errors).
absl::StatusOr<int64_t> CopyFileTo(int from_fd, const std::string& name, int fd);

// Reads `length` bytes at `offset` (for small reads: tails, /Contents).
absl::StatusOr<std::string> ReadAt(const std::string& path, int64_t offset, size_t length);
// The same through an open descriptor (`path` names it in errors); fewer bytes at the end.
absl::StatusOr<std::string> ReadAt(int fd, const std::string& path, int64_t offset, size_t length);

// The number after the last "startxref" in `tail` (the end of a file or revision), or nullopt
// when there is none or no digits follow it.
std::optional<int64_t> LastStartXref(std::string_view tail);

// The value of the last "startxref" of a file and what it points at (pdf/pdf_source.h reads it).
struct XrefTail {
  int64_t startxref = 0;
  bool is_stream = false;  // a cross-reference stream ("N G obj"), else a classic "xref" table
};

}  // namespace taicho::pdf
