#include "pdf/png_file.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::pdf {
namespace {

uint32_t BigEndian32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3]));
}

// `path` names the image in errors.
absl::StatusOr<PngFile> ParsePng(std::shared_ptr<const std::string> bytes,
                                 const std::string& path) {
  PngFile png;
  png.bytes = std::move(bytes);
  const std::string& b = *png.bytes;
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  if (b.size() < 33 || b.compare(0, 8, kSignature) != 0 || b.compare(12, 4, "IHDR") != 0) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("tệp ảnh không phải PNG / the image is not a PNG: ", path));
  }
  png.width = BigEndian32(b, 16);
  png.height = BigEndian32(b, 20);
  const int bit_depth = static_cast<uint8_t>(b[24]);
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
  return ParsePng(std::make_shared<const std::string>(std::istreambuf_iterator<char>(in),
                                                      std::istreambuf_iterator<char>()),
                  path);
}

absl::StatusOr<PngFile> SpecPng(const AppearanceSpec& spec) {
  if (spec.image_png != nullptr) {
    return ParsePng(spec.image_png, spec.image_path.empty() ? "image_png" : spec.image_path);
  }
  return ReadPng(spec.image_path);
}

}  // namespace taicho::pdf
