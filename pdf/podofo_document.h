// Private to pdf/: loading a PDF with PoDoFo 0.9.8 and turning its exceptions into statuses.
#pragma once

#include <podofo/podofo.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "pdf/podofo_init.h"

namespace taicho::pdf {

class PdfSource;

// Loads lazily: object bodies are parsed on first use, from the file read whole (up to 1 MiB)
// or from the file kept open while the document lives.
// kPdfUnreadable for anything PoDoFo cannot parse, kPdfEncrypted for encrypted files.
absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadPdf(const std::string& path);
// The same from a file already open (pdf/pdf_source.h); the document may outlive `source`.
absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadPdf(const PdfSource& source);

// The status for a PoDoFo exception caught at a module boundary.
absl::Status FromPodofoError(const PoDoFo::PdfError& e, const char* context);

// "N G R": a reference as PDF syntax.
std::string RefString(const PoDoFo::PdfReference& ref);

// The trailer's /Info reference ("N G R") when the file holds that dictionary, else "". PoDoFo
// invents an /Info on load when the file has none (a new object, perhaps reusing a free number):
// naming it in a new trailer would point at an object the file does not hold.
std::string FileInfoRef(PoDoFo::PdfMemDocument& doc);

// Serialises a direct object (dictionary/array/…) as PDF syntax.
std::string Serialize(const PoDoFo::PdfObject& object);

}  // namespace taicho::pdf
