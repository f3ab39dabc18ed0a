// The name a page draws for each signature (Decree 30/2020: what is drawn must agree with the
// signature's data). For a signature whose appearance draws text (a caption "name time"), that
// text without its time; else the signer block's name: the line right under the field (its
// baseline within kNameBelow points of the field's bottom) whose words are centred on the field,
// as the decree places the name centred under the title with the signature between them. A seal
// (over the left third of the officer's signature) finds no line centred on it.
//
// Reads the final revision of a ParsedPdf; not thread-safe (one reader of it at a time).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pdf/parsed_pdf.h"

namespace taicho::pdf {

inline constexpr double kNameBelow = 28;  // points: two lines of 13–14 pt text

struct DrawnName {
  std::string field_name;  // fully qualified
  std::string text;        // UTF-8, words joined by one space; "" when the page draws none
  bool from_caption = false;
};

// One entry for each signed signature field with a widget on a page. kPdfUnreadable when
// PoDoFo fails on the file's objects.
absl::StatusOr<std::vector<DrawnName>> ReadDrawnNames(const ParsedPdf& pdf);

}  // namespace taicho::pdf
