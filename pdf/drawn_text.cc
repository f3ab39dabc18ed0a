#include "pdf/drawn_text.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "pdf/podofo_boundary.h"

namespace taicho::pdf {
namespace {

using PoDoFo::PdfObject;

constexpr int kMaxDepth = 2;             // a field's appearance and the forms it draws
constexpr size_t kMaxStream = 1u << 20;  // appearance streams are small; larger: not judged

const PdfObject* Resolve(PoDoFo::PdfVecObjects& objects, const PdfObject* o) {
  for (int i = 0; o != nullptr && o->IsReference() && i < 8; ++i) {
    o = objects.GetObject(o->GetReference());
  }
  return o != nullptr && !o->IsReference() ? o : nullptr;
}

const PdfObject* Key(PoDoFo::PdfVecObjects& objects, const PdfObject* dict, const char* key) {
  if (dict == nullptr || !dict->IsDictionary()) return nullptr;
  return Resolve(objects, dict->GetDictionary().GetKey(key));
}

}  // namespace

std::optional<std::string> DecodedStream(const PdfObject* stream) {
  if (stream == nullptr || !stream->HasStream()) return std::nullopt;
  char* buffer = nullptr;
  PoDoFo::pdf_long length = 0;
  const absl::Status copied = AtPodofoBoundary("decode stream", [&] {
    stream->GetStream()->GetFilteredCopy(&buffer, &length);
    return absl::OkStatus();
  });
  if (!copied.ok()) return std::nullopt;  // a stream we cannot decode shows no text
  std::unique_ptr<char, void (*)(void*)> owned(buffer, PoDoFo::podofo_free);
  if (length < 0 || static_cast<size_t>(length) > kMaxStream) return std::nullopt;
  return std::string(buffer, static_cast<size_t>(length));
}

namespace {

// A literal "(…)" or a hex "<…>" string: PoDoFo 0.9.8 tells them apart (IsString() is only the
// literal), PDF does not; PoDoFo itself writes ToUnicode maps and shown text as hex strings.
bool IsText(const PoDoFo::PdfVariant& v) { return v.IsString() || v.IsHexString(); }

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// UTF-16BE bytes as UTF-8.
std::string Utf16ToUtf8(const std::string& bytes) {
  std::string out;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
    uint32_t unit = (static_cast<uint8_t>(bytes[i]) << 8) | static_cast<uint8_t>(bytes[i + 1]);
    if (unit >= 0xD800 && unit < 0xDC00 && i + 3 < bytes.size()) {
      const uint32_t low =
          (static_cast<uint8_t>(bytes[i + 2]) << 8) | static_cast<uint8_t>(bytes[i + 3]);
      unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
      i += 2;
    }
    AppendUtf8(unit, out);
  }
  return out;
}

uint32_t CodeOf(const std::string& bytes) {
  uint32_t code = 0;
  for (unsigned char c : bytes) code = (code << 8) | c;
  return code;
}

// A ToUnicode CMap's bfchar and bfrange entries (ISO 32000-1 §9.10.3), code → UTF-8.
class UnicodeMap {
 public:
  bool Parse(const std::string& cmap) {
    PoDoFo::PdfContentsTokenizer tokens(cmap.data(), static_cast<long>(cmap.size()));
    std::vector<PoDoFo::PdfVariant> operands;
    PoDoFo::EPdfContentsType type;
    const char* keyword = nullptr;
    PoDoFo::PdfVariant variant;
    std::string mode;
    // Unreadable tokens read as "no text", as any other failure here.
    const absl::StatusOr<bool> read = AtPodofoBoundary("read CMap", [&]() -> absl::StatusOr<bool> {
      while (tokens.ReadNext(type, keyword, variant)) {
        if (type == PoDoFo::ePdfContentsType_Variant) {
          if (!mode.empty()) operands.push_back(variant);
          continue;
        }
        const std::string word = keyword;
        if (word == "beginbfchar" || word == "beginbfrange") {
          mode = word;
          operands.clear();
        } else if (word == "endbfchar") {
          for (size_t i = 0; i + 1 < operands.size(); i += 2) {
            if (!IsText(operands[i]) || !IsText(operands[i + 1])) return false;
            map_[CodeOf(Raw(operands[i]))] = Utf16ToUtf8(Raw(operands[i + 1]));
          }
          mode.clear();
        } else if (word == "endbfrange") {
          for (size_t i = 0; i + 2 < operands.size(); i += 3) {
            if (!Range(operands[i], operands[i + 1], operands[i + 2])) return false;
          }
          mode.clear();
        }
      }
      return !map_.empty();
    });
    return read.ok() && *read;
  }

