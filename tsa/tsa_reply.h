// Private to tsa/ (and its fuzz target, tests/fuzz/tsa_reply_fuzzer.cc): a time-stamp request as
// sent, and the reading of a TSA's reply (DER TimeStampResp, RFC 3161 §2.4.2) against it: what
// only the requester can check (status, nonce, imprint, policy), then the token itself.
// Pure functions of their arguments: safe on any thread.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "signer/bytes.h"
#include "signer/openssl_ptr.h"
#include "signer/timestamp_attribute.h"
#include "tsa/tsa_client.h"

namespace taicho::tsa {

struct Request {
  Bytes der;
  Bytes digest;  // SHA-256 of the data
  signer::ossl::Asn1IntegerPtr nonce;
};

enum class Failure {
  kTransient,    // connection, timeout, HTTP 5xx/408/429, no free slot: worth another attempt
  kUnavailable,  // an HTTP answer that is not a reply (e.g. 404): next TSA
  kRejected,     // the TSA answered and refused (PKIStatus)
  kInvalid,      // a reply that does not verify: next TSA, never trusted
};

struct AttemptResult {
  std::optional<Failure> failure;  // unset: success
  std::string reason;
  Bytes token;
  signer::TimeStampInfo info;
};

inline AttemptResult Fail(Failure failure, std::string reason) {
  AttemptResult r;
  r.failure = failure;
  r.reason = std::move(reason);
  return r;
}

// Reads `body` (the HTTP reply's bytes) as the answer to `request` over `data`: kRejected for a
// refusal (PKIStatus), kInvalid for anything that does not verify (the token's chain against
// `anchors`, at policy.trust.at_time), else the token and its facts.
AttemptResult CheckReply(ByteSpan body, const Request& request, ByteSpan data,
                         const TsaPolicy& policy, const signer::TimeStampAnchors& anchors);

}  // namespace taicho::tsa
