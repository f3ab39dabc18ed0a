// Test support: pages rendered by poppler (pdftoppm), read back with cairo, compared pixel by
// pixel — for golden images and for checking where signature appearances were drawn.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace taicho::testing {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // 3 bytes a pixel, row-major
  const uint8_t* at(int x, int y) const { return &rgb[(static_cast<size_t>(y) * width + x) * 3]; }
};

// Reads a PNG (any cairo-readable format), alpha composed over white.
std::optional<RgbImage> LoadPng(const std::string& path);

// Renders page `page` (1-based) of `pdf` with pdftoppm at `dpi` into `png_path`.
bool RenderPage(const std::string& pdf, int page, int dpi, const std::string& png_path);

struct ImageDiff {
  bool same_size = false;
  double differing = 1;  // share of pixels whose channels differ by more than 48
};
ImageDiff CompareImages(const RgbImage& a, const RgbImage& b);

}  // namespace taicho::testing
