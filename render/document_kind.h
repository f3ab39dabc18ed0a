// Document kinds are data: a JSON file per kind says which blocks the document has, in order, and
// their styles. An operator adds a kind by adding a file to the kinds directory; nothing is
// compiled. See render/kinds/README.md for the format.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace taicho::render {

enum class TextFace { kRegular, kBold, kItalic, kBoldItalic };
enum class TextAlign { kLeft, kCenter, kRight, kJustify };

enum class BlockType {
  kHeader,     // agency | Quốc hiệu + Tiêu ngữ; number and symbol | place and date
  kTitle,      // the type (e.g. QUYẾT ĐỊNH) and the summary, with a rule under it
  kText,       // one paragraph from a template: "Mã số: {registration_code}", "QUYẾT ĐỊNH:"
  kList,       // one paragraph per item of a data list (legal bases)
  kArticles,   // "Điều 1." articles, "1." clauses, "a)" points
  kFields,     // "label: value" lines (a certificate's entries), optionally numbered
  kSignature,  // recipients (left) and the signer block (right), with the signature space
};

struct Block {
  BlockType type = BlockType::kText;
  // kText: the template; "{key}" is the data's text of that name (also {type}, {summary},
  // {place}), "{key:date}" formats a YYYY-MM-DD value as "ngày 05 tháng 02 năm 2024".
  std::string text;
  std::string source;  // kList: the data list's name
  TextFace face = TextFace::kRegular;
  TextAlign align = TextAlign::kJustify;
  bool indent = false;      // first-line indent (body paragraphs)
  bool optional = false;    // kText/kList: skipped when the data lacks it, instead of an error
  bool punctuate = false;   // kList: items end with ";" and the last with "."
  bool numbered = false;    // kFields: "1. label: value"
  bool uppercase = false;   // kText: capitals (the decree's headings)
  bool summary = true;      // kTitle: has a summary line
  bool number_line = true;  // kHeader: the "Số: …" line
  bool recipients = true;   // kSignature: has "Nơi nhận"
  double space_after = 6;   // points
};

// Sizes in points, lengths in millimetres; defaults are the middle of the decree's ranges.
struct KindStyle {
  double margin_top_mm = 20;
  double margin_bottom_mm = 20;
  double margin_left_mm = 30;
  double margin_right_mm = 15;
  double agency_size = 12.5;          // 12–13
  double national_title_size = 12.5;  // Quốc hiệu, 12–13
  double motto_size = 13.5;           // Tiêu ngữ, 13–14
  double number_size = 13;            // "Số: …"
  double place_date_size = 13.5;      // 13–14
  double title_size = 13.5;           // type and summary, 13–14
  double body_size = 13.5;            // body and signer, 13–14
  double page_number_size = 13.5;     // 13–14
  double recipients_heading_size = 12;
  double recipients_size = 11;
  double line_spacing = 1.15;           // baseline distance as a multiple of the size (1–1.5)
  double first_line_indent_mm = 11.35;  // 10–12.7
  double signature_space_mm = 30;       // between the signer's title and name
  double header_left_fraction = 0.42;   // share of the text width for the agency column
};

struct DocumentKind {
  std::string id;      // the file name without ".json", e.g. "quyet-dinh-ubnd"
  std::string name;    // Vietnamese, for people
  std::string type;    // default document type when the data gives none, e.g. "QUYẾT ĐỊNH"
  std::string symbol;  // default symbol when the data gives none, e.g. "QĐ-UBND"
  std::vector<Block> blocks;
  KindStyle style;
};

// Parses a kind. kKindInvalid naming every problem (unknown block, bad style value, …).
absl::StatusOr<DocumentKind> ParseKindJson(const std::string& id, const std::string& json);

// A kind's id is a plain file name: a-z, 0-9, '-', '_', at most 64 bytes.
bool IsKindId(std::string_view id);

// Loads `dir`/`id`.json. kKindUnknown when there is no such file (or `id` is not a plain name),
// kKindInvalid when it does not parse.
absl::StatusOr<DocumentKind> LoadKind(const std::string& dir, const std::string& id);

// The ids of the kinds in `dir`, sorted.
std::vector<std::string> ListKinds(const std::string& dir);

// The kinds shipped with taicho: $TAICHO_KINDS_DIR, else DataDir()/kinds (installation.h): the
// installed share/taicho/kinds, or in the build tree the source's render/kinds.
std::string DefaultKindsDir();

}  // namespace taicho::render
