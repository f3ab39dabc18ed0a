// Private to pdf/: loading a PDF with PoDoFo 0.9.8 and turning its exceptions into statuses.
#pragma once

#include <podofo/podofo.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace taicho::pdf {

// Silences PoDoFo's debug output and initialises its global encodings (once, thread-safe).
void InitPodofo();

// Loads lazily (object bodies on first use; the file stays open while the document lives).
// kPdfUnreadable for anything PoDoFo cannot parse, kPdfEncrypted for encrypted files.
absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadPdf(const std::string& path);

// The status for a PoDoFo exception caught at a module boundary.
absl::Status FromPodofoError(const PoDoFo::PdfError& e, const char* context);

// Serialises a direct object (dictionary/array/…) as PDF syntax.
std::string Serialize(const PoDoFo::PdfObject& object);

}  // namespace taicho::pdf
