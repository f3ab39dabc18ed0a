#include "pdf/appearance_builder.h"

#include <podofo/podofo.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/pdf_text.h"
#include "pdf/png_image_cache.h"
#include "pdf/podofo_document.h"

namespace taicho::pdf {
namespace {

using PoDoFo::PdfArray;
using PoDoFo::PdfDictionary;
using PoDoFo::PdfName;
using PoDoFo::PdfObject;
using PoDoFo::PdfReference;

constexpr double kPointsPerMm = 72.0 / 25.4;
constexpr double kCaptionMaxSize = 7;  // officer caption: small, under the image
constexpr double kCaptionMinSize = 4;
constexpr double kPadding = 1;  // points between a text block and its rect

uint32_t BigEndian32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3]));
}

// A fresh document to draw in; its objects are copied out, renumbered, and it is thrown away.
std::unique_ptr<PoDoFo::PdfMemDocument> NewScratch() {
  InitPodofo();
  auto doc = std::make_unique<PoDoFo::PdfMemDocument>();
  doc->SetPdfVersion(PoDoFo::ePdfVersion_1_7);
  return doc;
}

absl::StatusOr<PoDoFo::PdfFont*> LoadFont(PoDoFo::PdfMemDocument& doc, const std::string& font_path,
                                          double size) {
  if (!std::ifstream(font_path, std::ios::binary)) {
    return Error(ErrorCode::kIo,
                 absl::StrCat("không đọc được phông chữ / cannot read the font: ", font_path));
  }
  // A subset with Identity-H: Vietnamese letters need 2-byte codes, and PoDoFo writes a
  // ToUnicode map for it so the text stays extractable.
  PoDoFo::PdfFont* font = doc.CreateFontSubset(
      "LiberationSerif", false, false, false,
      PoDoFo::PdfEncodingFactory::GlobalIdentityEncodingInstance(), font_path.c_str());
  if (font == nullptr) {
    return Error(ErrorCode::kIo,
                 absl::StrCat("phông chữ không dùng được / unusable font: ", font_path));
  }
  font->SetFontSize(static_cast<float>(size));
  return font;
}

double TextWidth(PoDoFo::PdfFont* font, const std::string& utf8) {
  return font->GetFontMetrics()->StringWidth(PdfText(utf8));
}

// The attachment block: the main document's number and symbol, then the signing time.
std::vector<std::string> AttachmentLines(const AppearanceSpec& spec, const std::string& time_iso) {
  return {Nfc(spec.document_number), time_iso};
}

Size AttachmentSize(PoDoFo::PdfFont* font, const AppearanceSpec& spec,
                    const std::vector<std::string>& lines) {
  double width = 0;
  for (const std::string& line : lines) width = std::max(width, TextWidth(font, line));
  // First baseline 0.9 em under the top, then 1.2 em per line, and room for descenders.
  const double height =
      spec.font_size * (0.9 + 1.2 * static_cast<double>(lines.size() - 1) + 0.3) + 2 * kPadding;
  return {width + 2 * kPadding, height};
}

// "T" and five letters from the first object number of the update: unique within the file (each
// update numbers its new objects above every earlier one) and never PoDoFo's own "AAAAAA"-style
// tags, which start with A.
std::string SubsetTag(int64_t number) {
  std::string tag = "T?????";
  for (int i = 5; i >= 1; --i) {
    tag[static_cast<size_t>(i)] = static_cast<char>('A' + number % 26);
    number /= 26;
  }
  return tag;
}

