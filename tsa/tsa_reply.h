// Private to tsa/ (and its tests: tests/fuzz/tsa_reply_fuzzer.cc, tsa_test): a time-stamp request
// as sent, and the reading of a TSA's reply (DER TimeStampResp, RFC 3161 §2.4.2) against it: what
// only the requester can check (status, nonce, imprint, policy), then the token itself.
// Pure functions of their arguments: safe on any thread.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "signer/bytes.h"
#include "signer/certificate_cache.h"
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
// `anchors`, at policy.trust.at_time), else the token and its facts. `certificates` (optional,
// not owned; the client's): the token's certificates are looked up there by their bytes instead
// of being decoded with the reply (the same TSA sends the same ones with every token).
AttemptResult CheckReply(ByteSpan body, const Request& request, ByteSpan data,
                         const TsaPolicy& policy, const signer::TimeStampAnchors& anchors,
                         signer::CertificateCache* certificates = nullptr);

// `body` (a DER TimeStampResp) with its token's certificates field taken out, and those
// certificates' DER (spans into `body`); nullopt when the reply is not laid out as a
// definite-length response with a SignedData token (it is then decoded whole). Only walks and
// copies bytes: the token through signer::TakeOutCertificates (ASN1_get_object bounds every
// length).
struct SplitReply {
  Bytes without_certificates;
  std::vector<ByteSpan> certificates;
};
std::optional<SplitReply> SplitTokenCertificates(ByteSpan body);

}  // namespace taicho::tsa
