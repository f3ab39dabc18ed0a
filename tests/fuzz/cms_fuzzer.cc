// Fuzz target: the CMS SignedData a PDF signature's /Contents holds (signer/cms_verifier.h) and
// what else reads it (its layout — signature value, time-stamp tokens — and its certificates,
// read in place as DER (signer/cms_der.h), an embedded signature time-stamp). Replayed over
// tests/fuzz/cms/ by ctest; a libFuzzer binary with -DTAICHO_FUZZ=ON.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "signer/cms_der.h"
#include "signer/cms_verifier.h"
#include "signer/timestamp_attribute.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const taicho::ByteSpan cms(data, size);
  static constexpr std::string_view kContent = "taicho fuzz: the signed byte ranges";
  const taicho::signer::ContentStreamer content =
      [](const std::function<void(taicho::ByteSpan)>& sink) {
        sink(taicho::ByteSpan(reinterpret_cast<const uint8_t*>(kContent.data()), kContent.size()));
        return absl::OkStatus();
      };
  (void)taicho::signer::VerifyDetachedCms(cms, content);
  (void)taicho::signer::ReadCmsLayout(cms);
  std::vector<taicho::Bytes> certificates;
  taicho::signer::AppendCmsCertificates(cms, certificates);
  (void)taicho::signer::VerifySignatureTimeStamp(cms, taicho::signer::TimeStampTrust{});
  (void)taicho::signer::VerifyTimeStampToken(
      cms, taicho::ByteSpan(reinterpret_cast<const uint8_t*>(kContent.data()), kContent.size()),
      taicho::signer::TimeStampTrust{});
  return 0;
}
