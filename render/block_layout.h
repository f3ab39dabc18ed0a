// Lays a document's blocks out onto pages (a display list per page), in the order its kind gives.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "render/document_data.h"
#include "render/document_kind.h"
#include "render/text_layout.h"

namespace taicho::render {

inline constexpr int kNumberBlank = 0;
inline constexpr int kDateBlank = 1;

// A rectangle in points from the page's top-left corner.
struct TopRect {
  int page_index = 0;
  double x = 0, top = 0, width = 0, height = 0;
};

// A header line the issue step completes (the number's, the place and date's), left out of the
// page's content: a form field over the whole line draws it, with blanks in the draft and the
// whole line typed in once filled (render/issue_fields.h).
struct IssueLine {
  std::string field;  // kNumberField, kDateField
  Face face = kRegular;
  double size = 13;
  TopRect rect;                 // the column's width, one line's leading high
  std::string line_template;    // the filled line, "{}" where the fill's value goes
  std::vector<Run> draft_runs;  // the line with its blanks, in page coordinates
};

struct BlockLayoutResult {
  TopRect signature_area;  // between the signer's title and name, in the right column
  std::vector<IssueLine> issue_lines;
};

// `data` must be normalised (NFC, capitals where the decree wants them) and checked against the
// fonts. kDataInvalid for what cannot be laid out (an unknown template key in an optional block
// is skipped, not an error).
absl::StatusOr<BlockLayoutResult> LayOutBlocks(Layout& layout, Fonts& fonts,
                                               const DocumentKind& kind, const DocumentData& data);

// "{key}" and "{key:date}" replaced from `data`; nullopt when a key has no value.
std::optional<std::string> ExpandTemplate(const std::string& text, const DocumentData& data);

// "ngày 05 tháng 02 năm 2024" for "2024-02-05" (the decree's leading zeros: days under 10, months
// 1 and 2).
std::string VietnameseDate(const std::string& iso_date);

}  // namespace taicho::render
