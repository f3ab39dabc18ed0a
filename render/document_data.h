// The data of one administrative document (Decree 30/2020/NĐ-CP), and the JSON loader that checks
// it against a document kind. The same structure is carried by the service's proto.
//
// JSON shape (UTF-8; NFC or NFD, the renderer normalises):
//   {
//     "agency": {"parent": "ỦY BAN NHÂN DÂN HUYỆN …" (optional), "name": "ỦY BAN NHÂN DÂN XÃ …"},
//     "number": "05" (optional: empty or absent = left blank for the issue step),
//     "symbol": "QĐ-UBND" (optional when the kind gives one),
//     "place": "Long Phước",
//     "date": "2024-03-05" (optional: empty or absent = left blank for the issue step),
//     "type": "QUYẾT ĐỊNH" (optional when the kind gives one),
//     "summary": "Về việc …",
//     "articles": [{"text": "…", "clauses": [{"text": "…", "points": ["…", …]}]}],
//     "fields": [{"label": "Tên hộ kinh doanh", "value": "…"}, …],
//     "recipients": ["Như Điều 3", …, "Lưu: VT"],
//     "signer": {"authority_prefix": "TM. ỦY BAN NHÂN DÂN" (optional), "title": "CHỦ TỊCH",
//                "name": "Nguyễn Văn A"},
//     "verification": {"code": "…", "url": "https://…"} (optional: the QR code's content),
//     any other key: a text (string) or a list (array of strings) the kind's blocks refer to,
//       e.g. "issuing_title": "CHỦ TỊCH …", "legal_bases": ["Căn cứ …", …]
//   }
// What is required depends on the kind's blocks.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "render/document_kind.h"

namespace taicho::render {

struct Agency {
  std::string parent;  // optional (e.g. the district above a commune); drawn upright, not bold
  std::string name;    // the issuing agency; drawn bold
};

struct Clause {
  std::string text;
  std::vector<std::string> points;  // drawn "a) …", "b) …"
};

struct Article {
  std::string text;             // drawn after the bold "Điều N."
  std::vector<Clause> clauses;  // drawn "1. …", "2. …"
};

struct Field {
  std::string label;
  std::string value;
};

struct Signer {
  std::string authority_prefix;  // optional: "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", …
  std::string title;             // "CHỦ TỊCH", "PHÓ CHỦ TỊCH", …
  std::string name;
};

struct Verification {
  std::string code;  // printed next to the QR code
  std::string url;   // the QR code's content when set, else the code
};

struct DocumentData {
  Agency agency;
  std::string number;  // digits only; empty = blank, filled at issue time
  std::string symbol;  // "QĐ-UBND"; the kind's when empty
  std::string place;
  std::string date;  // "YYYY-MM-DD"; empty = blank, filled at issue time
  std::string type;  // "QUYẾT ĐỊNH"; the kind's when empty
  std::string summary;
  std::vector<Article> articles;
  std::vector<Field> fields;
  std::vector<std::string> recipients;
  Signer signer;
  Verification verification;
  std::map<std::string, std::string> texts;               // named texts for kText templates
  std::map<std::string, std::vector<std::string>> lists;  // named lists for kList blocks
};

// Limits (bytes of UTF-8) that keep a request from becoming a denial of service.
inline constexpr size_t kMaxJsonBytes = 2 * 1024 * 1024;
inline constexpr size_t kMaxShortField = 300;  // names, titles, symbol, place
inline constexpr size_t kMaxLongField = 8000;  // one paragraph
inline constexpr size_t kMaxNumberDigits = 6;
inline constexpr size_t kMaxListItems = 500;

// Parses `json` and checks it against what `kind`'s blocks need. Every missing or malformed field
// is reported at once in one kDataInvalid error, "field: Vietnamese / English" per problem,
// separated by "; ".
absl::StatusOr<DocumentData> ParseDocumentJson(std::string_view json, const DocumentKind& kind);

// Reads `path` (kIo when unreadable, kDataInvalid when larger than kMaxJsonBytes) and parses it.
absl::StatusOr<DocumentData> LoadDocumentFile(const std::string& path, const DocumentKind& kind);

// The names "{key}" / "{key:date}" in a kText template, in order.
std::vector<std::string> TemplateKeys(std::string_view text);

}  // namespace taicho::render
