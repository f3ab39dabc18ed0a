// Private to pdf/: loading a PDF with PoDoFo 0.9.8 (its exceptions become statuses through
// pdf/podofo_boundary.h).
#pragma once

#include <podofo/podofo.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "pdf/podofo_init.h"
#include "pdf/podofo_load.h"

namespace taicho::pdf {

class PdfSource;
struct RevisionXref;

// PoDoFo's parser recurses twice per /Prev link and stops at depth 256: it reads at most 127
// revisions. Files with more are read through a consolidated cross-reference (xref_reader.h).
inline constexpr int kPodofoMaxRevisions = 127;
// Enough for a document archived for decades (each B-LTA renewal adds two or three revisions).
inline constexpr int kDefaultMaxRevisions = 1000;

struct LoadLimits {
  int max_revisions = kDefaultMaxRevisions;  // more: kPdfTooManyRevisions
  const RevisionXref* xref = nullptr;        // the revision's cross-reference when already read
};

// LoadPdf(path) is in podofo_load.h. It loads lazily: object bodies are parsed on first use,
// from the file read whole (up to 1 MiB) or from the file kept open while the document lives.
// The same from a file already open (pdf/pdf_source.h); the document may outlive `source`.
// PoDoFo reads bytes [0, length), `length` < 0 meaning up to the end of the last revision
// (pdf::LastRevisionEnd): bytes after the last %%EOF belong to no revision.
absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadPdf(const PdfSource& source,
                                                                int64_t length = -1,
                                                                const LoadLimits& limits = {});

// Bytes [0, length) of `source` as a document (lazily), whatever the number of revisions up to
// `limits.max_revisions`; kPdfEncrypted, kPdfTooManyRevisions, kPdfUnreadable. `what` names the
// step in errors.
absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadDocument(const PdfSource& source,
                                                                     int64_t length,
                                                                     const LoadLimits& limits,
                                                                     const char* what);

// The error for a file of more revisions than allowed.
absl::Status TooManyRevisions(const RevisionXref& xref, const LoadLimits& limits);

// "N G R": a reference as PDF syntax.
std::string RefString(const PoDoFo::PdfReference& ref);

// The trailer's /Info reference ("N G R") when the file holds that dictionary, else "". PoDoFo
// invents an /Info on load when the file has none (a new object, perhaps reusing a free number):
// naming it in a new trailer would point at an object the file does not hold.
std::string FileInfoRef(PoDoFo::PdfMemDocument& doc);

// Serialises a direct object (dictionary/array/…) as PDF syntax.
std::string Serialize(const PoDoFo::PdfObject& object);

}  // namespace taicho::pdf
