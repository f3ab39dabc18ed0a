// Renders a decision (Quyết định) to PDF in the layout of Decree 30/2020/NĐ-CP, Appendix I.
//
// Liberation Serif (Times-metric) in four faces, embedded as Identity-H subsets with ToUnicode, so
// the text is extractable; all text is NFC-normalised first (PoDoFo does no shaping). A character
// none of the fonts can draw is an error naming the character and the field, never a silent drop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "render/document_data.h"

namespace taicho::render {

// Sizes in points, lengths in millimetres. Where the decree gives a range the default is in it.
struct RenderOptions {
  std::string output_path;  // required; written via a temp file and renamed on success
  std::string font_dir = "/usr/share/fonts/truetype/liberation2";

  double margin_top_mm = 20;
  double margin_bottom_mm = 20;
  double margin_left_mm = 30;
  double margin_right_mm = 15;

  double agency_size = 12.5;          // 12–13
  double national_title_size = 12.5;  // Quốc hiệu, 12–13
  double motto_size = 13.5;           // Tiêu ngữ, 13–14
  double number_size = 13;            // "Số: …"
  double place_date_size = 13.5;      // 13–14
  double body_size = 13.5;            // type, summary, body, signer: 13–14
  double page_number_size = 13.5;     // 13–14
  double recipients_heading_size = 12;
  double recipients_size = 11;

  double line_spacing = 1.15;           // baseline distance as a multiple of the size (1–1.5)
  double paragraph_spacing = 6;         // points after each body paragraph (≥ 6)
  double first_line_indent_mm = 11.35;  // 10–12.7
  double signature_space_mm = 30;       // between the signer's title and name
  double header_left_fraction = 0.42;   // share of the text width for the agency column

  std::string pdf_title;  // Info /Title; the summary when empty
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
  // The empty space between the signer's title and name: where the officer's signature (7c) and
  // the seal (8) go.
  PageRect signature_area;
  // The blanks left for the issue step when the number or date is empty.
  std::optional<PageRect> number_blank;
  std::optional<PageRect> date_blank;
};

// Errors: kUsage for data the renderer cannot draw (a character outside the fonts, naming it as
// U+XXXX and the field), kIo for missing fonts or an unwritable output, kInternal for PoDoFo
// failures. Never throws.
absl::StatusOr<RenderedDocument> RenderDecision(const DecisionData& data,
                                                const RenderOptions& options);

}  // namespace taicho::render