  std::optional<std::string> Map(uint32_t code) const {
    auto it = map_.find(code);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }

 private:
  static std::string Raw(const PoDoFo::PdfVariant& v) {
    const PoDoFo::PdfString& s = v.GetString();
    return std::string(s.GetString(), s.GetLength());
  }

  bool Range(const PoDoFo::PdfVariant& lo, const PoDoFo::PdfVariant& hi,
             const PoDoFo::PdfVariant& dst) {
    if (!IsText(lo) || !IsText(hi)) return false;
    const uint32_t first = CodeOf(Raw(lo)), last = CodeOf(Raw(hi));
    if (last < first || last - first > 0xFFFF) return false;
    if (dst.IsArray()) {
      const PoDoFo::PdfArray& a = dst.GetArray();
      for (uint32_t c = first; c <= last && c - first < a.size(); ++c) {
        if (!IsText(a[c - first])) return false;
        map_[c] = Utf16ToUtf8(Raw(a[c - first]));
      }
      return true;
    }
    if (!IsText(dst)) return false;
    std::string base = Raw(dst);
    if (base.size() < 2) return false;
    for (uint32_t c = first; c <= last; ++c) {
      map_[c] = Utf16ToUtf8(base);
      // The last byte counts up through the range.
      base.back() = static_cast<char>(static_cast<uint8_t>(base.back()) + 1);
    }
    return true;
  }

  std::map<uint32_t, std::string> map_;
};

struct Font {
  int code_bytes = 1;
  bool has_map = false;
  UnicodeMap map;
};

class Reader {
 public:
  explicit Reader(PoDoFo::PdfVecObjects& objects) : objects_(objects) {}

  // With `placed`, each string shown is also noted with where it starts (ReadPlaced).
  Reader(PoDoFo::PdfVecObjects& objects, std::vector<PlacedText>* placed)
      : objects_(objects), placed_(placed) {}

  bool Read(const PdfObject* xobject, int depth, std::string& out) {
    if (depth > kMaxDepth || xobject == nullptr || !xobject->IsDictionary()) return false;
    const std::optional<std::string> content = DecodedStream(xobject);
    if (!content) return false;
    return ReadContent(*content, Key(objects_, xobject, "Resources"), depth, out);
  }