bool HasSubsetTag(const std::string& name) {
  if (name.size() < 8 || name[6] != '+') return false;
  return std::all_of(name.begin(), name.begin() + 6, [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Copies the objects reachable from `root` out of the scratch document with new numbers.
class Renumberer {
 public:
  Renumberer(PoDoFo::PdfVecObjects& objects, int64_t first_number)
      : objects_(objects), next_(first_number), tag_(SubsetTag(first_number)) {}

  absl::Status Collect(PdfObject* root) {
    Number(root->Reference());
    std::deque<PdfObject*> queue{root};
    while (!queue.empty()) {
      PdfObject* object = queue.front();
      queue.pop_front();
      order_.push_back(object);
      std::vector<PdfReference> refs;
      FindReferences(*object, refs);
      for (const PdfReference& ref : refs) {
        if (numbers_.count(ref)) continue;
        PdfObject* target = objects_.GetObject(ref);
        if (target == nullptr) return Error(ErrorCode::kInternal, "appearance: dangling ref");
        Number(ref);
        queue.push_back(target);
      }
    }
    return absl::OkStatus();
  }

  std::vector<NumberedObject> Serialize() const {
    std::vector<NumberedObject> out;
    for (PdfObject* object : order_) {
      PdfObject copy = Remap(*object, "");
      std::string body;
      if (object->HasStream()) {
        // Scratch documents keep streams in memory, already encoded with their /Filter.
        const auto* stream = dynamic_cast<const PoDoFo::PdfMemStream*>(object->GetStream());
        const std::string data =
            stream ? std::string(stream->Get(), static_cast<size_t>(stream->GetLength()))
                   : std::string();
        copy.GetDictionary().AddKey("Length", static_cast<PoDoFo::pdf_int64>(data.size()));
        body = absl::StrCat(pdf::Serialize(copy), "\nstream\n", data, "\nendstream");
      } else {
        body = pdf::Serialize(copy);
      }
      out.push_back({numbers_.at(object->Reference()), std::move(body)});
    }
    return out;
  }

  int64_t NumberOf(const PdfReference& ref) const { return numbers_.at(ref); }

 private:
  void Number(const PdfReference& ref) { numbers_[ref] = next_++; }

  static void FindReferences(const PdfObject& o, std::vector<PdfReference>& out) {
    if (o.IsReference()) {
      out.push_back(o.GetReference());
    } else if (o.IsArray()) {
      for (const PdfObject& item : o.GetArray()) FindReferences(item, out);
    } else if (o.IsDictionary()) {
      for (const auto& [key, value] : o.GetDictionary().GetKeys()) FindReferences(*value, out);
    }
  }

  PdfObject Remap(const PdfObject& o, const std::string& key) const {
    if (o.IsReference()) {
      return PdfObject(PdfReference(static_cast<uint32_t>(numbers_.at(o.GetReference())), 0));
    }
    if (o.IsArray()) {
      PdfArray array;
      for (const PdfObject& item : o.GetArray()) array.push_back(Remap(item, ""));
      return PdfObject(array);
    }
    if (o.IsDictionary()) {
      PdfDictionary dict;
      for (const auto& [name, value] : o.GetDictionary().GetKeys()) {
        dict.AddKey(name, Remap(*value, name.GetName()));
      }
      return PdfObject(dict);
    }
    // Every update's subset would otherwise be "AAAAAA+…": two different subsets under one name.
    if (o.IsName() && (key == "BaseFont" || key == "FontName") &&
        HasSubsetTag(o.GetName().GetName())) {
      return PdfObject(PdfName(tag_ + o.GetName().GetName().substr(6)));
    }
    return o;
  }

  PoDoFo::PdfVecObjects& objects_;
  int64_t next_;
  std::string tag_;
  std::map<PdfReference, int64_t> numbers_;
  std::vector<PdfObject*> order_;
};

// Scales `image` (pixels) to `target` width and height in points, at (x, y).
void PlaceImage(PoDoFo::PdfPainter& painter, PoDoFo::PdfImage& image, double x, double y,
                double width, double height) {
  painter.DrawImage(x, y, &image, width / image.GetWidth(), height / image.GetHeight());
}

absl::Status DrawOfficer(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfPainter& painter,
                         const AppearanceSpec& spec, Size size, const AppearanceText& text,
                         PoDoFo::PdfImage& image) {
  double image_bottom = 0;
  if (spec.caption) {
    absl::StatusOr<PoDoFo::PdfFont*> font = LoadFont(doc, spec.font_path, kCaptionMaxSize);
    if (!font.ok()) return font.status();
    const std::string caption = absl::StrCat(Nfc(text.signer_name), " ", text.time_iso);
    // Shrink to the rect's width, down to a still legible size.
    double font_size = kCaptionMaxSize;
    const double width_at_max = TextWidth(*font, caption);
    if (width_at_max > size.width - 2 * kPadding) {
      font_size =
          std::max(kCaptionMinSize, kCaptionMaxSize * (size.width - 2 * kPadding) / width_at_max);
      (*font)->SetFontSize(static_cast<float>(font_size));
    }
    const double width = TextWidth(*font, caption);
    painter.SetFont(*font);
    painter.SetColor(0, 0, 0);
    painter.DrawText(std::max(0.0, (size.width - width) / 2), kPadding + 0.25 * font_size,
                     PdfText(caption));
    image_bottom = kPadding + 1.3 * font_size;
  }
  const double area_w = size.width, area_h = size.height - image_bottom;
  if (area_h <= 0) return Error(ErrorCode::kUsage, "signature rect too small for its caption");
  const double scale = std::min(area_w / image.GetWidth(), area_h / image.GetHeight());
  const double w = image.GetWidth() * scale, h = image.GetHeight() * scale;
  PlaceImage(painter, image, (area_w - w) / 2, image_bottom + (area_h - h) / 2, w, h);
  return absl::OkStatus();
}

// Embeds the font subsets (PdfMemDocument::Write would) and copies the XObject and everything
// it uses out of the scratch document, numbered from `first_number`.
absl::StatusOr<DrawnAppearance> CopyOut(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfXObject& xobject,
                                        int64_t first_number) {
  doc.EmbedSubsetFonts();
  Renumberer renumberer(doc.GetObjects(), first_number);
  absl::Status st = renumberer.Collect(xobject.GetObject());
  if (!st.ok()) return st;
  DrawnAppearance out;
  out.xobject_number = renumberer.NumberOf(xobject.GetObject()->Reference());
  out.objects = renumberer.Serialize();
  return out;
}

}  // namespace

namespace {

// `path` names the image in errors.
absl::StatusOr<PngFile> ParsePng(std::string bytes, const std::string& path) {
  PngFile png;
  png.bytes = std::move(bytes);
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  if (png.bytes.size() < 33 || png.bytes.compare(0, 8, kSignature) != 0 ||
      png.bytes.compare(12, 4, "IHDR") != 0) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("tệp ảnh không phải PNG / the image is not a PNG: ", path));
  }
  png.width = BigEndian32(png.bytes, 16);
  png.height = BigEndian32(png.bytes, 20);
  const int bit_depth = static_cast<uint8_t>(png.bytes[24]);
  // PoDoFo 0.9.8 masks palette images below 8 bits wrongly; 16-bit is not worth the risk.
  if (png.width == 0 || png.height == 0 || png.width > 10000 || png.height > 10000 ||
      bit_depth != 8) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("ảnh PNG phải 8 bit/kênh, tối đa 10000 điểm ảnh mỗi chiều / the "
                              "PNG must be 8 bits per channel and at most 10000 px a side: ",
                              path));
  }
  return png;
}

}  // namespace

