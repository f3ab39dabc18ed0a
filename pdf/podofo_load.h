// Public: a PDF file loaded whole as a PoDoFo 0.9.8 document, for a module that rewrites a file
// as a new one (print/ makes its print rendition so). Everything else about PoDoFo documents
// (revisions, limits, the consolidated cross-reference) stays private to pdf/ (podofo_document.h).
//
// Ownership: the document returned is the caller's, and may outlive nothing of ours (the file is
// read on load or kept open by the document itself).
// Threads: LoadPdf may run on any thread; a PoDoFo document is used by one thread at a time.
// Exceptions: LoadPdf throws none; PoDoFo calls the caller then makes on the document may throw,
// so the caller runs them inside pdf::AtPodofoBoundary (podofo_boundary.h).
#pragma once

#include <podofo/podofo.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "pdf/podofo_boundary.h"
#include "pdf/podofo_init.h"

namespace taicho::pdf {

// The file at `path`, its last revision, loaded lazily (object bodies are parsed on first use).
// kIo when it cannot be read, kPdfUnreadable for anything PoDoFo cannot parse (or no pages),
// kPdfEncrypted for encrypted files, kPdfTooManyRevisions beyond the default limit.
absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadPdf(const std::string& path);

}  // namespace taicho::pdf
