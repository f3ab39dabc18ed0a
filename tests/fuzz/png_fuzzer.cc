// Fuzz target: a signature or seal image (PNG) as an officer or an operator supplies it, decoded
// into an image XObject the way appearances use it (pdf/png_image_cache.h). PoDoFo reports an
// undecodable PNG by throwing PdfError, which is the documented outcome; anything else (a crash,
// another exception, a leak under the sanitizers) is a finding. Replayed over tests/fuzz/png/.
#include <podofo/podofo.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "pdf/png_image_cache.h"
#include "pdf/podofo_init.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  taicho::pdf::InitPodofo();
  const std::string png(reinterpret_cast<const char*>(data), size);
  PoDoFo::PdfMemDocument doc;
  try {
    (void)taicho::pdf::LoadPngImage(doc, png, /*cache=*/nullptr);
  } catch (const PoDoFo::PdfError&) {
  }
  return 0;
}