absl::StatusOr<PngFile> ReadPng(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorCode::kIo,
                 absl::StrCat("không đọc được tệp ảnh / cannot read the image: ", path));
  }
  return ParsePng(std::string(std::istreambuf_iterator<char>(in), {}), path);
}

absl::StatusOr<PngFile> SpecPng(const AppearanceSpec& spec) {
  if (spec.image_png != nullptr) {
    return ParsePng(*spec.image_png, spec.image_path.empty() ? "image_png" : spec.image_path);
  }
  return ReadPng(spec.image_path);
}

absl::StatusOr<Size> MinimumAppearanceSize(const AppearanceSpec& spec,
                                           const std::string& time_iso) {
  switch (spec.kind) {
    case AppearanceKind::kSeal: {
      absl::StatusOr<PngFile> png = SpecPng(spec);
      if (!png.ok()) return png.status();
      const double d = spec.seal_diameter_mm * kPointsPerMm;
      return Size{d, d * png->height / png->width};
    }
    case AppearanceKind::kAttachment:
      try {
        auto doc = NewScratch();
        absl::StatusOr<PoDoFo::PdfFont*> font = LoadFont(*doc, spec.font_path, spec.font_size);
        if (!font.ok()) return font.status();
        return AttachmentSize(*font, spec, AttachmentLines(spec, time_iso));
      } catch (const PoDoFo::PdfError& e) {
        return FromPodofoError(e, "measure appearance text");
      }
    default:
      return Size{};
  }
}

