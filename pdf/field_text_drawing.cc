#include "pdf/field_text_drawing.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "errors/error.h"
#include "pdf/appearance_objects.h"
#include "pdf/drawn_cache.h"
#include "pdf/pdf_text.h"
#include "pdf/podofo_boundary.h"
#include "pdf/subset_font.h"

namespace taicho::pdf {
namespace {

constexpr double kPadding = kAppearancePadding;

// The ten digits and every other code point of `values` (NFC), each once and in order, as UTF-8:
// the glyphs of a group's subset. The issue number and date lines differ from seal to seal only
// in their digits, so this, and the subset made from it, is the same for every seal of a kind.
std::string SubsetText(const std::vector<std::string>& values) {
  std::set<UChar32> code_points;
  for (char c = '0'; c <= '9'; ++c) code_points.insert(c);
  for (const std::string& value : values) {
    const auto* s = reinterpret_cast<const uint8_t*>(value.data());
    const int32_t n = static_cast<int32_t>(value.size());
    for (int32_t i = 0; i < n;) {
      UChar32 c = 0;
      U8_NEXT(s, i, n, c);
      code_points.insert(c < 0 ? 0xFFFD : c);
    }
  }
  std::string out;
  for (UChar32 c : code_points) {
    uint8_t buffer[U8_MAX_LENGTH];
    int32_t length = 0;
    U8_APPEND_UNSAFE(buffer, length, c);
    out.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(length));
  }
  return out;
}

// The Form XObject of a field's text, written directly: the codes are the glyph ids of `file` (as
// SubsetFont::Show writes them), shown in the font `font_number` of the update. x by the field's
// /Q; the baseline where the surrounding line's is (the blank was cut from that line, one leading
// high, with the text's descent below the baseline). Reals as PoDoFo's painter wrote them: fixed
// notation (PDF has no exponents), 3 decimals. kPdfUnsupported when the font lacks a character.
absl::StatusOr<std::string> TextXObject(const FontFile& file, const FieldText& text,
                                        const std::string& value, Size size, int64_t font_number) {
  std::string hex;
  double em = 0;
  const auto* s = reinterpret_cast<const uint8_t*>(value.data());
  const int32_t n = static_cast<int32_t>(value.size());
  for (int32_t i = 0; i < n;) {
    UChar32 c = 0;
    U8_NEXT(s, i, n, c);
    const uint32_t glyph = c < 0 || c > 0xFFFF ? 0 : file.Glyph(static_cast<char32_t>(c));
    if (glyph == 0 || glyph > 0xFFFF) {
      return Error(ErrorCode::kPdfUnsupported,
                   absl::StrCat("phông chữ thiếu ký tự / the font lacks a character of: ", value));
    }
    em += file.Advance(glyph);
    absl::StrAppendFormat(&hex, "%04X", glyph);
  }
  const double width = em * text.font_size / 1000;
  double x = kPadding;  // /Q 0: left
  if (text.alignment == 1) x = (size.width - width) / 2;
  if (text.alignment == 2) x = size.width - kPadding - width;
  const double descent = -file.descent() * text.font_size / 1000;
  const double text_height = file.ascent() * text.font_size / 1000 + descent;
  const double baseline = (size.height - text_height) / 2 + descent;
  const std::string content = absl::StrFormat(
      "0 0 0 rg\nBT\n/F1 %.3f Tf\n%.3f %.3f Td <%s> Tj\nET\n", text.font_size, x, baseline, hex);
  return absl::StrFormat(
      "<</Type/XObject/Subtype/Form/FormType 1/BBox[0 0 %.3f %.3f]/Matrix[1 0 0 1 0 0]"
      "/Resources<</Font<</F1 %d 0 R>>/ProcSet[/PDF/Text]>>/Length %d>>\nstream\n%s\nendstream",
      size.width, size.height, font_number, content.size(), content);
}

// One group (one font file and size): the fields' XObjects written directly, then the font, a
// HarfBuzz subset (subset_font.h) of the digits and the group's other characters, made once per
// font and character set and copied from its template: PoDoFo's painter and its subsetting of the
// whole font file for every seal were nearly half of a seal's CPU.
absl::Status DrawFieldGroup(const std::vector<const FieldTextDrawing*>& fields,
                            int64_t first_number, DrawingCache* drawings, DrawnFieldTexts& out) {
  const FieldText& first = fields.front()->text;
  std::vector<std::string> values;
  for (const FieldTextDrawing* field : fields) values.push_back(Nfc(field->text.value));
  const std::string subset_text = SubsetText(values);
  const std::string key = absl::StrCat("field text\n", first.font_path, "\n", subset_text);
  FontFiles fonts_once;  // without an owner: the font parsed for this fill only
  auto draw = [&]() -> absl::StatusOr<std::shared_ptr<DrawnCache::Entry>> {
    absl::StatusOr<std::shared_ptr<const FontFile>> file =
        (drawings ? drawings->fonts() : fonts_once).Open(first.font_path);
    if (!file.ok()) return file.status();
    {
      auto entry = std::make_shared<DrawnCache::Entry>();
      entry->doc = NewScratch();
      SubsetFont font(*file, &entry->doc->GetObjects());
      font.Show(subset_text);
      // Made once and copied for every seal: the smallest deflate is worth its CPU here.
      if (absl::Status st = font.Embed(9); !st.ok()) return st;
      entry->root = entry->doc->GetObjects().GetObject(font.reference());
      entry->file = *std::move(file);
      return entry;
    }
  };
  DrawnCache once;  // without an owner's cache: the same objects, drawn for this fill only
  return (drawings ? drawings->drawn() : once).With(key, draw, [&](DrawnCache::Entry& entry) {
    if (!entry.copy) {
      absl::StatusOr<ObjectsTemplate> made =
          ObjectsTemplate::Make(entry.doc->GetObjects(), entry.root);
      if (!made.ok()) return made.status();
      entry.copy = *std::move(made);
    }
    // The XObjects first, then the font's objects from the template, numbered after them.
    const int64_t font_number = first_number + static_cast<int64_t>(fields.size());
    int64_t number = first_number;
    for (size_t i = 0; i < fields.size(); ++i) {
      absl::StatusOr<std::string> xobject =
          TextXObject(*entry.file, fields[i]->text, values[i], fields[i]->size, font_number);
      if (!xobject.ok()) return xobject.status();
      out.xobject_numbers.push_back(number);
      out.objects.push_back({number, *std::move(xobject)});
      ++number;
    }
    entry.copy->Write(font_number, SubsetTag(first_number), out.objects);
    return absl::OkStatus();
  });
}

}  // namespace

