#include "pdf/parsed_pdf.h"

#include "errors/error.h"
#include "pdf/pdf_source.h"
#include "pdf/podofo_document.h"
#include "pdf/xref_reader.h"

namespace taicho::pdf {

absl::StatusOr<ParsedPdf> ParsedPdf::Open(const std::string& path, int max_revisions) {
  absl::StatusOr<PdfSource> source = PdfSource::Open(path);
  if (!source.ok()) return source.status();
  absl::StatusOr<std::string> head = source->ReadAt(0, 1024);
  if (!head.ok()) return head.status();
  if (head->find("%PDF-") == std::string::npos) {
    return Error(ErrorCode::kPdfUnreadable, "no %PDF- header");
  }
  absl::StatusOr<int64_t> end = LastRevisionEnd(*source, source->size());
  if (!end.ok()) return end.status();
  // Our own reading of the cross-reference first: the revision count is checked before PoDoFo
  // parses anything, and the change analysis needs it anyway.
  absl::StatusOr<RevisionXref> xref = ReadRevisionXref(path, *end);
  if (!xref.ok()) return xref.status();
  LoadLimits limits;
  limits.max_revisions = max_revisions;
  limits.xref = &*xref;
  if (xref->sections > max_revisions) return TooManyRevisions(*xref, limits);
  absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> doc = LoadPdf(*source, *end, limits);
  if (!doc.ok()) return doc.status();
  return ParsedPdf(path, source->size(), *end, max_revisions,
                   std::make_shared<const RevisionXref>(*std::move(xref)),
                   std::shared_ptr<PoDoFo::PdfMemDocument>(*std::move(doc)));
}

}  // namespace taicho::pdf