absl::StatusOr<DrawnAppearance> DrawAppearance(const AppearanceSpec& spec, Size size,
                                               const AppearanceText& text, int64_t first_number) {
  if (spec.kind == AppearanceKind::kNone || size.width <= 0 || size.height <= 0) {
    return Error(ErrorCode::kUsage, "nothing to draw: no appearance or an empty rect");
  }
  PngFile png;
  if (spec.kind != AppearanceKind::kAttachment) {
    absl::StatusOr<PngFile> read = SpecPng(spec);
    if (!read.ok()) return read.status();
    png = *std::move(read);
  }
  try {
    auto doc = NewScratch();
    PoDoFo::PdfXObject xobject(PoDoFo::PdfRect(0, 0, size.width, size.height), doc.get());
    PoDoFo::PdfPainter painter;
    painter.SetPage(&xobject);
    std::unique_ptr<PoDoFo::PdfImage> image;
    if (!png.bytes.empty()) {
      try {
        image = LoadPngImage(*doc, png.bytes);  // encoded once per PNG, then reused
      } catch (const PoDoFo::PdfError&) {
        painter.FinishPage();
        return Error(ErrorCode::kUsage,
                     absl::StrCat("không giải mã được ảnh PNG / the PNG cannot be decoded: ",
                                  spec.image_path));
      }
    }
    absl::Status drawn;
    if (spec.kind == AppearanceKind::kOfficer) {
      drawn = DrawOfficer(*doc, painter, spec, size, text, *image);
    } else if (spec.kind == AppearanceKind::kSeal) {
      // Real size, centred; the caller made the rect at least that large.
      const double w = spec.seal_diameter_mm * kPointsPerMm;
      const double h = w * image->GetHeight() / image->GetWidth();
      PlaceImage(painter, *image, (size.width - w) / 2, (size.height - h) / 2, w, h);
    } else {
      absl::StatusOr<PoDoFo::PdfFont*> font = LoadFont(*doc, spec.font_path, spec.font_size);
      if (!font.ok()) {
        drawn = font.status();
      } else {
        painter.SetFont(*font);
        painter.SetColor(0, 0, 0);
        double baseline = size.height - kPadding - 0.9 * spec.font_size;
        for (const std::string& line : AttachmentLines(spec, text.time_iso)) {
          // Right-aligned: the block hugs the right margin.
          painter.DrawText(size.width - kPadding - TextWidth(*font, line), baseline, PdfText(line));
          baseline -= 1.2 * spec.font_size;
        }
      }
    }
    painter.FinishPage();
    if (!drawn.ok()) return drawn;
    return CopyOut(*doc, xobject, first_number);
  } catch (const PoDoFo::PdfError& e) {
    return FromPodofoError(e, "draw appearance");
  }
}

absl::StatusOr<DrawnAppearance> DrawFieldText(const FieldText& text, Size size,
                                              int64_t first_number) {
  if (size.width <= 0 || size.height <= 0 || text.font_size <= 0 || text.font_size > 100) {
    return Error(ErrorCode::kPdfUnsupported, "text field: empty rect or bad font size");
  }
  try {
    auto doc = NewScratch();
    PoDoFo::PdfXObject xobject(PoDoFo::PdfRect(0, 0, size.width, size.height), doc.get());
    PoDoFo::PdfPainter painter;
    painter.SetPage(&xobject);
    absl::StatusOr<PoDoFo::PdfFont*> font = LoadFont(*doc, text.font_path, text.font_size);
    if (!font.ok()) {
      painter.FinishPage();
      return font.status();
    }
    const std::string value = Nfc(text.value);
    const double width = TextWidth(*font, value);
    double x = kPadding;  // /Q 0: left
    if (text.alignment == 1) x = (size.width - width) / 2;
    if (text.alignment == 2) x = size.width - kPadding - width;
    // The baseline where the surrounding line's is: the blank was cut from that line, one
    // leading high, with the text's descent below the baseline.
    const PoDoFo::PdfFontMetrics* metrics = (*font)->GetFontMetrics();
    const double descent = -metrics->GetDescent();
    const double text_height = metrics->GetAscent() + descent;
    const double baseline = (size.height - text_height) / 2 + descent;
    painter.SetFont(*font);
    painter.SetColor(0, 0, 0);
    painter.DrawText(x, baseline, PdfText(value));
    painter.FinishPage();
    return CopyOut(*doc, xobject, first_number);
  } catch (const PoDoFo::PdfError& e) {
    return FromPodofoError(e, "draw field text");
  }
}

}  // namespace taicho::pdf
