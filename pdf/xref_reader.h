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
  std::set<int64_t> xref_streams;        // object numbers of the xref streams read
  std::set<int64_t> object_streams;      // object streams that hold compressed entries
};

// The xref of the revision that ends at byte `revision_end` of `path` (its last "startxref"
// lies before that offset; `revision_end` = file size gives the whole file). Sections are read
// newest first; an object's newest entry wins. kPdfUnreadable when a section cannot be parsed
// or the /Prev chain loops.
absl::StatusOr<RevisionXref> ReadRevisionXref(const std::string& path, int64_t revision_end);

}  // namespace taicho::pdf
