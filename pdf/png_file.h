// Private to pdf/: a signature image's PNG bytes and pixel size, read and checked before PoDoFo
// decodes them (png_image_cache.h) for an appearance.
//
// Ownership: PngFile shares its bytes (shared_ptr), never copies them.
// Threads: stateless; any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "pdf/signature_appearance.h"

namespace taicho::pdf {

// A PNG's bytes and pixel size (from its IHDR). kIo when the file cannot be read, kUsage when it
// is not a PNG.
struct PngFile {
  // Shared, not copied: a seal's PNG (tens of KB) is looked at four times per seal.
  std::shared_ptr<const std::string> bytes;
  uint32_t width = 0, height = 0;
};
absl::StatusOr<PngFile> ReadPng(const std::string& path);
// The spec's image: its image_png when set, else the file at image_path.
absl::StatusOr<PngFile> SpecPng(const AppearanceSpec& spec);

}  // namespace taicho::pdf
