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
        ErrorCode::kDataInvalid,
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

void ReadArticles(const json& root, bool required, std::vector<Article>* out, Problems* p) {
  auto articles = root.find("articles");
  if (articles == root.end() || articles->is_null()) {
    if (required) p->Add("articles", "thiếu", "missing");
    return;
  }
  if (!articles->is_array() || (required && articles->empty())) {
    p->Add("articles", "phải là danh sách có ít nhất một điều",
           "must be an array with at least one article");
    return;
  }
  if (articles->size() > kMaxListItems) {
    p->Add("articles", "quá nhiều điều", "too many articles");
    return;
  }
  for (size_t i = 0; i < articles->size(); ++i) {
    const std::string path = absl::StrCat("articles[", i, "]");
    const json& a = (*articles)[i];
    if (!a.is_object()) {
      p->Add(path, "phải là đối tượng", "must be an object");
      continue;
    }
    Article article;
    ReadString(a, "text", path + ".text", true, kMaxLongField, &article.text, p);
    auto clauses = a.find("clauses");
    if (clauses != a.end() && !clauses->is_null()) {
      if (!clauses->is_array() || clauses->size() > kMaxListItems) {
        p->Add(path + ".clauses", "phải là danh sách", "must be an array");
      } else {
        for (size_t k = 0; k < clauses->size(); ++k) {
          const std::string cpath = absl::StrCat(path, ".clauses[", k, "]");
          const json& c = (*clauses)[k];
          if (!c.is_object()) {
            p->Add(cpath, "phải là đối tượng", "must be an object");
            continue;
          }
          Clause clause;
          ReadString(c, "text", cpath + ".text", true, kMaxLongField, &clause.text, p);
          ReadStringList(c, "points", cpath + ".points", false, kMaxLongField, &clause.points, p);
          article.clauses.push_back(std::move(clause));
        }
      }
    }
    out->push_back(std::move(article));
  }
}

void ReadFields(const json& root, bool required, std::vector<Field>* out, Problems* p) {
  auto fields = root.find("fields");
  if (fields == root.end() || fields->is_null()) {
    if (required) p->Add("fields", "thiếu", "missing");
    return;
  }
  if (!fields->is_array() || (required && fields->empty()) || fields->size() > kMaxListItems) {
    p->Add("fields", "phải là danh sách mục {label, value}",
           "must be an array of {label, value} entries");
    return;
  }
  for (size_t i = 0; i < fields->size(); ++i) {
    const std::string path = absl::StrCat("fields[", i, "]");
    const json& f = (*fields)[i];
    if (!f.is_object()) {
      p->Add(path, "phải là đối tượng", "must be an object");
      continue;
    }
    Field field;
    ReadString(f, "label", path + ".label", true, kMaxShortField, &field.label, p);
    ReadString(f, "value", path + ".value", true, kMaxLongField, &field.value, p);
    out->push_back(std::move(field));
  }
}

bool IsBuiltIn(const std::string& key) {
  static const char* const kKeys[] = {"agency", "number",     "symbol",  "place",
                                      "date",   "type",       "summary", "articles",
                                      "fields", "recipients", "signer",  "verification"};
  for (const char* k : kKeys) {
    if (key == k) return true;
  }
  return false;
}

// What a kind's blocks need from the data.
struct Needs {
  bool agency = false, place = false, symbol = false, type = false, summary = false;
  bool articles = false, fields = false, recipients = false;
  std::vector<std::string> texts;  // template keys (non-optional blocks)
  std::vector<std::string> dates;  // template keys formatted as dates
  std::vector<std::string> lists;  // list sources (non-optional blocks)
};

Needs NeedsOf(const DocumentKind& kind) {
  Needs n;
  for (const Block& b : kind.blocks) {
    switch (b.type) {
      case BlockType::kHeader:
        n.agency = n.place = true;
        n.symbol = n.symbol || (b.number_line && kind.symbol.empty());
        break;
      case BlockType::kTitle:
        n.type = n.type || kind.type.empty();
        n.summary = n.summary || b.summary;
        break;
      case BlockType::kText:
        for (const std::string& key : TemplateKeys(b.text)) {
          const size_t colon = key.find(':');
          const std::string name = key.substr(0, colon);
          if (colon != std::string::npos) n.dates.push_back(name);
          if (b.optional) continue;
          if (name == "type") {
            n.type = n.type || kind.type.empty();
          } else if (name == "summary") {
            n.summary = true;
          } else if (name == "place") {
            n.place = true;
          } else if (name == "date") {
            // the document date may be blank until issue
          } else {
            n.texts.push_back(name);
          }
        }
        break;
      case BlockType::kList:
        if (!b.optional) n.lists.push_back(b.source);
        break;
      case BlockType::kArticles:
        n.articles = true;
        break;
      case BlockType::kFields:
        n.fields = true;
        break;
      case BlockType::kSignature:
        n.recipients = n.recipients || b.recipients;
        break;
    }
  }
  return n;
}

}  // namespace

std::vector<std::string> TemplateKeys(std::string_view text) {
  std::vector<std::string> keys;
  size_t at = 0;
  while ((at = text.find('{', at)) != std::string_view::npos) {
    const size_t end = text.find('}', at);
    if (end == std::string_view::npos) break;
    keys.emplace_back(text.substr(at + 1, end - at - 1));
    at = end + 1;
  }
  return keys;
}

