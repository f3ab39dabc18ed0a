#include "render/document_kind.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "installation/installation.h"

namespace taicho::render {
namespace {

using nlohmann::json;

constexpr size_t kMaxKindBytes = 256 * 1024;
constexpr size_t kMaxBlocks = 100;

}  // namespace

// A plain file name: it must not walk out of the kinds directory.
bool IsKindId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

namespace {

const std::map<std::string, BlockType>& BlockTypes() {
  static const auto* types = new std::map<std::string, BlockType>{
      {"header", BlockType::kHeader},      {"title", BlockType::kTitle},
      {"text", BlockType::kText},          {"list", BlockType::kList},
      {"articles", BlockType::kArticles},  {"fields", BlockType::kFields},
      {"signature", BlockType::kSignature}};
  return *types;
}

class KindReader {
 public:
  void Problem(const std::string& where, const std::string& what) {
    problems_.push_back(where + ": " + what);
  }
  const std::vector<std::string>& problems() const { return problems_; }

  void String(const json& obj, const char* key, const std::string& where, std::string* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return;
    if (!it->is_string()) return Problem(where + "." + key, "must be a string");
    *out = it->get<std::string>();
  }
  void Bool(const json& obj, const char* key, const std::string& where, bool* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return;
    if (!it->is_boolean()) return Problem(where + "." + key, "must be true or false");
    *out = it->get<bool>();
  }
  void Number(const json& obj, const char* key, const std::string& where, double lo, double hi,
              double* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return;
    if (!it->is_number()) return Problem(where + "." + key, "must be a number");
    const double v = it->get<double>();
    if (!(v >= lo && v <= hi)) {
      return Problem(where + "." + key, absl::StrCat(v, " is outside [", lo, ", ", hi, "]"));
    }
    *out = v;
  }
  void Face(const json& obj, const std::string& where, TextFace* out) {
    std::string face;
    String(obj, "face", where, &face);
    if (face.empty()) return;
    static const std::map<std::string, TextFace> kFaces = {{"regular", TextFace::kRegular},
                                                           {"bold", TextFace::kBold},
                                                           {"italic", TextFace::kItalic},
                                                           {"bold-italic", TextFace::kBoldItalic}};
    auto it = kFaces.find(face);
    if (it == kFaces.end()) return Problem(where + ".face", "unknown face '" + face + "'");
    *out = it->second;
  }
  void Align(const json& obj, const std::string& where, TextAlign* out) {
    std::string align;
    String(obj, "align", where, &align);
    if (align.empty()) return;
    static const std::map<std::string, TextAlign> kAligns = {{"left", TextAlign::kLeft},
                                                             {"center", TextAlign::kCenter},
                                                             {"right", TextAlign::kRight},
                                                             {"justify", TextAlign::kJustify}};
    auto it = kAligns.find(align);
    if (it == kAligns.end()) return Problem(where + ".align", "unknown alignment '" + align + "'");
    *out = it->second;
  }

  void Style(const json& obj, KindStyle* s) {
    static const std::vector<std::string> kKeys = {"margin_top_mm",
                                                   "margin_bottom_mm",
                                                   "margin_left_mm",
                                                   "margin_right_mm",
                                                   "agency_size",
                                                   "national_title_size",
                                                   "motto_size",
                                                   "number_size",
                                                   "place_date_size",
                                                   "title_size",
                                                   "body_size",
                                                   "page_number_size",
                                                   "recipients_heading_size",
                                                   "recipients_size",
                                                   "line_spacing",
                                                   "first_line_indent_mm",
                                                   "signature_space_mm",
                                                   "header_left_fraction"};
    for (const auto& [key, value] : obj.items()) {
      if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
        Problem("style." + key, "unknown style");
      }
    }
    const std::string w = "style";
    // Ranges keep the layout sane: absurd sizes would make one glyph per line and page.
    Number(obj, "margin_top_mm", w, 5, 60, &s->margin_top_mm);
    Number(obj, "margin_bottom_mm", w, 5, 60, &s->margin_bottom_mm);
    Number(obj, "margin_left_mm", w, 5, 60, &s->margin_left_mm);
    Number(obj, "margin_right_mm", w, 5, 60, &s->margin_right_mm);
    for (auto [key, field] : {std::pair{"agency_size", &s->agency_size},
                              {"national_title_size", &s->national_title_size},
                              {"motto_size", &s->motto_size},
                              {"number_size", &s->number_size},
                              {"place_date_size", &s->place_date_size},
                              {"title_size", &s->title_size},
                              {"body_size", &s->body_size},
                              {"page_number_size", &s->page_number_size},
                              {"recipients_heading_size", &s->recipients_heading_size},
                              {"recipients_size", &s->recipients_size}}) {
      Number(obj, key, w, 6, 24, field);
    }
    Number(obj, "line_spacing", w, 1, 2, &s->line_spacing);
    Number(obj, "first_line_indent_mm", w, 0, 30, &s->first_line_indent_mm);
    Number(obj, "signature_space_mm", w, 0, 100, &s->signature_space_mm);
    Number(obj, "header_left_fraction", w, 0.25, 0.6, &s->header_left_fraction);
  }

