// What lies after a PDF's last revision (after its final "%%EOF" line): bytes that no
// cross-reference section describes and that no signature of the document can be said to cover
// as a revision. A recovering reader may still take objects from them (an "N G obj" that
// redefines a page's content), so the verifier reports them: a warning for padding, a failure
// when they redefine objects of the document or hold an update's structure without its %%EOF.
//
// Reads the bytes in bounded chunks: memory stays flat and the cost is linear in their number.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "pdf/parsed_pdf.h"

namespace taicho::pdf {

struct TrailingBytes {
  int64_t start = 0;  // the last revision's end (ParsedPdf::revision_end)
  int64_t end = 0;    // the end of the file
  // Nothing but ASCII white space (or nothing at all): not worth a word.
  bool whitespace_only = true;
  // "N G obj" headers for objects the last revision defines, in file order (at most 16 kept).
  std::vector<int64_t> redefined;
  // "xref", "trailer" or "startxref": an update without its %%EOF.
  bool has_update_structure = false;
};

// `cancelled` (optional) is asked between chunks; kCancelled when it answers true.
absl::StatusOr<TrailingBytes> ReadTrailingBytes(const ParsedPdf& pdf,
                                                const std::function<bool()>& cancelled = {});

}  // namespace taicho::pdf
