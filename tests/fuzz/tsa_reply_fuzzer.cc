// Fuzz target: a TSA's HTTP reply body (DER TimeStampResp) as tsa/ reads it against its request
// (tsa/tsa_reply.h). The request's nonce and imprint are taken from the reply when it has them,
// so that the fuzzer reaches past those equality checks into the token's verification.
// Replayed over tests/fuzz/tsa_reply/ by ctest; a libFuzzer binary with -DTAICHO_FUZZ=ON.
#include <openssl/err.h>
#include <openssl/ts.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "signer/openssl_ptr.h"
#include "tsa/tsa_reply.h"

namespace {
using TsRespPtr = std::unique_ptr<TS_RESP, taicho::signer::ossl::Deleter<TS_RESP_free>>;

// A self-signed anchor no fuzzed token chains to: the token's checks all run, its chain fails.
constexpr char kAnchorPem[] = R"(-----BEGIN CERTIFICATE-----
MIIBkjCCATegAwIBAgIUff9Hdltt3K+DZo3B2PaUhOYhTqgwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSdGFpY2hvIGZ1enogYW5jaG9yMCAXDTI2MTIwNTA3MTkzOFoY
DzIxMjYxMTExMDcxOTM4WjAdMRswGQYDVQQDDBJ0YWljaG8gZnV6eiBhbmNob3Iw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQBTsGlkiPxIA8NSTmyH+dwqu9tL7uA
1hi/54mOFZYbCKLRDmi+V3QS7A5QNgjhQHGxB4wKhCjmkGP8Fm+F9Bj5o1MwUTAd
BgNVHQ4EFgQU36yNQRwJz2cGc/cMA0uW5Wlx10UwHwYDVR0jBBgwFoAU36yNQRwJ
z2cGc/cMA0uW5Wlx10UwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBG
AiEAyjpjZPeUASAidU+fmsiSLudX7HuEoYhMQYgNxCPDoKUCIQDkR0DG2YOdflZn
gEmF5/8TOp5xjNsYNYQrK1gqt0KD5g==
-----END CERTIFICATE-----
)";

const taicho::signer::TimeStampAnchors& Anchors() {
  static const std::shared_ptr<const taicho::signer::TimeStampAnchors> anchors = [] {
    taicho::signer::TimeStampTrust trust;
    trust.trust_anchors_pem = kAnchorPem;
    return *taicho::signer::TimeStampAnchors::Parse(trust);
  }();
  return *anchors;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const taicho::ByteSpan body(data, size);
  // The walk that takes a token's certificates out before decoding (the client's cache path).
  (void)taicho::tsa::SplitTokenCertificates(body);
  static const uint8_t kData[] = "taicho fuzz: the signature value";
  taicho::tsa::Request request;
  request.digest.assign(32, 0x5a);
  request.nonce.reset(ASN1_INTEGER_new());
  if (!request.nonce || ASN1_INTEGER_set(request.nonce.get(), 0x1234) != 1) return 0;
  const unsigned char* p = data;
  TsRespPtr resp(size > 0 ? d2i_TS_RESP(nullptr, &p, static_cast<long>(size)) : nullptr);
  TS_TST_INFO* tst = resp ? TS_RESP_get_tst_info(resp.get()) : nullptr;
  if (tst != nullptr) {
    if (const ASN1_INTEGER* nonce = TS_TST_INFO_get_nonce(tst)) {
      request.nonce.reset(ASN1_INTEGER_dup(nonce));
    }
    const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(tst));
    if (msg != nullptr) {
      request.digest.assign(ASN1_STRING_get0_data(msg),
                            ASN1_STRING_get0_data(msg) + ASN1_STRING_length(msg));
    }
  }
  ERR_clear_error();
  if (!request.nonce) return 0;
  taicho::tsa::TsaPolicy policy;
  (void)taicho::tsa::CheckReply(body, request, taicho::ByteSpan(kData, sizeof kData - 1), policy,
                                Anchors());
  policy.policy_oid = "1.2.3.4.1";
  (void)taicho::tsa::CheckReply(body, request, taicho::ByteSpan(kData, sizeof kData - 1), policy,
                                Anchors());
  // As a TsaClient reads it: the token's certificates from a cache.
  taicho::signer::CertificateCache certificates;
  policy.policy_oid.clear();
  (void)taicho::tsa::CheckReply(body, request, taicho::ByteSpan(kData, sizeof kData - 1), policy,
                                Anchors(), &certificates);
  return 0;
}
