// Renders an administrative document to PDF in the layout of Decree 30/2020/NĐ-CP, Appendix I, as
// its kind (render/document_kind.h) describes it.
//
// Liberation Serif (Times-metric) in four faces, embedded as Identity-H subsets with ToUnicode, so
// the text is extractable; all text is NFC-normalised first (PoDoFo does no shaping). A character
// none of the fonts can draw is an error naming the character and the field, never a silent drop.
// The draft holds two empty signature fields with the Print flag, "officer" (between the signer's
// title and name) and "seal" (the seal's real size over the left third of the officer's), so the
// signing steps place each appearance exactly there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "render/document_data.h"
#include "render/document_kind.h"

namespace taicho::pdf {
class FontFiles;  // pdf/subset_font.h
}  // namespace taicho::pdf

namespace taicho::render {

inline constexpr char kOfficerField[] = "officer";
inline constexpr char kSealField[] = "seal";

struct RenderOptions {
  std::string output_path;  // required; written via a temp file and renamed on success
  std::string font_dir = "/usr/share/fonts/truetype/liberation2";
  double seal_diameter_mm = 36;  // the agency's real seal (commonly 35–42 mm)
  double qr_size_mm = 16;        // the verification QR code, in the bottom margin of the last page
  std::string pdf_title;         // Info /Title; type + summary when empty
  // Not owned; the parsed fonts kept between renders by whoever renders many times (must outlive
  // the call). nullptr: the fonts are parsed for this render only.
  pdf::FontFiles* font_files = nullptr;
};

// A rectangle in PDF user space (points, origin bottom-left) on page `page_index` (0-based).
struct PageRect {
  int page_index = 0;
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
};

struct RenderedDocument {
  std::string path;
  int page_count = 0;
  std::uintmax_t file_size = 0;
  PageRect signature_area;  // the officer field: between the signer's title and name (7c)
  PageRect seal_area;       // the seal field (8)
  std::optional<PageRect> qr_area;
  // The blanks left for the issue step when the number or date is empty.
  std::optional<PageRect> number_blank;
  std::optional<PageRect> date_blank;
};

// Errors: kGlyphMissing (naming U+XXXX and the field), kDataInvalid (data the kind cannot lay
// out), kIo (missing fonts, unwritable output), kInternal (PoDoFo failures). Never throws.
absl::StatusOr<RenderedDocument> RenderDocument(const DocumentKind& kind, const DocumentData& data,
                                                const RenderOptions& options);

}  // namespace taicho::render
