// Private to pdf/: the PDF an incremental update extends, opened once for everything read of it —
// its tail (startxref), its objects (through PoDoFo, lazily) and the copy that starts the new
// file.
//
// Why: each of those opened and read the file on its own (six opens, five reads and a copy per
// server-side seal), and the store keeps revisions out of the page cache, so each first read was
// a separate wait for the disk inside the seal gate. A file of at most 1 MiB (a decision is
// ~100 KB) is now read whole with one read; a larger one is read through one descriptor as
// needed, so memory stays flat whatever the file's size.
#pragma once

#include <podofo/podofo.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "pdf/pdf_file.h"

namespace taicho::pdf {

class PdfSource {
 public:
  // kIo when the file cannot be opened or read.
  static absl::StatusOr<PdfSource> Open(const std::string& path);
  PdfSource(PdfSource&& other) noexcept;
  PdfSource& operator=(PdfSource&&) = delete;
  ~PdfSource();

  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }

  // Up to `length` bytes at `offset` (fewer at the end of the file).
  absl::StatusOr<std::string> ReadAt(int64_t offset, size_t length) const;
  // The whole file when it was read whole (at most kWholeFileBytes), else null.
  const std::string* whole() const { return whole_.get(); }

  // A PoDoFo device over bytes [0, length) of the file (the whole file when `length` < 0). It
  // shares the bytes read (or opens the file again when it was too large to read whole), so it
  // may outlive this object, as lazily loaded documents need.
  // `suffix` follows those bytes (pdf::ConsolidatedXrefTail).
  absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> Device(int64_t length = -1,
                                                          const std::string& suffix = {}) const;

  // Writes the whole file at the start of the empty `out_fd`, then a line break when the file
  // does not end with one; returns the offset where the update starts.
  absl::StatusOr<int64_t> CopyForUpdate(int out_fd) const;

 private:
  PdfSource(std::string path, int fd, int64_t size, std::shared_ptr<const std::string> whole)
      : path_(std::move(path)), fd_(fd), size_(size), whole_(std::move(whole)) {}

  std::string path_;
  int fd_ = -1;  // open only when the file was too large to read whole
  int64_t size_ = 0;
  std::shared_ptr<const std::string> whole_;  // the file's bytes, when read whole
};

// The value of the file's last "startxref" and what it points at.
absl::StatusOr<XrefTail> ReadXrefTail(const PdfSource& source);

// Where the last revision of bytes [0, limit) ends: just past its last "%%EOF" marker and the
// end-of-line after it (ISO 32000-1 §7.5.5). What follows belongs to no revision. Read
// backwards in large blocks, so the cost is linear in the bytes after the marker — PoDoFo's own
// search steps back one byte per read, which through a file window cost seconds per MiB of
// padding. kPdfUnreadable when there is no marker at all.
absl::StatusOr<int64_t> LastRevisionEnd(const PdfSource& source, int64_t limit);

}  // namespace taicho::pdf
