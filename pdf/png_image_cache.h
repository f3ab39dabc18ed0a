// Private to pdf/: signature and seal images are drawn again and again: every seal of an agency
// uses the same PNG, every approval of an officer theirs. Decoding the PNG and Flate-encoding its
// pixels again for each signature was the largest single cost of a server-side seal
// (bench/seal_load.sh: about 7 of 17 ms CPU per seal). A PngImageCache keeps the encoded image
// and soft-mask streams per PNG content and copies them, still encoded, into each scratch
// document. It is part of a pdf::DrawingCache (drawing_cache.h), which says who owns it.
//
// Threads: a PngImageCache may be shared by any number of threads.
#pragma once

#include <podofo/podofo.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace taicho::pdf {

struct EncodedPng;  // the image and soft-mask streams of one PNG, encoded

class PngImageCache {
 public:
  PngImageCache();
  ~PngImageCache();
  PngImageCache(const PngImageCache&) = delete;
  PngImageCache& operator=(const PngImageCache&) = delete;

  // The encoded streams of `png`, encoding them on a miss (a few PNGs are kept). Throws
  // PoDoFo::PdfError when the PNG cannot be decoded.
  std::shared_ptr<const EncodedPng> Get(const std::string& png);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const EncodedPng>> images_;  // by the PNG's bytes
};

// An image XObject for `png` (the file's bytes) in `doc`, the same objects
// PdfImage::LoadFromPngData makes (an /SMask for the alpha channel), encoding the pixels only
// when `cache` (optional) has not seen the PNG yet. Throws PoDoFo::PdfError when the PNG cannot
// be decoded, as LoadFromPngData does.
std::unique_ptr<PoDoFo::PdfImage> LoadPngImage(PoDoFo::PdfMemDocument& doc, const std::string& png,
                                               PngImageCache* cache);

}  // namespace taicho::pdf
