// What a visible signature shows (Decree 30/2020, "Digital signatures as they must appear"): the
// officer's handwritten-signature image, the agency's seal at its real size, or, on an attachment
// in a separate file, a text block with the main document's number and the signing time.
// The drawing itself is a Form XObject in the widget's /AP /N, written by WriteSignatureUpdate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace taicho::pdf {

enum class AppearanceKind {
  kNone,        // invisible, or a bare rectangle when the field has a rect
  kOfficer,     // position 7c: blue signature image, scaled to fit, centred
  kSeal,        // position 8: red seal image at its real diameter, centred
  kAttachment,  // no image: number and symbol + signing time, top right of page 1
};

inline constexpr char kDefaultAppearanceFont[] =
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf";

struct AppearanceSpec {
  AppearanceKind kind = AppearanceKind::kNone;
  std::string image_path;  // officer, seal: a PNG (8-bit RGBA with transparency)
  // officer, seal: the PNG's bytes when the caller holds them already (a server key's seal, a
  // client's image); used instead of image_path, so nothing is written out to be read back.
  std::shared_ptr<const std::string> image_png;
  double seal_diameter_mm = 36;  // seal: the agency's real seal diameter
  bool caption = false;          // officer: a small "name · time" line under the image
  std::string document_number;   // attachment: the main document's number, e.g. "05/QĐ-UBND"
  std::string font_path = kDefaultAppearanceFont;  // TrueType with Vietnamese glyphs
  double font_size = 10;                           // attachment text, in points
};

// "officer", "seal", "attachment" (what the command line takes).
absl::StatusOr<AppearanceKind> ParseAppearanceKind(std::string_view name);
std::string_view AppearanceKindName(AppearanceKind kind);

// The field a draft made by taicho holds for this kind ("officer", "seal"); "" for the others.
std::string_view DefaultFieldName(AppearanceKind kind);

// Checks the options a kind needs before any PDF work: the image is a readable PNG (kIo when it
// cannot be read, kUsage when it is not a PNG), the font readable (kIo), the number given and the
// diameter sane (kUsage).
absl::Status CheckAppearanceSpec(const AppearanceSpec& spec);

// The time every appearance draws: ISO 8601 with the Vietnam offset, e.g.
// "2026-11-28T09:30:45+07:00", from the same PDF date that is written as /M
// ("D:20261128093045+07'00'"), so the drawing and the signature's data cannot disagree.
absl::StatusOr<std::string> Iso8601FromPdfDate(std::string_view pdf_date);

}  // namespace taicho::pdf
