#include "pdf/parsed_pdf.h"

#include <optional>
#include <vector>

#include "errors/error.h"
#include "pdf/pdf_file.h"
#include "pdf/pdf_source.h"
#include "pdf/podofo_document.h"
#include "pdf/signature_dictionary.h"
#include "pdf/signature_reader.h"
#include "pdf/xref_reader.h"

namespace taicho::pdf {

absl::StatusOr<ParsedPdf> ParsedPdf::Open(const std::string& path, int max_revisions,
                                          bool whole_signatures) {
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
  auto shared_xref = std::make_shared<const RevisionXref>(*std::move(xref));
  std::shared_ptr<PoDoFo::PdfMemDocument> document(*std::move(doc));
  // The gaps that may hold a signature dictionary's /Contents: every ByteRange written in the
  // file, scanned once, when a dictionary is first asked for.
  auto gaps = std::make_shared<std::optional<std::vector<ByteRange>>>();
  auto signatures = std::make_shared<SignatureDictionaries>(
      whole_signatures ? SignatureDictionaries::Parse()
                       : [path, shared_xref, document, gaps, end = *end](
                             const PoDoFo::PdfReference& ref, ByteRange* used) {
                           if (!gaps->has_value()) {
                             absl::StatusOr<std::vector<ByteRange>> scanned = ScanByteRanges(path);
                             *gaps = scanned.ok() ? *std::move(scanned) : std::vector<ByteRange>{};
                           }
                           return ParseWithoutContents(path, *shared_xref, document->GetObjects(),
                                                       ref, **gaps, end, used);
                         });
  return ParsedPdf(path, source->size(), *end, max_revisions, std::move(shared_xref),
                   std::move(document), std::move(signatures));
}

}  // namespace taicho::pdf