absl::StatusOr<DrawnFieldTexts> DrawFieldTexts(const std::vector<FieldTextDrawing>& fields,
                                               int64_t first_number, DrawingCache* drawings) {
  // Grouped by font file and size, in order of first appearance.
  std::vector<std::vector<const FieldTextDrawing*>> groups;
  for (const FieldTextDrawing& field : fields) {
    const FieldText& t = field.text;
    if (field.size.width <= 0 || field.size.height <= 0 || t.font_size <= 0 || t.font_size > 100) {
      return Error(ErrorCode::kPdfUnsupported, "text field: empty rect or bad font size");
    }
    auto same = [&](const std::vector<const FieldTextDrawing*>& g) {
      return g.front()->text.font_path == t.font_path && g.front()->text.font_size == t.font_size;
    };
    auto it = std::find_if(groups.begin(), groups.end(), same);
    if (it == groups.end()) {
      groups.push_back({&field});
    } else {
      it->push_back(&field);
    }
  }
  DrawnFieldTexts out;  // xobject_numbers in group order until put back in field order below
  const absl::Status drawn = AtPodofoBoundary("draw field text", [&] {
    for (const auto& group : groups) {
      const int64_t next = first_number + static_cast<int64_t>(out.objects.size());
      absl::Status st = DrawFieldGroup(group, next, drawings, out);
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  });
  if (!drawn.ok()) return drawn;
  std::vector<int64_t> by_field(fields.size());
  size_t k = 0;
  for (const auto& group : groups) {
    for (const FieldTextDrawing* field : group) {
      by_field[static_cast<size_t>(field - fields.data())] = out.xobject_numbers[k++];
    }
  }
  out.xobject_numbers = std::move(by_field);
  return out;
}

}  // namespace taicho::pdf
