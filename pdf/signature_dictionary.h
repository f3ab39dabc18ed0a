// Private to pdf/: signature dictionaries parsed without their /Contents. PoDoFo reads a hex
// string a character at a time, and a signature's /Contents (~16 KB of hex) is most of what
// parsing a small signed file costs, while pdf/'s readers take the signature's bytes from the file
// (signature_reader.cc) and the change analysis reads none of it. Each dictionary is parsed once
// per revision with its ByteRange gap standing for /Contents; what it says otherwise is exactly
// what PoDoFo reads from the file (ParseWithoutContents says why).
//
// Ownership and threads: a SignatureDictionaries belongs to one parsed revision (a ParsedPdf, or
// the change analysis' signed revision) and is used by one reader at a time, as the PoDoFo
// document it reads from; the objects it returns live as long as it does and resolve their
// references in that document.
#pragma once

#include <podofo/podofo.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pdf/pdf_file.h"

namespace taicho::pdf {

struct RevisionXref;

// The object `ref` of the revision that ends at `end` (`objects`, `xref`: the document PoDoFo
// parsed from the file's first `end` bytes, and pdf/'s own reading of its cross-reference),
// parsed as PoDoFo parses it there but for one hex string. The bytes PoDoFo would read (from the
// object's header on) are parsed with the first of `gaps` after the object's start (ByteRange[1]
// to [2], checked to be "<" an even number of hex digits ">", not UTF-16's FE FF) replaced by a
// random hex string. Only when the result holds that random string as its /Contents is it
// returned: the gap was then this dictionary's /Contents token, whose value is the gap's bytes,
// and every other token is the revision's own, since a gap read as part of another token (a
// string, a comment, a stream) cannot put a value the file could not know there. The bytes after
// the gap are given up to 4 KiB: a parse that stops short of that point read what the
// revision's own would. Null otherwise (the caller reads the revision's own object); `used`
// receives the ByteRange whose gap stood for /Contents. PoDoFo's exceptions are caught.
std::unique_ptr<PoDoFo::PdfParserObject> ParseWithoutContents(
    const std::string& path, const RevisionXref& xref, PoDoFo::PdfVecObjects& objects,
    const PoDoFo::PdfReference& ref, const std::vector<ByteRange>& gaps, int64_t end,
    ByteRange* used = nullptr);

// The signature dictionaries of one revision read through ParseWithoutContents, each once, by
// reference.
class SignatureDictionaries {
 public:
  using Parse = std::function<std::unique_ptr<PoDoFo::PdfParserObject>(const PoDoFo::PdfReference&,
                                                                       ByteRange* used)>;
  // Without `parse`, every lookup gives null / the revision's own object.
  explicit SignatureDictionaries(Parse parse) : parse_(std::move(parse)) {}

  // The dictionary `ref` without /Contents and the ByteRange whose gap is its /Contents; null
  // when the revision's own object must be read.
  const PoDoFo::PdfObject* Get(const PoDoFo::PdfReference& ref, ByteRange* used = nullptr);

  // The dictionary `ref` when Get parsed it already, else null (parses nothing): for walks
  // through every object, most of which are no signature dictionary.
  const PoDoFo::PdfObject* Peek(const PoDoFo::PdfReference& ref) const;

  // The value of `field`'s /V, resolved as a reference chain in `objects` resolves it, the
  // dictionary without /Contents when there is one.
  const PoDoFo::PdfObject* ValueOf(PoDoFo::PdfVecObjects& objects, const PoDoFo::PdfObject* field);

 private:
  struct Entry {
    std::unique_ptr<PoDoFo::PdfParserObject> object;
    ByteRange used{};
  };
  Parse parse_;
  std::map<PoDoFo::PdfReference, Entry> parsed_;
};

}  // namespace taicho::pdf
