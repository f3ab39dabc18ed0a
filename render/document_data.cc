#include "render/document_data.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"

namespace taicho::render {
namespace {

using nlohmann::json;

class Problems {
 public:
  void Add(std::string_view field, std::string_view vi, std::string_view en) {
    items_.push_back(std::string(field) + ": " + std::string(vi) + " / " + std::string(en));
  }
  bool empty() const { return items_.empty(); }
  absl::Status ToStatus() const {
    return Error(
        ErrorCode::kUsage,
        absl::StrCat(items_.size(), " lỗi dữ liệu / data problems: ", absl::StrJoin(items_, "; ")));
  }

 private:
  std::vector<std::string> items_;
};

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Reads obj[key] as a string into *out. Absent or null is a problem only when required.
void ReadString(const json& obj, const char* key, const std::string& path, bool required,
                size_t max_len, std::string* out, Problems* problems) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) problems->Add(path, "thiếu", "missing");
    return;
  }
  if (!it->is_string()) {
    problems->Add(path, "phải là chuỗi ký tự", "must be a string");
    return;
  }
  const std::string& value = it->get_ref<const std::string&>();
  if (required && IsBlank(value)) {
    problems->Add(path, "không được để trống", "must not be empty");
    return;
  }
  if (value.size() > max_len) {
    problems->Add(path, absl::StrCat("quá dài (tối đa ", max_len, " byte)"),
                  absl::StrCat("too long (at most ", max_len, " bytes)"));
    return;
  }
  *out = value;
}

// Reads obj[key] as a non-empty array of non-empty strings.
void ReadStringList(const json& obj, const char* key, const std::string& path, bool required,
                    size_t max_len, std::vector<std::string>* out, Problems* problems) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) problems->Add(path, "thiếu", "missing");
    return;
  }
  if (!it->is_array()) {
    problems->Add(path, "phải là danh sách", "must be an array");
    return;
  }
  if (required && it->empty()) {
    problems->Add(path, "cần ít nhất một mục", "needs at least one item");
    return;
  }
  if (it->size() > kMaxListItems) {
    problems->Add(path, absl::StrCat("quá nhiều mục (tối đa ", kMaxListItems, ")"),
                  absl::StrCat("too many items (at most ", kMaxListItems, ")"));
    return;
  }
  json wrapper = json::object();
  for (size_t i = 0; i < it->size(); ++i) {
    wrapper["v"] = (*it)[i];
    std::string value;
    ReadString(wrapper, "v", absl::StrCat(path, "[", i, "]"), true, max_len, &value, problems);
    out->push_back(std::move(value));
  }
}

const json* ReadObject(const json& obj, const char* key, const std::string& path, bool required,
                       Problems* problems) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) problems->Add(path, "thiếu", "missing");
    return nullptr;
  }
  if (!it->is_object()) {
    problems->Add(path, "phải là đối tượng", "must be an object");
    return nullptr;
  }
  return &*it;
}

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool ValidDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!IsDigits(s.substr(0, 4)) || !IsDigits(s.substr(5, 2)) || !IsDigits(s.substr(8, 2))) {
    return false;
  }
  const int year = std::stoi(std::string(s.substr(0, 4)));
  const int month = std::stoi(std::string(s.substr(5, 2)));
  const int day = std::stoi(std::string(s.substr(8, 2)));
  if (year < 1945 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max_day;
}

}  // namespace

