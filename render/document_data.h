// The data of an administrative decision (Quyết định), as Decree 30/2020/NĐ-CP lays it out, and the
// JSON loader that validates it.
//
// JSON shape (UTF-8; NFC or NFD, the renderer normalises):
//   {
//     "agency": {"parent": "ỦY BAN NHÂN DÂN HUYỆN …" (optional), "name": "ỦY BAN NHÂN DÂN XÃ …"},
//     "number": "05" (optional: empty or absent = left blank for the issue step),
//     "symbol": "QĐ-UBND",
//     "place": "Long Phước",
//     "date": "2024-03-05" (optional: empty or absent = left blank for the issue step),
//     "type": "QUYẾT ĐỊNH",
//     "summary": "Về việc …",
//     "issuing_title": "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ …",
//     "legal_bases": ["Căn cứ …", …],
//     "articles": [{"text": "…", "clauses": [{"text": "…", "points": ["…", …]}]}],
//     "recipients": ["Như Điều 3", …, "Lưu: VT"],
//     "signer": {"authority_prefix": "TM. ỦY BAN NHÂN DÂN" (optional), "title": "CHỦ TỊCH",
//                "name": "Nguyễn Văn A"}
//   }
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

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

struct Signer {
  std::string authority_prefix;  // optional: "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", …
  std::string title;             // "CHỦ TỊCH", "PHÓ CHỦ TỊCH", …
  std::string name;
};

struct DecisionData {
  Agency agency;
  std::string number;  // digits only; empty = blank, filled at issue time
  std::string symbol;  // "QĐ-UBND"
  std::string place;
  std::string date;  // "YYYY-MM-DD"; empty = blank, filled at issue time
  std::string type;  // "QUYẾT ĐỊNH"
  std::string summary;
  std::string issuing_title;
  std::vector<std::string> legal_bases;
  std::vector<Article> articles;
  std::vector<std::string> recipients;
  Signer signer;
};

// Limits (bytes of UTF-8) that keep a request from becoming a denial of service.
inline constexpr size_t kMaxJsonBytes = 2 * 1024 * 1024;
inline constexpr size_t kMaxShortField = 300;  // names, titles, symbol, place
inline constexpr size_t kMaxLongField = 8000;  // one paragraph
inline constexpr size_t kMaxNumberDigits = 6;
inline constexpr size_t kMaxListItems = 500;

// Parses and validates. Every missing or malformed field is reported at once in one kUsage error,
// "field: Vietnamese / English" per problem, separated by "; ".
absl::StatusOr<DecisionData> ParseDecisionJson(std::string_view json);

// Reads `path` (kIo when unreadable, kUsage when larger than kMaxJsonBytes) and parses it.
absl::StatusOr<DecisionData> LoadDecisionFile(const std::string& path);

}  // namespace taicho::render
