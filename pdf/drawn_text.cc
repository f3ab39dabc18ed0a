#include "pdf/drawn_text.h"

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

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
  try {
    stream->GetStream()->GetFilteredCopy(&buffer, &length);
  } catch (const PoDoFo::PdfError&) {
    return std::nullopt;
  }
  std::unique_ptr<char, void (*)(void*)> owned(buffer, PoDoFo::podofo_free);
  if (length < 0 || static_cast<size_t>(length) > kMaxStream) return std::nullopt;
  return std::string(buffer, static_cast<size_t>(length));
}

namespace {

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
    try {
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
            if (!operands[i].IsString() || !operands[i + 1].IsString()) return false;
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
    } catch (const PoDoFo::PdfError&) {
      return false;
    }
    return !map_.empty();
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
    if (!lo.IsString() || !hi.IsString()) return false;
    const uint32_t first = CodeOf(Raw(lo)), last = CodeOf(Raw(hi));
    if (last < first || last - first > 0xFFFF) return false;
    if (dst.IsArray()) {
      const PoDoFo::PdfArray& a = dst.GetArray();
      for (uint32_t c = first; c <= last && c - first < a.size(); ++c) {
        if (!a[c - first].IsString()) return false;
        map_[c] = Utf16ToUtf8(Raw(a[c - first]));
      }
      return true;
    }
    if (!dst.IsString()) return false;
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

  bool Read(const PdfObject* xobject, int depth, std::string& out) {
    if (depth > kMaxDepth || xobject == nullptr || !xobject->IsDictionary()) return false;
    const std::optional<std::string> content = DecodedStream(xobject);
    if (!content) return false;
    const PdfObject* resources = Key(objects_, xobject, "Resources");
    PoDoFo::PdfContentsTokenizer tokens(content->data(), static_cast<long>(content->size()));
    std::vector<PoDoFo::PdfVariant> operands;
    PoDoFo::EPdfContentsType type;
    const char* keyword = nullptr;
    PoDoFo::PdfVariant variant;
    const Font* font = nullptr;
    try {
      while (tokens.ReadNext(type, keyword, variant)) {
        if (type == PoDoFo::ePdfContentsType_Variant) {
          operands.push_back(variant);
          continue;
        }
        if (type != PoDoFo::ePdfContentsType_Keyword) continue;
        const std::string op = keyword;
        if (op == "Tf" && operands.size() >= 2 && operands[operands.size() - 2].IsName()) {
          font = FontNamed(resources, operands[operands.size() - 2].GetName().GetName());
          if (font == nullptr) return false;
        } else if (op == "Tj" || op == "'" || op == "\"") {
          if (operands.empty() || !operands.back().IsString() || font == nullptr) return false;
          if (!Show(*font, operands.back().GetString(), out)) return false;
        } else if (op == "TJ") {
          if (operands.empty() || !operands.back().IsArray() || font == nullptr) return false;
          for (const PdfObject& item : operands.back().GetArray()) {
            if (item.IsString() && !Show(*font, item.GetString(), out)) return false;
          }
        } else if (op == "Do" && !operands.empty() && operands.back().IsName()) {
          const PdfObject* forms = Key(objects_, resources, "XObject");
          const PdfObject* form = Key(objects_, forms, operands.back().GetName().GetName().c_str());
          const PdfObject* subtype = Key(objects_, form, "Subtype");
          if (subtype != nullptr && subtype->IsName() && subtype->GetName() == "Form" &&
              !Read(form, depth + 1, out)) {
            return false;
          }
        }
        operands.clear();
      }
    } catch (const PoDoFo::PdfError&) {
      return false;
    }
    return true;
  }

 private:
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
};

}  // namespace

std::optional<std::string> DrawnText(PoDoFo::PdfVecObjects& objects, const PdfObject* xobject) {
  std::string out;
  Reader reader(objects);
  if (!reader.Read(Resolve(objects, xobject), 0, out)) return std::nullopt;
  return out;
}

std::string WithoutSpace(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f') out.push_back(c);
  }
  return out;
}

}  // namespace taicho::pdf
