#include "pdf/drawn_cache.h"

#include "pdf/drawing_cache.h"
#include "pdf/png_image_cache.h"
#include "pdf/subset_font.h"

namespace taicho::pdf {

DrawingCache::DrawingCache()
    : drawn_(std::make_unique<DrawnCache>()),
      images_(std::make_unique<PngImageCache>()),
      fonts_(std::make_unique<FontFiles>()) {}
DrawingCache::~DrawingCache() = default;

}  // namespace taicho::pdf
