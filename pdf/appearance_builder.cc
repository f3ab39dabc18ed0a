#include "pdf/appearance_builder.h"

#include <podofo/podofo.h>

#include <algorithm>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/drawn_cache.h"
#include "pdf/pdf_text.h"
#include "pdf/png_image_cache.h"
#include "pdf/podofo_boundary.h"

namespace taicho::pdf {
namespace {

constexpr double kCaptionMaxSize = 7;  // officer caption: small, under the image
constexpr double kCaptionMinSize = 4;
constexpr double kPadding = kAppearancePadding;

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

}  // namespace

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
      return AtPodofoBoundary("measure appearance text", [&]() -> absl::StatusOr<Size> {
        auto doc = NewScratch();
        absl::StatusOr<PoDoFo::PdfFont*> font = LoadFont(*doc, spec.font_path, spec.font_size);
        if (!font.ok()) return font.status();
        return AttachmentSize(*font, spec, AttachmentLines(spec, time_iso));
      });
    default:
      return Size{};
  }
}

absl::StatusOr<DrawnAppearance> DrawAppearance(const AppearanceSpec& spec, Size size,
                                               const AppearanceText& text, int64_t first_number,
                                               DrawingCache* drawings) {
  if (spec.kind == AppearanceKind::kNone || size.width <= 0 || size.height <= 0) {
    return Error(ErrorCode::kUsage, "nothing to draw: no appearance or an empty rect");
  }
  PngFile png;
  if (spec.kind != AppearanceKind::kAttachment) {
    absl::StatusOr<PngFile> read = SpecPng(spec);
    if (!read.ok()) return read.status();
    png = *std::move(read);
  }
  return AtPodofoBoundary("draw appearance", [&]() -> absl::StatusOr<DrawnAppearance> {
    auto draw = [&]() -> absl::StatusOr<std::shared_ptr<DrawnCache::Entry>> {
      {
        auto entry = std::make_shared<DrawnCache::Entry>();
        entry->doc = NewScratch();
        PoDoFo::PdfMemDocument* doc = entry->doc.get();
        PoDoFo::PdfXObject xobject(PoDoFo::PdfRect(0, 0, size.width, size.height), doc);
        entry->root = xobject.GetObject();
        PoDoFo::PdfPainter painter;
        painter.SetPage(&xobject);
        std::unique_ptr<PoDoFo::PdfImage> image;
        if (png.bytes != nullptr) {
          const absl::Status decoded = AtPodofoBoundary("decode PNG", [&] {
            image = LoadPngImage(*doc, *png.bytes, drawings ? &drawings->images() : nullptr);
            return absl::OkStatus();
          });
          if (!decoded.ok()) {
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
              painter.DrawText(size.width - kPadding - TextWidth(*font, line), baseline,
                               PdfText(line));
              baseline -= 1.2 * spec.font_size;
            }
          }
        }
        painter.FinishPage();
        if (!drawn.ok()) return drawn;
        doc->EmbedSubsetFonts();
        return entry;
      }
    };
    if (spec.kind == AppearanceKind::kSeal) {
      // A seal shows its image only: the same drawing for every seal with this image and size.
      const std::string key = absl::StrCat("seal\n", size.width, "\n", size.height, "\n",
                                           spec.seal_diameter_mm, "\n", *png.bytes);
      // Without an owner's cache, a cache for this one drawing: the same objects either way.
      DrawnCache once;
      return (drawings ? drawings->drawn() : once).CopyOut(key, first_number, draw);
    }
    absl::StatusOr<std::shared_ptr<DrawnCache::Entry>> drawn = draw();
    if (!drawn.ok()) return drawn.status();
    return CopyObjects(*(*drawn)->doc, (*drawn)->root, first_number);
  });
}

}  // namespace taicho::pdf
