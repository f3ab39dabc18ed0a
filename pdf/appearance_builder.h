// Private to pdf/: draws a signature appearance as a Form XObject and hands it back as the objects
// an incremental update appends. The drawing happens in a scratch PoDoFo document, never in the
// document being updated, so no object of an earlier revision can become dirty through it.
//
// Threads: the functions may run on many threads at once; what they keep between calls lives in
// the DrawingCache the caller passes (drawing_cache.h), never in statics.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pdf/drawing_cache.h"
#include "pdf/signature_appearance.h"

namespace taicho::pdf {

// A PNG's bytes and pixel size (from its IHDR). kIo when the file cannot be read, kUsage when it
// is not a PNG.
struct PngFile {
  // Shared, not copied: a seal's PNG (tens of KB) is looked at four times per seal.
  std::shared_ptr<const std::string> bytes;
  uint32_t width = 0, height = 0;
};
absl::StatusOr<PngFile> ReadPng(const std::string& path);
// The spec's image: its image_png when set, else the file at image_path.
absl::StatusOr<PngFile> SpecPng(const AppearanceSpec& spec);

struct Size {
  double width = 0, height = 0;  // points
};

// What a kind needs at least: the seal's real size (its diameter, and the PNG's aspect ratio), the
// attachment's text block; {0, 0} for the officer (its image is scaled to any rect).
absl::StatusOr<Size> MinimumAppearanceSize(const AppearanceSpec& spec, const std::string& time_iso);

struct AppearanceText {
  std::string signer_name;  // the certificate CN, as written in /Name
  std::string time_iso;     // ISO 8601 of /M
};

// An object of the update with its final number and body ("<< ... >>" or a stream).
struct NumberedObject {
  int64_t number = 0;
  std::string body;
};

struct DrawnAppearance {
  int64_t xobject_number = 0;  // the Form XObject for /AP /N
  std::vector<NumberedObject> objects;
};

// Draws `spec` into a Form XObject of `size` and numbers it and everything it uses (image, soft
// mask, font, font program…) from `first_number` on. The embedded font subset gets a tag made
// from its object number, so it cannot collide with a subset of an earlier revision.
// `drawings` (optional, not owned) keeps what can be drawn once for the next signatures.
// Errors: kIo (image or font unreadable), kUsage (not a PNG, nothing to draw), kInternal.
absl::StatusOr<DrawnAppearance> DrawAppearance(const AppearanceSpec& spec, Size size,
                                               const AppearanceText& text, int64_t first_number,
                                               DrawingCache* drawings = nullptr);

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
