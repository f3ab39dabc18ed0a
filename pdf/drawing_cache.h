// Drawings kept between signatures, so that drawing an appearance costs little after the first:
// the agency's seal is the same drawing for every seal, the issue number and date are drawn with
// one subset per font and line template (their characters and the ten digits), and a PNG is decoded
// and Flate-encoded once. What comes out is the same bytes drawing afresh gives; only the CPU
// differs.
//
// Ownership: whoever signs many times owns one for as long as it signs (the workflow, one per
// taichod; a benchmark) and passes it in pades::SignOptions::drawings
// (pdf::SignatureFieldSpec::drawings); it must outlive those signatures. Without one, each
// signature draws afresh. Bounded: a few dozen drawings and a few PNGs, least recently used go.
// Threads: share one among any number of threads.
#pragma once

#include <memory>

namespace taicho::pdf {

class DrawnCache;     // private to pdf/ (drawn_cache.h)
class PngImageCache;  // private to pdf/ (png_image_cache.h)
class FontFiles;      // subset_font.h

class DrawingCache {
 public:
  DrawingCache();
  ~DrawingCache();
  DrawingCache(const DrawingCache&) = delete;
  DrawingCache& operator=(const DrawingCache&) = delete;

  // For pdf/ only.
  DrawnCache& drawn() const { return *drawn_; }
  PngImageCache& images() const { return *images_; }
  // The parsed font files, shared with whoever renders for the same owner (render::RenderOptions).
  FontFiles& fonts() const { return *fonts_; }

 private:
  std::unique_ptr<DrawnCache> drawn_;
  std::unique_ptr<PngImageCache> images_;
  std::unique_ptr<FontFiles> fonts_;
};

}  // namespace taicho::pdf
