// Private to pdf/: draws a signature appearance (the officer's image and caption, the agency's
// seal, an attachment's text block) as a Form XObject and hands it back as the objects an
// incremental update appends. The pieces live beside it: png_file.h (the image),
// field_text_drawing.h (form field values), appearance_objects.h (copying drawn objects out),
// drawn_cache.h (drawings kept). The drawing happens in a scratch PoDoFo document, never in the
// document being updated, so no object of an earlier revision can become dirty through it.
//
// Threads: the functions may run on many threads at once; what they keep between calls lives in
// the DrawingCache the caller passes (drawing_cache.h), never in statics.
// Exceptions: none leave these functions (their PoDoFo calls run inside AtPodofoBoundary).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pdf/appearance_objects.h"
#include "pdf/drawing_cache.h"
#include "pdf/field_text_drawing.h"
#include "pdf/png_file.h"
#include "pdf/signature_appearance.h"

namespace taicho::pdf {

// What a kind needs at least: the seal's real size (its diameter, and the PNG's aspect ratio), the
// attachment's text block; {0, 0} for the officer (its image is scaled to any rect).
absl::StatusOr<Size> MinimumAppearanceSize(const AppearanceSpec& spec, const std::string& time_iso);

struct AppearanceText {
  std::string signer_name;  // the certificate CN, as written in /Name
  std::string time_iso;     // ISO 8601 of /M
};

// Draws `spec` into a Form XObject of `size` and numbers it and everything it uses (image, soft
// mask, font, font program…) from `first_number` on. The embedded font subset gets a tag made
// from its object number, so it cannot collide with a subset of an earlier revision.
// `drawings` (optional, not owned) keeps what can be drawn once for the next signatures.
// Errors: kIo (image or font unreadable), kUsage (not a PNG, nothing to draw), kInternal.
absl::StatusOr<DrawnAppearance> DrawAppearance(const AppearanceSpec& spec, Size size,
                                               const AppearanceText& text, int64_t first_number,
                                               DrawingCache* drawings = nullptr);

}  // namespace taicho::pdf
