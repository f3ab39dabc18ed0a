#include "tests/support/raster.h"

#include <cairo.h>

#include <cstdlib>
#include <memory>

#include "tests/support/pki_fixture.h"

namespace taicho::testing {

std::optional<RgbImage> LoadPng(const std::string& path) {
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_image_surface_create_from_png(path.c_str()), &cairo_surface_destroy);
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) return std::nullopt;
  cairo_surface_flush(surface.get());
  const cairo_format_t format = cairo_image_surface_get_format(surface.get());
  RgbImage image;
  image.width = cairo_image_surface_get_width(surface.get());
  image.height = cairo_image_surface_get_height(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  image.rgb.resize(static_cast<size_t>(image.width) * image.height * 3);
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      uint8_t* out = &image.rgb[(static_cast<size_t>(y) * image.width + x) * 3];
      if (format == CAIRO_FORMAT_A8) {
        out[0] = out[1] = out[2] = static_cast<uint8_t>(255 - data[y * stride + x]);
        continue;
      }
      // ARGB32/RGB24: native-endian 32-bit words, premultiplied alpha.
      const uint32_t px = *reinterpret_cast<const uint32_t*>(data + y * stride + x * 4);
      const uint32_t a = format == CAIRO_FORMAT_ARGB32 ? (px >> 24) & 0xFF : 0xFF;
      for (int c = 0; c < 3; ++c) {
        const uint32_t v = (px >> (16 - 8 * c)) & 0xFF;  // premultiplied R, G, B
        out[c] = static_cast<uint8_t>(v + (255 - a));    // over white
      }
    }
  }
  return image;
}

bool RenderPage(const std::string& pdf, int page, int dpi, const std::string& png_path) {
  std::string stem = png_path;
  if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, ".png") == 0)
    stem.resize(stem.size() - 4);
  const std::string p = std::to_string(page);
  const CommandResult r = Run("pdftoppm -png -singlefile -r " + std::to_string(dpi) + " -f " + p +
                              " -l " + p + " " + Quote(pdf) + " " + Quote(stem));
  return r.exit_code == 0;
}

ImageDiff CompareImages(const RgbImage& a, const RgbImage& b) {
  ImageDiff diff;
  diff.same_size = a.width == b.width && a.height == b.height;
  if (!diff.same_size || a.rgb.empty()) return diff;
  size_t differing = 0;
  const size_t pixels = a.rgb.size() / 3;
  for (size_t i = 0; i < pixels; ++i) {
    for (int c = 0; c < 3; ++c) {
      if (std::abs(int{a.rgb[i * 3 + c]} - int{b.rgb[i * 3 + c]}) > 48) {
        ++differing;
        break;
      }
    }
  }
  diff.differing = static_cast<double>(differing) / static_cast<double>(pixels);
  return diff;
}

}  // namespace taicho::testing
