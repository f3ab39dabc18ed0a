#include "workflow/register_csv.h"

#include <ctime>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "render/issue_fields.h"
#include "vntime/vntime.h"

namespace taicho::workflow {
namespace {

// One CSV field (RFC 4180). A field a spreadsheet would read as a formula (OWASP "CSV
// injection": a first character of =, +, -, @, tab or CR) gets a single quote in front, so that
// it shows as the text it is, and is quoted: the register holds what officers typed (summaries,
// void reasons), and opening it must never run any of it.
std::string Quoted(const std::string& field) {
  const bool formula_like =
      !field.empty() && std::string_view("=+-@\t\r").find(field[0]) != std::string_view::npos;
  if (!formula_like && field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = formula_like ? "\"'" : "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// "CN=Nguyễn Văn An,title=…" → "Nguyễn Văn An" (RFC 2253 escapes a comma inside a value).
std::string CommonName(const std::string& subject) {
  const size_t at = subject.find("CN=");
  if (at == std::string::npos) return subject;
  std::string cn;
  for (size_t i = at + 3; i < subject.size(); ++i) {
    if (subject[i] == '\\' && i + 1 < subject.size()) {
      cn += subject[++i];
    } else if (subject[i] == ',') {
      break;
    } else {
      cn += subject[i];
    }
  }
  return cn;
}

std::string VietnamTime(int64_t ms) { return ms == 0 ? "" : vntime::IsoVietnam(ms / 1000); }

const char* StateText(store::RegisterState state) {
  switch (state) {
    case store::RegisterState::kIssued:
      return "Đã ban hành / issued";
    case store::RegisterState::kVoid:
      return "Bỏ số / void";
    case store::RegisterState::kWithdrawn:
      return "Đã thu hồi / withdrawn";
    case store::RegisterState::kAllocated:
      break;
  }
  return "Chờ đóng dấu / awaiting the seal";
}

}  // namespace

std::string NumberSymbol(const store::RegisterEntry& entry) {
  return absl::StrCat(render::NumberText(entry.number), "/", entry.symbol);
}

std::string RegisterCsv(const std::vector<store::RegisterEntry>& entries) {
  std::string out = "\xEF\xBB\xBF";
  const std::vector<std::string> header = {"Số, ký hiệu",  "Ngày ban hành",
                                           "Loại văn bản", "Trích yếu nội dung",
                                           "Người ký",     "Đóng dấu lúc",
                                           "Mã hồ sơ",     "Cơ quan ban hành",
                                           "Năm",          "Số",
                                           "Trạng thái",   "Lý do bỏ số",
                                           "Mã văn bản",   "Lý do thu hồi",
                                           "Thu hồi lúc"};
  std::vector<std::string> quoted;
  for (const std::string& h : header) quoted.push_back(Quoted(h));
  absl::StrAppend(&out, absl::StrJoin(quoted, ","), "\r\n");
  for (const store::RegisterEntry& e : entries) {
    const std::vector<std::string> row = {NumberSymbol(e),
                                          e.issue_date,
                                          e.kind,
                                          e.summary,
                                          CommonName(e.signer),
                                          VietnamTime(e.issue_time_ms),
                                          e.dossier_code,
                                          e.agency,
                                          std::to_string(e.year),
                                          std::to_string(e.number),
                                          StateText(e.state),
                                          e.void_reason,
                                          e.document_id,
                                          e.withdraw_reason,
                                          VietnamTime(e.withdraw_time_ms)};
    quoted.clear();
    for (const std::string& f : row) quoted.push_back(Quoted(f));
    absl::StrAppend(&out, absl::StrJoin(quoted, ","), "\r\n");
  }
  return out;
}

}  // namespace taicho::workflow
