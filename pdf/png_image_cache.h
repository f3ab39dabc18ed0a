// Signature and seal images are drawn again and again: every seal of an agency uses the same PNG,
// every approval of an officer theirs. Decoding the PNG and Flate-encoding its pixels again for
// each signature was the largest single cost of a server-side seal (bench/seal_load.sh: about
// 7 of 17 ms CPU per seal). This keeps the encoded image and soft-mask streams per PNG content and
// copies them, still encoded, into each scratch document.
#pragma once

#include <podofo/podofo.h>

#include <memory>
#include <string>

namespace taicho::pdf {

// An image XObject for `png` (the file's bytes) in `doc`, the same objects
// PdfImage::LoadFromPngData makes (an /SMask for the alpha channel), encoding the pixels only the
// first time a PNG is seen (a few PNGs are kept; thread-safe). Throws PoDoFo::PdfError when the
// PNG cannot be decoded, as LoadFromPngData does.
std::unique_ptr<PoDoFo::PdfImage> LoadPngImage(PoDoFo::PdfMemDocument& doc, const std::string& png);

}  // namespace taicho::pdf
