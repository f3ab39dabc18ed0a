// Fuzz target: a document kind's JSON (render/document_kind.h), as an operator installs one.
// Replayed over tests/fuzz/document_kind/ by ctest; a libFuzzer binary with -DTAICHO_FUZZ=ON.
#include <cstddef>
#include <cstdint>
#include <string>

#include "render/document_kind.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  (void)taicho::render::ParseKindJson("fuzz", json);
  return 0;
}