absl::StatusOr<DecisionData> ParseDecisionJson(std::string_view text) {
  if (text.size() > kMaxJsonBytes) {
    return Error(ErrorCode::kUsage, absl::StrCat("dữ liệu quá lớn / data too large: ", text.size(),
                                                 " bytes > ", kMaxJsonBytes));
  }
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // e.what() names the byte position and the kind of syntax error; no document content.
    return Error(ErrorCode::kUsage, absl::StrCat("JSON không hợp lệ / invalid JSON: ", e.what()));
  }
  if (!root.is_object()) {
    return Error(ErrorCode::kUsage, "JSON phải là một đối tượng / the JSON must be an object");
  }

  DecisionData d;
  Problems p;
  if (const json* agency = ReadObject(root, "agency", "agency", true, &p)) {
    ReadString(*agency, "parent", "agency.parent", false, kMaxShortField, &d.agency.parent, &p);
    ReadString(*agency, "name", "agency.name", true, kMaxShortField, &d.agency.name, &p);
  }
  ReadString(root, "number", "number", false, kMaxNumberDigits, &d.number, &p);
  if (!d.number.empty() && !IsDigits(d.number)) {
    p.Add("number", "chỉ gồm chữ số", "digits only");
  }
  ReadString(root, "symbol", "symbol", true, 40, &d.symbol, &p);
  if (d.symbol.find_first_of(" \t\r\n/") != std::string::npos) {
    p.Add("symbol", "không có khoảng trắng hay dấu /", "no spaces or slashes");
  }
  ReadString(root, "place", "place", true, kMaxShortField, &d.place, &p);
  ReadString(root, "date", "date", false, 10, &d.date, &p);
  if (!d.date.empty() && !ValidDate(d.date)) {
    p.Add("date", "phải là ngày hợp lệ dạng YYYY-MM-DD", "must be a valid YYYY-MM-DD date");
  }
  ReadString(root, "type", "type", true, kMaxShortField, &d.type, &p);
  ReadString(root, "summary", "summary", true, kMaxLongField, &d.summary, &p);
  ReadString(root, "issuing_title", "issuing_title", true, kMaxShortField, &d.issuing_title, &p);
  ReadStringList(root, "legal_bases", "legal_bases", true, kMaxLongField, &d.legal_bases, &p);

  auto articles = root.find("articles");
  if (articles == root.end() || articles->is_null()) {
    p.Add("articles", "thiếu", "missing");
  } else if (!articles->is_array() || articles->empty()) {
    p.Add("articles", "phải là danh sách có ít nhất một điều",
          "must be an array with at least one article");
  } else if (articles->size() > kMaxListItems) {
    p.Add("articles", "quá nhiều điều", "too many articles");
  } else {
    for (size_t i = 0; i < articles->size(); ++i) {
      const std::string path = absl::StrCat("articles[", i, "]");
      const json& a = (*articles)[i];
      if (!a.is_object()) {
        p.Add(path, "phải là đối tượng", "must be an object");
        continue;
      }
      Article article;
      ReadString(a, "text", path + ".text", true, kMaxLongField, &article.text, &p);
      auto clauses = a.find("clauses");
      if (clauses != a.end() && !clauses->is_null()) {
        if (!clauses->is_array() || clauses->size() > kMaxListItems) {
          p.Add(path + ".clauses", "phải là danh sách", "must be an array");
        } else {
          for (size_t k = 0; k < clauses->size(); ++k) {
            const std::string cpath = absl::StrCat(path, ".clauses[", k, "]");
            const json& c = (*clauses)[k];
            if (!c.is_object()) {
              p.Add(cpath, "phải là đối tượng", "must be an object");
              continue;
            }
            Clause clause;
            ReadString(c, "text", cpath + ".text", true, kMaxLongField, &clause.text, &p);
            ReadStringList(c, "points", cpath + ".points", false, kMaxLongField, &clause.points,
                           &p);
            article.clauses.push_back(std::move(clause));
          }
        }
      }
      d.articles.push_back(std::move(article));
    }
  }

  ReadStringList(root, "recipients", "recipients", true, kMaxShortField, &d.recipients, &p);
  if (const json* signer = ReadObject(root, "signer", "signer", true, &p)) {
    ReadString(*signer, "authority_prefix", "signer.authority_prefix", false, kMaxShortField,
               &d.signer.authority_prefix, &p);
    ReadString(*signer, "title", "signer.title", true, kMaxShortField, &d.signer.title, &p);
    ReadString(*signer, "name", "signer.name", true, kMaxShortField, &d.signer.name, &p);
  }
  if (!p.empty()) return p.ToStatus();
  return d;
}

absl::StatusOr<DecisionData> LoadDecisionFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, absl::StrCat("cannot open ", path));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return Error(ErrorCode::kIo, absl::StrCat("cannot read ", path));
  if (static_cast<size_t>(size) > kMaxJsonBytes) {
    return Error(ErrorCode::kUsage, absl::StrCat("dữ liệu quá lớn / data too large: ", path, " is ",
                                                 size, " bytes > ", kMaxJsonBytes));
  }
  in.seekg(0);
  std::string text(static_cast<size_t>(size), '\0');
  if (!in.read(text.data(), size)) return Error(ErrorCode::kIo, absl::StrCat("cannot read ", path));
  return ParseDecisionJson(text);
}

}  // namespace taicho::render
