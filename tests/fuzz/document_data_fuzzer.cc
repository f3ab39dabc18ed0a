// Fuzz target: the document data JSON a clerk or a client uploads (render/document_data.h),
// checked against every kind shipped with taicho. Replayed over tests/fuzz/document_data/ by
// ctest (replay_main.cc); a libFuzzer binary with -DTAICHO_FUZZ=ON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "render/document_data.h"
#include "render/document_kind.h"

namespace {

// Read once: the kinds are fixed inputs of the harness, not what is being fuzzed.
const std::vector<taicho::render::DocumentKind>& ShippedKinds() {
  static const auto* kinds = [] {
    auto* out = new std::vector<taicho::render::DocumentKind>;
    const std::string dir = taicho::render::DefaultKindsDir();
    for (const std::string& id : taicho::render::ListKinds(dir)) {
      auto kind = taicho::render::LoadKind(dir, id);
      if (kind.ok()) out->push_back(*std::move(kind));
    }
    return out;
  }();
  return *kinds;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  for (const taicho::render::DocumentKind& kind : ShippedKinds()) {
    (void)taicho::render::ParseDocumentJson(json, kind);
  }
  (void)taicho::render::TemplateKeys(json);
  return 0;
}