absl::StatusOr<DocumentData> ParseDocumentJson(std::string_view text, const DocumentKind& kind) {
  if (text.size() > kMaxJsonBytes) {
    return Error(ErrorCode::kDataInvalid, absl::StrCat("dữ liệu quá lớn / data too large: ",
                                                       text.size(), " bytes > ", kMaxJsonBytes));
  }
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // e.what() names the byte position and the kind of syntax error; no document content.
    return Error(ErrorCode::kDataInvalid,
                 absl::StrCat("JSON không hợp lệ / invalid JSON: ", e.what()));
  }
  if (!root.is_object()) {
    return Error(ErrorCode::kDataInvalid,
                 "JSON phải là một đối tượng / the JSON must be an object");
  }

  const Needs needs = NeedsOf(kind);
  DocumentData d;
  Problems p;
  if (const json* agency = ReadObject(root, "agency", "agency", needs.agency, &p)) {
    ReadString(*agency, "parent", "agency.parent", false, kMaxShortField, &d.agency.parent, &p);
    ReadString(*agency, "name", "agency.name", true, kMaxShortField, &d.agency.name, &p);
  }
  ReadString(root, "number", "number", false, kMaxNumberDigits, &d.number, &p);
  if (!d.number.empty() && !IsDigits(d.number)) {
    p.Add("number", "chỉ gồm chữ số", "digits only");
  }
  ReadString(root, "symbol", "symbol", needs.symbol, 40, &d.symbol, &p);
  if (d.symbol.find_first_of(" \t\r\n/") != std::string::npos) {
    p.Add("symbol", "không có khoảng trắng hay dấu /", "no spaces or slashes");
  }
  ReadString(root, "place", "place", needs.place, kMaxShortField, &d.place, &p);
  ReadString(root, "date", "date", false, 10, &d.date, &p);
  if (!d.date.empty() && !ValidDate(d.date)) {
    p.Add("date", "phải là ngày hợp lệ dạng YYYY-MM-DD", "must be a valid YYYY-MM-DD date");
  }
  ReadString(root, "type", "type", needs.type, kMaxShortField, &d.type, &p);
  ReadString(root, "summary", "summary", needs.summary, kMaxLongField, &d.summary, &p);
  ReadArticles(root, needs.articles, &d.articles, &p);
  ReadFields(root, needs.fields, &d.fields, &p);
  ReadStringList(root, "recipients", "recipients", needs.recipients, kMaxShortField, &d.recipients,
                 &p);
  if (const json* signer = ReadObject(root, "signer", "signer", true, &p)) {
    ReadString(*signer, "authority_prefix", "signer.authority_prefix", false, kMaxShortField,
               &d.signer.authority_prefix, &p);
    ReadString(*signer, "title", "signer.title", true, kMaxShortField, &d.signer.title, &p);
    ReadString(*signer, "name", "signer.name", true, kMaxShortField, &d.signer.name, &p);
  }
  if (const json* v = ReadObject(root, "verification", "verification", false, &p)) {
    ReadString(*v, "code", "verification.code", true, 64, &d.verification.code, &p);
    ReadString(*v, "url", "verification.url", false, 512, &d.verification.url, &p);
  }

  // Every other key is a named text or list for the kind's templates.
  for (const auto& [key, value] : root.items()) {
    if (IsBuiltIn(key)) continue;
    if (key.size() > 64) {
      p.Add(key.substr(0, 64) + "…", "tên trường quá dài", "field name too long");
    } else if (value.is_string()) {
      ReadString(root, key.c_str(), key, false, kMaxLongField, &d.texts[key], &p);
    } else if (value.is_array()) {
      ReadStringList(root, key.c_str(), key, false, kMaxLongField, &d.lists[key], &p);
    } else if (!value.is_null()) {
      p.Add(key, "phải là chuỗi hoặc danh sách chuỗi", "must be a string or a list of strings");
    }
  }
  for (const std::string& key : needs.texts) {
    auto it = d.texts.find(key);
    if (it == d.texts.end() || IsBlank(it->second)) {
      if (!root.contains(key))
        p.Add(key, "thiếu", "missing");
      else if (root[key].is_string())
        p.Add(key, "không được để trống", "must not be empty");
    }
  }
  for (const std::string& key : needs.dates) {
    auto it = d.texts.find(key);
    if (it != d.texts.end() && !it->second.empty() && !ValidDate(it->second)) {
      p.Add(key, "phải là ngày hợp lệ dạng YYYY-MM-DD", "must be a valid YYYY-MM-DD date");
    }
  }
  for (const std::string& key : needs.lists) {
    auto it = d.lists.find(key);
    if (!root.contains(key)) {
      p.Add(key, "thiếu", "missing");
    } else if (root[key].is_array() && (it == d.lists.end() || it->second.empty())) {
      p.Add(key, "cần ít nhất một mục", "needs at least one item");
    }
  }
  if (!p.empty()) return p.ToStatus();
  return d;
}

absl::StatusOr<DocumentData> LoadDocumentFile(const std::string& path, const DocumentKind& kind) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, absl::StrCat("cannot open ", path));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return Error(ErrorCode::kIo, absl::StrCat("cannot read ", path));
  if (static_cast<size_t>(size) > kMaxJsonBytes) {
    return Error(ErrorCode::kDataInvalid, absl::StrCat("dữ liệu quá lớn / data too large: ", path,
                                                       " is ", size, " bytes > ", kMaxJsonBytes));
  }
  in.seekg(0);
  std::string text(static_cast<size_t>(size), '\0');
  if (!in.read(text.data(), size)) return Error(ErrorCode::kIo, absl::StrCat("cannot read ", path));
  return ParseDocumentJson(text, kind);
}

}  // namespace taicho::render