  void ReadBlock(const json& obj, const std::string& where, std::vector<Block>* blocks) {
    if (!obj.is_object()) return Problem(where, "must be an object");
    std::string name;
    String(obj, "block", where, &name);
    auto type = BlockTypes().find(name);
    if (type == BlockTypes().end())
      return Problem(where + ".block", "unknown block '" + name + "'");
    static const std::vector<std::string> kKeys = {
        "block",   "text",        "source",     "face",       "align",
        "indent",  "optional",    "punctuate",  "numbered",   "uppercase",
        "summary", "number_line", "recipients", "space_after"};
    for (const auto& [key, value] : obj.items()) {
      if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
        Problem(where + "." + key, "unknown key");
      }
    }
    Block b;
    b.type = type->second;
    String(obj, "text", where, &b.text);
    String(obj, "source", where, &b.source);
    Face(obj, where, &b.face);
    Align(obj, where, &b.align);
    Bool(obj, "indent", where, &b.indent);
    Bool(obj, "optional", where, &b.optional);
    Bool(obj, "punctuate", where, &b.punctuate);
    Bool(obj, "numbered", where, &b.numbered);
    Bool(obj, "uppercase", where, &b.uppercase);
    Bool(obj, "summary", where, &b.summary);
    Bool(obj, "number_line", where, &b.number_line);
    Bool(obj, "recipients", where, &b.recipients);
    Number(obj, "space_after", where, 0, 60, &b.space_after);
    if (b.type == BlockType::kText && b.text.empty()) Problem(where + ".text", "missing");
    if (b.type == BlockType::kList && b.source.empty()) Problem(where + ".source", "missing");
    blocks->push_back(std::move(b));
  }

 private:
  std::vector<std::string> problems_;
};

}  // namespace

absl::StatusOr<DocumentKind> ParseKindJson(const std::string& id, const std::string& text) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    return Error(ErrorCode::kKindInvalid, absl::StrCat(id, ": invalid JSON: ", e.what()));
  }
  if (!root.is_object()) return Error(ErrorCode::kKindInvalid, id + ": must be a JSON object");
  KindReader r;
  DocumentKind kind;
  kind.id = id;
  r.String(root, "name", "kind", &kind.name);
  r.String(root, "type", "kind", &kind.type);
  r.String(root, "symbol", "kind", &kind.symbol);
  if (kind.name.empty()) r.Problem("name", "missing");
  for (const auto& [key, value] : root.items()) {
    if (key != "name" && key != "type" && key != "symbol" && key != "blocks" && key != "style" &&
        key != "comment") {
      r.Problem(key, "unknown key");
    }
  }
  auto style = root.find("style");
  if (style != root.end()) {
    if (style->is_object()) {
      r.Style(*style, &kind.style);
    } else {
      r.Problem("style", "must be an object");
    }
  }
  auto blocks = root.find("blocks");
  if (blocks == root.end() || !blocks->is_array() || blocks->empty() ||
      blocks->size() > kMaxBlocks) {
    r.Problem("blocks", absl::StrCat("must be an array of 1 to ", kMaxBlocks, " blocks"));
  } else {
    for (size_t i = 0; i < blocks->size(); ++i) {
      r.ReadBlock((*blocks)[i], absl::StrCat("blocks[", i, "]"), &kind.blocks);
    }
    int signatures = 0;
    for (const Block& b : kind.blocks) signatures += b.type == BlockType::kSignature;
    if (signatures != 1) r.Problem("blocks", "needs exactly one signature block");
  }
  if (!r.problems().empty()) {
    return Error(ErrorCode::kKindInvalid,
                 absl::StrCat(id, ": ", absl::StrJoin(r.problems(), "; ")));
  }
  return kind;
}

absl::StatusOr<DocumentKind> LoadKind(const std::string& dir, const std::string& id) {
  if (!IsKindId(id)) {
    return Error(ErrorCode::kKindUnknown,
                 "tên loại văn bản chỉ gồm a-z, 0-9, '-', '_' / a kind name is a-z, 0-9, '-', '_'");
  }
  const std::string path = dir + "/" + id + ".json";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorCode::kKindUnknown,
                 absl::StrCat(id, " (có / available: ", absl::StrJoin(ListKinds(dir), ", "), ")"));
  }
  std::string text;
  text.resize(kMaxKindBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxKindBytes) {
    return Error(ErrorCode::kKindInvalid, absl::StrCat(path, " is larger than ", kMaxKindBytes));
  }
  return ParseKindJson(id, text);
}

std::vector<std::string> ListKinds(const std::string& dir) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::filesystem::path& p = entry.path();
    if (p.extension() == ".json" && IsKindId(p.stem().string())) ids.push_back(p.stem().string());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string DefaultKindsDir() {
  if (const char* dir = std::getenv("TAICHO_KINDS_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return installation::DataDir() + "/kinds";
}

}  // namespace taicho::render
