// Private to pdf/: PoDoFo input through a buffered, bounded view of a file.
//
// PoDoFo's own file device calls ftello/fseeko around every one-byte look-ahead, which costs a
// system call each; reading through a 64 KiB window with pread avoids that. Bounding the view at
// `length` bytes gives the document as it was at a signed revision (no copy of the file in
// memory, no temporary file).
#pragma once

#include <podofo/podofo.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "pdf/podofo_document.h"

namespace taicho::pdf {

// Files (or revisions) up to this size are read whole, with one read, both here and by
// pdf/pdf_source.h; larger ones through a window, so that memory stays flat.
inline constexpr int64_t kWholeFileBytes = 1 << 20;

// A device reading bytes [0, length) of `path`, then `suffix` as if it followed them (a
// consolidated cross-reference, pdf/xref_reader.h). The device owns its file descriptor and
// buffer and lives as long as PoDoFo holds a reference to it (documents loaded lazily keep one).
absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> OpenBufferedDevice(const std::string& path,
                                                                    int64_t length,
                                                                    std::string suffix = {});

// A device reading the first `length` of `bytes` (a whole file in memory), which it shares, then
// `suffix`.
absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> OpenMemoryDevice(
    std::shared_ptr<const std::string> bytes, int64_t length, const std::string& suffix = {});

// The document as it was at byte `length` (a signed revision), loaded lazily; bytes after the
// last %%EOF before `length` belong to no revision and are not read.
// kPdfUnreadable / kPdfEncrypted / kIo; kPdfTooManyRevisions past `limits.max_revisions`.
// `limits.xref`, when given, is that revision's cross-reference, already read.
absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadRevision(const std::string& path,
                                                                     int64_t length,
                                                                     const LoadLimits& limits);

}  // namespace taicho::pdf
