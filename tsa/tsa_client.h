// An RFC 3161 time-stamp client over HTTP (libcurl), for PAdES B-T: it asks a list of TSAs, in
// order, for a token over SHA-256 of some bytes (the SignerInfo's signature value) and returns
// the token only after verifying it (status, imprint, nonce, signature, TSA chain and its
// critical id-kp-timeStamping EKU).
//
// Policy: per TSA, up to `attempts_per_tsa` attempts with exponential backoff between them; each
// attempt has a connect and a total timeout. A cap limits the requests in flight to one URL; its
// count lives in an InFlightLimiter that the client's owner may share between clients (copies of
// a client share it too). When no TSA gives a valid token the policy either fails or falls back
// to B-B and reports why.
//
// Thread-safe: one TsaClient may be used by many threads at once. The trust anchors are parsed
// once, in Create, and shared (read-only) by the client and its copies; so are the connections
// to the TSAs, kept open between tokens (http::Connections).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "http/http_client.h"
#include "signer/bytes.h"
#include "signer/certificate_cache.h"
#include "signer/timestamp_attribute.h"

namespace taicho::tsa {

// Requests in flight per URL, counted for every client that holds it: a TSA that is slow under
// load (the government TSA has been seen taking minutes) should not be sent every signing at once.
// Each caller honours its own cap on the shared count. Thread-safe.
class InFlightLimiter;

// What to do when no TSA gives a valid token.
enum class WhenUnavailable {
  kFail,                // an error (TSA_UNAVAILABLE, TSA_REJECTED or TSA_RESPONSE_INVALID)
  kFallBackToBaseline,  // an outcome without a token (B-B) that lists the reasons
};

struct TsaPolicy {
  std::vector<std::string> urls;  // http:// or https://, tried in this order
  std::chrono::milliseconds connect_timeout{5'000};
  // Per attempt, connection to last byte. Some TSAs take minutes: raise it rather than retry.
  std::chrono::milliseconds attempt_timeout{60'000};
  int attempts_per_tsa = 2;                      // attempts on one TSA before the next (≥ 1)
  std::chrono::milliseconds first_backoff{500};  // before the 2nd attempt; doubled after each
  std::chrono::milliseconds max_backoff{8'000};
  // Bound on one whole TimeStamp() call (waits, attempts, backoff); 0 = none.
  std::chrono::milliseconds overall_timeout{0};
  // Requests in flight to one URL, across the clients sharing `in_flight` (≥ 1). A caller over
  // the cap waits for a slot (within its attempt's timeout).
  int max_in_flight_per_tsa = 4;
  // The count the cap applies to; empty: Create gives the client a count of its own.
  std::shared_ptr<InFlightLimiter> in_flight;
  std::string policy_oid;                 // reqPolicy, dotted; empty: the TSA's default
  size_t max_response_bytes = 64 * 1024;  // a larger reply is refused (tokens are 2–8 KB)
  WhenUnavailable when_unavailable = WhenUnavailable::kFail;
  signer::TimeStampTrust trust;  // roots the TSA certificate must chain to (required)
};

struct TimeStampOutcome {
  bool stamped = false;  // false only with kFallBackToBaseline: no token, the signature is B-B
  Bytes token;           // TimeStampToken, DER ContentInfo: the signature-time-stamp value
  signer::TimeStampInfo info;  // genTime, TSA certificate… (when stamped)
  std::string tsa_url;         // the TSA that answered (without user info or query)
  // Every failed attempt in order, "URL: reason" (English, no secrets), also when stamped.
  std::vector<std::string> problems;

  std::string_view level() const { return stamped ? "B-T" : "B-B"; }
};

class TsaClient {
 public:
  // kUsage on an unusable policy: no URL, a URL that is not http(s), a non-positive timeout,
  // attempts or cap, an unreadable trust anchor bundle or policy OID.
  static absl::StatusOr<TsaClient> Create(TsaPolicy policy);

  // A verified token over SHA-256(`data`). Blocks for up to the policy's timeouts. With kFail,
  // the error is TSA_RESPONSE_INVALID if any TSA answered with a reply that failed
  // verification, else TSA_REJECTED if any refused (PKIStatus), else TSA_UNAVAILABLE; its
  // detail lists the problems.
  absl::StatusOr<TimeStampOutcome> TimeStamp(ByteSpan data) const;

  const TsaPolicy& policy() const { return policy_; }
  // The policy's trust, parsed: what every token this client returns was verified against.
  const signer::TimeStampAnchors& anchors() const { return *anchors_; }

  // A count of requests in flight that several clients can share (TsaPolicy::in_flight).
  static std::shared_ptr<InFlightLimiter> NewInFlightLimiter();

 private:
  TsaClient(TsaPolicy policy, std::shared_ptr<const signer::TimeStampAnchors> anchors)
      : policy_(std::move(policy)),
        anchors_(std::move(anchors)),
        connections_(std::make_shared<http::Connections>()),
        certificates_(std::make_shared<signer::CertificateCache>()) {}

  TsaPolicy policy_;
  std::shared_ptr<const signer::TimeStampAnchors> anchors_;  // never null
  // Connections to the TSAs kept open between tokens (shared by copies); never null.
  std::shared_ptr<http::Connections> connections_;
  // The TSAs' certificates as their tokens carry them, parsed once (shared by copies); never null.
  std::shared_ptr<signer::CertificateCache> certificates_;
};

}  // namespace taicho::tsa
