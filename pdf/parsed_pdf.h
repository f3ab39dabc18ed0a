// A PDF file parsed once for several readers: the verifier reads a file's signatures, its DSS and
// what changed after each signature from one parse, not one each (parsing is most of what
// verifying a small file costs).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace PoDoFo {
class PdfMemDocument;
}

namespace taicho::pdf {

struct RevisionXref;
class SignatureDictionaries;

class ParsedPdf {
 public:
  // Parsed lazily (object bodies on first use). kPdfUnreadable for anything PoDoFo cannot parse,
  // kPdfEncrypted for encrypted files, kIo when unreadable, kPdfTooManyRevisions for more than
  // `max_revisions` revisions (incremental updates). With `whole_signatures`, signature
  // dictionaries are only read as PoDoFo reads them, /Contents included (the reference the
  // reading without /Contents is tested against).
  static absl::StatusOr<ParsedPdf> Open(const std::string& path, int max_revisions = 1000,
                                        bool whole_signatures = false);

  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }
  // Where the last revision ends (after its %%EOF line); bytes from here to size() belong to no
  // revision and were not parsed (pdf/trailing_bytes.h says what they hold).
  int64_t revision_end() const { return revision_end_; }
  // For pdf/'s readers. Not thread-safe: one reader at a time.
  PoDoFo::PdfMemDocument& document() const { return *document_; }
  const std::shared_ptr<PoDoFo::PdfMemDocument>& shared_document() const { return document_; }
  // The last revision's cross-reference, as pdf/'s own reader read it (pdf/xref_reader.h).
  const RevisionXref& xref() const { return *xref_; }
  int max_revisions() const { return max_revisions_; }
  // The final revision's signature dictionaries parsed without /Contents
  // (pdf/signature_dictionary.h), shared by pdf/'s readers of this parse. Not thread-safe.
  SignatureDictionaries& signature_dictionaries() const { return *signatures_; }
  const std::shared_ptr<SignatureDictionaries>& shared_signature_dictionaries() const {
    return signatures_;
  }

 private:
  ParsedPdf(std::string path, int64_t size, int64_t revision_end, int max_revisions,
            std::shared_ptr<const RevisionXref> xref,
            std::shared_ptr<PoDoFo::PdfMemDocument> document,
            std::shared_ptr<SignatureDictionaries> signatures)
      : path_(std::move(path)),
        size_(size),
        revision_end_(revision_end),
        max_revisions_(max_revisions),
        xref_(std::move(xref)),
        document_(std::move(document)),
        signatures_(std::move(signatures)) {}

  std::string path_;
  int64_t size_ = 0;
  int64_t revision_end_ = 0;
  int max_revisions_ = 0;
  std::shared_ptr<const RevisionXref> xref_;
  std::shared_ptr<PoDoFo::PdfMemDocument> document_;
  // After document_: its objects belong to the document and go first.
  std::shared_ptr<SignatureDictionaries> signatures_;
};

}  // namespace taicho::pdf
