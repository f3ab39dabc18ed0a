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

class ParsedPdf {
 public:
  // Parsed lazily (object bodies on first use). kPdfUnreadable for anything PoDoFo cannot parse,
  // kPdfEncrypted for encrypted files, kIo when unreadable.
  static absl::StatusOr<ParsedPdf> Open(const std::string& path);

  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }
  // For pdf/'s readers. Not thread-safe: one reader at a time.
  PoDoFo::PdfMemDocument& document() const { return *document_; }
  const std::shared_ptr<PoDoFo::PdfMemDocument>& shared_document() const { return document_; }

 private:
  ParsedPdf(std::string path, int64_t size, std::shared_ptr<PoDoFo::PdfMemDocument> document)
      : path_(std::move(path)), size_(size), document_(std::move(document)) {}

  std::string path_;
  int64_t size_ = 0;
  std::shared_ptr<PoDoFo::PdfMemDocument> document_;
};

}  // namespace taicho::pdf