  bool ReadContent(const std::string& content, const PdfObject* resources, int depth,
                   std::string& out) {
    PoDoFo::PdfContentsTokenizer tokens(content.data(), static_cast<long>(content.size()));
    std::vector<PoDoFo::PdfVariant> operands;
    PoDoFo::EPdfContentsType type;
    const char* keyword = nullptr;
    PoDoFo::PdfVariant variant;
    const Font* font = nullptr;
    // Unreadable tokens read as "no text", as any other failure here.
    const absl::StatusOr<bool> read =
        AtPodofoBoundary("read content stream", [&]() -> absl::StatusOr<bool> {
          while (tokens.ReadNext(type, keyword, variant)) {
            if (type == PoDoFo::ePdfContentsType_Variant) {
              operands.push_back(variant);
              continue;
            }
            if (type != PoDoFo::ePdfContentsType_Keyword) continue;
            const std::string op = keyword;
            if (placed_ != nullptr) Position(op, operands);
            if (op == "Tf" && operands.size() >= 2 && operands[operands.size() - 2].IsName()) {
              font = FontNamed(resources, operands[operands.size() - 2].GetName().GetName());
              if (font == nullptr) return false;
            } else if (op == "Tj" || op == "'" || op == "\"") {
              if (operands.empty() || !IsText(operands.back()) || font == nullptr) return false;
              const size_t before = out.size();
              if (!Show(*font, operands.back().GetString(), out)) return false;
              Place(out.substr(before));
            } else if (op == "TJ") {
              if (operands.empty() || !operands.back().IsArray() || font == nullptr) return false;
              const size_t before = out.size();
              for (const PdfObject& item : operands.back().GetArray()) {
                if (IsText(item) && !Show(*font, item.GetString(), out)) return false;
              }
              Place(out.substr(before));
            } else if (op == "Do" && placed_ == nullptr && !operands.empty() &&
                       operands.back().IsName()) {
              const PdfObject* forms = Key(objects_, resources, "XObject");
              const PdfObject* form =
                  Key(objects_, forms, operands.back().GetName().GetName().c_str());
              const PdfObject* subtype = Key(objects_, form, "Subtype");
              if (subtype != nullptr && subtype->IsName() && subtype->GetName() == "Form" &&
                  !Read(form, depth + 1, out)) {
                return false;
              }
            }
            operands.clear();
          }
          return true;
        });
    return read.ok() && *read;
  }

