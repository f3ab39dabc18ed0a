// Private to pdf/: the cross-reference entries of one revision of a PDF, read section by section
// along the /Prev chain (classic tables, cross-reference streams and hybrid files with /XRefStm).
//
// Why our own reading and not PoDoFo's: PoDoFo merges every section into one table while
// parsing and keeps it private, so it cannot say which revision defined an object, nor that a
// later section points an object at different bytes (the "hide" shadow attack only edits the
// xref). The object syntax itself (trailer dictionaries, xref stream dictionaries and their
// Flate/predictor decoding) is still parsed by PoDoFo.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"

namespace taicho::pdf {

struct XrefEntry {
  char type = 'f';     // 'f' free, 'n' at a byte offset, 'c' compressed in an object stream
  int64_t field2 = 0;  // 'n': byte offset; 'c': object stream number
  int64_t field3 = 0;  // 'n': generation; 'c': index in the stream
  bool operator==(const XrefEntry&) const = default;
};

struct RevisionXref {
  std::map<int64_t, XrefEntry> entries;  // newest definition of each object number
  std::string root_ref;                  // trailer /Root, "N G"
  std::string info_ref;                  // trailer /Info, "N G" or ""
  std::string id;                        // trailer /ID as PDF syntax, or ""
  int64_t size = 0;                      // the newest trailer's /Size (0 when absent)
  // Every classic table entry is the standard 20 bytes, as PoDoFo's parser reads them (it reads
  // entries by position, so it misreads any other spacing).
  bool standard_tables = true;
  bool encrypted = false;            // a trailer of the chain names /Encrypt
  int sections = 0;                  // sections along the /Prev chain: the revisions
  std::set<int64_t> xref_streams;    // object numbers of the xref streams read
  std::set<int64_t> object_streams;  // object streams that hold compressed entries
};

// The xref of the revision that ends at byte `revision_end` of `path` (its last "startxref"
// lies before that offset; `revision_end` = file size gives the whole file). Sections are read
// newest first; an object's newest entry wins. kPdfUnreadable when a section cannot be parsed
// or the /Prev chain loops.
// kPdfTooManyRevisions past kMaxRevisionsRead sections.
absl::StatusOr<RevisionXref> ReadRevisionXref(const std::string& path, int64_t revision_end);

class PdfSource;

// The same through a file already open (pdf/pdf_source.h): its bytes, when it read them whole,
// are read in place, and no file is opened again.
absl::StatusOr<RevisionXref> ReadRevisionXref(const PdfSource& source, int64_t revision_end);

// The most sections ReadRevisionXref follows, whatever a caller's own limit.
inline constexpr int kMaxRevisionsRead = 4096;

// The bytes that, appended right after a revision's bytes (which end at `at`), make one
// cross-reference stream describing every object of `xref` the file's last section. PoDoFo's
// parser recurses twice per /Prev link and stops at depth 256, so it cannot open a file of more
// than 127 revisions; through this tail (in memory: the file is never changed) it reads one
// section. Empty when an entry does not fit the stream's fields (offsets past 4 GiB).
std::string ConsolidatedXrefTail(const RevisionXref& xref, int64_t at);

}  // namespace taicho::pdf
