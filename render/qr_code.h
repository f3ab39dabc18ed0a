// A QR code's modules (libqrencode), drawn by the page painter as filled squares (vector, no
// image: crisp in print and a few hundred bytes).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace taicho::render {

struct QrMatrix {
  int size = 0;            // modules per side, without the quiet zone
  std::vector<bool> dark;  // row-major, size * size
  bool at(int x, int y) const { return dark[static_cast<size_t>(y * size + x)]; }
};

// Error correction level M (15%): survives a smudged print. kDataInvalid when too long.
absl::StatusOr<QrMatrix> EncodeQr(const std::string& text);

}  // namespace taicho::render
