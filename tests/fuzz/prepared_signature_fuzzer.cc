// Fuzz target: the prepared-signature state (pades PreparedSignature::FromJson), which a later
// process reads back from the store or a file to complete a split signature. What parses must
// write itself out again and read back the same: a state that changes on the way is a finding.
// Replayed over tests/fuzz/prepared_signature/ by ctest; a libFuzzer binary with -DTAICHO_FUZZ=ON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pades/pdf_signer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  auto parsed = taicho::pades::PreparedSignature::FromJson(json);
  if (!parsed.ok()) return 0;
  const std::string written = parsed->ToJson();
  auto again = taicho::pades::PreparedSignature::FromJson(written);
  if (!again.ok() || again->ToJson() != written) std::abort();
  return 0;
}
