#include "pdf/parsed_pdf.h"

#include "pdf/pdf_source.h"
#include "pdf/podofo_document.h"

namespace taicho::pdf {

absl::StatusOr<ParsedPdf> ParsedPdf::Open(const std::string& path) {
  absl::StatusOr<PdfSource> source = PdfSource::Open(path);
  if (!source.ok()) return source.status();
  absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> doc = LoadPdf(*source);
  if (!doc.ok()) return doc.status();
  return ParsedPdf(path, source->size(), std::shared_ptr<PoDoFo::PdfMemDocument>(*std::move(doc)));
}

}  // namespace taicho::pdf
