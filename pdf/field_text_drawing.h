// Private to pdf/: form fields' values (the issue number and date a seal fills in) drawn as
// Form XObjects in the field's font, with one HarfBuzz subset per font file and size, written
// directly as the objects an incremental update appends.
//
// Threads: DrawFieldTexts may run on many threads at once; what it keeps between calls lives in
// the DrawingCache the caller passes (drawing_cache.h), never in statics.
// Exceptions: none leave DrawFieldTexts (its PoDoFo calls run inside AtPodofoBoundary).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pdf/appearance_objects.h"
#include "pdf/drawing_cache.h"

namespace taicho::pdf {

// A form field's value as its appearance: one line in the font file and size the field's /DA
// names, aligned as its /Q says (0 left, 1 centre, 2 right), vertically centred on the rect.
struct FieldText {
  std::string value;  // UTF-8
  std::string font_path;
  double font_size = 12;
  int alignment = 0;
};

struct FieldTextDrawing {
  FieldText text;
  Size size;  // the field's rect
};
struct DrawnFieldTexts {
  std::vector<int64_t> xobject_numbers;  // each field's Form XObject, in the fields' order
  std::vector<NumberedObject> objects;
};

// Draws each field's value into a Form XObject of its size, all numbered from `first_number`;
// fields in the same font file and size share one embedded subset (one copy in the update), a
// HarfBuzz subset (subset_font.h) of their characters and the ten digits. `drawings` (optional,
// not owned) keeps the subsets for the next signatures: values that differ only in digits reuse
// one. Errors: kIo (font unreadable), kPdfUnsupported (empty rect, absurd size, a character the
// font lacks), kInternal.
absl::StatusOr<DrawnFieldTexts> DrawFieldTexts(const std::vector<FieldTextDrawing>& fields,
                                               int64_t first_number,
                                               DrawingCache* drawings = nullptr);

}  // namespace taicho::pdf