 private:
  // Affine matrices [a b c d e f] (ISO 32000-1 §8.3.4); Multiply(m, n) is m × n.
  using Matrix = std::array<double, 6>;
  static constexpr Matrix kIdentity = {1, 0, 0, 1, 0, 0};
  static Matrix Multiply(const Matrix& m, const Matrix& n) {
    return {m[0] * n[0] + m[1] * n[2],        m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2],        m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]};
  }
  static bool Numbers(const std::vector<PoDoFo::PdfVariant>& operands, size_t n, double* v) {
    if (operands.size() < n) return false;
    for (size_t i = 0; i < n; ++i) {
      const PoDoFo::PdfVariant& o = operands[operands.size() - n + i];
      if (!o.IsNumber() && !o.IsReal()) return false;
      v[i] = o.GetReal();
    }
    return true;
  }

  // The text and graphics state operators that move where text starts (no glyph advances: a
  // string's start is what ReadPlaced reports).
  void Position(const std::string& op, const std::vector<PoDoFo::PdfVariant>& operands) {
    double v[6];
    if (op == "q") {
      ctm_stack_.push_back(ctm_);
    } else if (op == "Q" && !ctm_stack_.empty()) {
      ctm_ = ctm_stack_.back();
      ctm_stack_.pop_back();
    } else if (op == "cm" && Numbers(operands, 6, v)) {
      ctm_ = Multiply({v[0], v[1], v[2], v[3], v[4], v[5]}, ctm_);
    } else if (op == "BT") {
      tm_ = tlm_ = kIdentity;
    } else if ((op == "Td" || op == "TD") && Numbers(operands, 2, v)) {
      if (op == "TD") leading_ = -v[1];
      tm_ = tlm_ = Multiply({1, 0, 0, 1, v[0], v[1]}, tlm_);
    } else if (op == "Tm" && Numbers(operands, 6, v)) {
      tm_ = tlm_ = {v[0], v[1], v[2], v[3], v[4], v[5]};
    } else if (op == "TL" && Numbers(operands, 1, v)) {
      leading_ = v[0];
    } else if (op == "T*" || op == "'" || op == "\"") {
      tm_ = tlm_ = Multiply({1, 0, 0, 1, 0, -leading_}, tlm_);
    } else if (op == "Tf" && Numbers(operands, 1, v)) {
      size_ = v[0];
    }
  }

  void Place(const std::string& text) {
    if (placed_ == nullptr || text.empty()) return;
    const Matrix m = Multiply(tm_, ctm_);
    placed_->push_back({m[4], m[5], size_ * std::abs(m[3] != 0 ? m[3] : m[1]), text});
  }

  const Font* FontNamed(const PdfObject* resources, const std::string& name) {
    const PdfObject* fonts = Key(objects_, resources, "Font");
    const PdfObject* dict = Key(objects_, fonts, name.c_str());
    if (dict == nullptr || !dict->IsDictionary()) return nullptr;
    auto [it, added] = fonts_.try_emplace(dict);
    Font& font = it->second;
    if (!added) return &font;
    const PdfObject* subtype = Key(objects_, dict, "Subtype");
    font.code_bytes =
        subtype != nullptr && subtype->IsName() && subtype->GetName() == "Type0" ? 2 : 1;
    if (const std::optional<std::string> cmap = DecodedStream(Key(objects_, dict, "ToUnicode"))) {
      font.has_map = font.map.Parse(*cmap);
    }
    // A composite font's codes mean nothing without its map.
    if (font.code_bytes == 2 && !font.has_map) return nullptr;
    return &font;
  }

  static bool Show(const Font& font, const PoDoFo::PdfString& s, std::string& out) {
    const std::string bytes(s.GetString(), s.GetLength());
    if (bytes.size() % static_cast<size_t>(font.code_bytes) != 0) return false;
    for (size_t i = 0; i < bytes.size(); i += static_cast<size_t>(font.code_bytes)) {
      const uint32_t code = CodeOf(bytes.substr(i, static_cast<size_t>(font.code_bytes)));
      if (font.has_map) {
        const std::optional<std::string> text = font.map.Map(code);
        if (!text) return false;
        out += *text;
      } else {
        AppendUtf8(code, out);  // a simple font without a map: its byte, read as Latin-1
      }
    }
    return true;
  }

  PoDoFo::PdfVecObjects& objects_;
  std::map<const PdfObject*, Font> fonts_;
  std::vector<PlacedText>* placed_ = nullptr;
  Matrix ctm_ = kIdentity, tm_ = kIdentity, tlm_ = kIdentity;
  std::vector<Matrix> ctm_stack_;
  double leading_ = 0, size_ = 0;
};

}  // namespace

std::optional<std::string> DrawnText(PoDoFo::PdfVecObjects& objects, const PdfObject* xobject) {
  std::string out;
  Reader reader(objects);
  if (!reader.Read(Resolve(objects, xobject), 0, out)) return std::nullopt;
  return out;
}

std::optional<std::vector<PlacedText>> ReadPlaced(PoDoFo::PdfVecObjects& objects,
                                                  PoDoFo::PdfPage& page) {
  std::string content;
  const PdfObject* contents =
      Resolve(objects, page.GetObject()->GetDictionary().GetKey("Contents"));
  if (contents != nullptr && contents->IsArray()) {
    for (const PdfObject& part : contents->GetArray()) {
      const std::optional<std::string> bytes = DecodedStream(Resolve(objects, &part));
      if (!bytes) return std::nullopt;
      content += *bytes;
      content += '\n';
    }
  } else {
    const std::optional<std::string> bytes = DecodedStream(contents);
    if (!bytes) return std::nullopt;
    content = *bytes;
  }
  std::vector<PlacedText> placed;
  std::string text;
  Reader reader(objects, &placed);
  // Form XObjects the page draws are not read for positions: a field's appearance is the
  // field's, read by DrawnText.
  const PdfObject* resources = Resolve(objects, page.GetResources());
  if (!reader.ReadContent(content, resources, 0, text)) return std::nullopt;
  return placed;
}

std::string WithoutSpace(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f') out.push_back(c);
  }
  return out;
}

}  // namespace taicho::pdf
