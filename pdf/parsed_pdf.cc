#include "pdf/parsed_pdf.h"

#include "pdf/pdf_file.h"
#include "pdf/podofo_document.h"

namespace taicho::pdf {

absl::StatusOr<ParsedPdf> ParsedPdf::Open(const std::string& path) {
  absl::StatusOr<int64_t> size = FileSize(path);
  if (!size.ok()) return size.status();
  absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> doc = LoadPdf(path);
  if (!doc.ok()) return doc.status();
  return ParsedPdf(path, *size, std::shared_ptr<PoDoFo::PdfMemDocument>(*std::move(doc)));
}

}  // namespace taicho::pdf
