// Revocation status of certificates for PAdES B-LT and for the checks before signing: OCSP
// (RFC 6960; the responder named in the certificate's AIA, GET per Appendix A when the request is
// small, else POST) and CRLs (RFC 5280; the certificate's CRL distribution points), fetched over
// HTTP with libcurl, verified with OpenSSL, and cached until their nextUpdate.
//
// Verification: an OCSP response must be signed by the issuing CA itself or by a responder the CA
// certified with id-kp-OCSPSigning (OCSP_basic_verify), name the certificate asked about, and be
// fresh (thisUpdate ≤ now + skew ≤ nextUpdate + 2·skew). A CRL must be signed by the issuer, be
// issued by it, and be fresh the same way. What did not verify is never cached nor returned.
//
// Thread-safe: one RevocationClient and one RevocationCache may be used by many threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "signer/bytes.h"

namespace taicho::revocation {

enum class CertStatus { kGood, kRevoked, kUnknown };
std::string_view StatusName(CertStatus status);  // "good", "revoked", "unknown"

enum class EvidenceKind { kOcsp, kCrl };

// The answer to "what was the status of this certificate at time T".
struct StatusAnswer {
  CertStatus status = CertStatus::kUnknown;
  int64_t revocation_time = 0;  // Unix seconds, when revoked
  int reason = -1;              // CRLReason code when revoked and given, else -1
  std::string reason_text;      // e.g. "keyCompromise"
  EvidenceKind kind = EvidenceKind::kOcsp;
  Bytes evidence;   // DER OCSPResponse (whole, as served) or CertificateList
  std::string url;  // where it came from (redacted), "" when offline
  int64_t this_update = 0, next_update = 0;  // Unix seconds (next_update 0: none given)
  bool from_cache = false;
  std::vector<std::string> problems;  // sources tried before this answer (English)
};

// A bounded, thread-safe cache of verified responses keyed by what was asked (CertID or CRL URL).
// An entry lives until its nextUpdate (or `max_age` when it has none); when a bound is passed the
// least recently used entries go first.
class RevocationCache {
 public:
  explicit RevocationCache(size_t max_entries = 4096, size_t max_bytes = 64u << 20,
                           std::chrono::seconds max_age = std::chrono::hours(24))
      : max_entries_(max_entries), max_bytes_(max_bytes), max_age_(max_age) {}

  // The cached DER for `key` still valid at `now`, or nullopt.
  std::optional<Bytes> Get(const std::string& key, int64_t now);
  void Put(const std::string& key, Bytes der, int64_t expires);
  size_t entries() const;
  size_t bytes() const;

 private:
  struct Entry {
    Bytes der;
    int64_t expires;
    std::list<std::string>::iterator lru;
  };
  void EvictLocked();
  const size_t max_entries_, max_bytes_;
  const std::chrono::seconds max_age_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> map_;
  std::list<std::string> lru_;  // front: most recently used
  size_t bytes_ = 0;

  friend class RevocationClient;
};

struct RevocationPolicy {
  std::chrono::milliseconds connect_timeout{3'000};
  std::chrono::milliseconds timeout{10'000};  // per request
  size_t max_response_bytes = 4u << 20;       // CRLs can be large; OCSP replies are ~2 KB
  std::chrono::seconds clock_skew{300};
  bool use_ocsp = true;
  bool use_crl = true;  // when OCSP gives no answer
  // When set, every OCSP request goes there instead of the certificate's AIA (configuration for a
  // local responder proxy). Prefer the certificates' own URLs.
  std::string ocsp_url_override;
  // URL prefix rewrites applied to the URLs the certificates name ("http://ca.example:80" →
  // "http://proxy:8080"): lets a deployment (or a test) reach the same service elsewhere.
  std::vector<std::pair<std::string, std::string>> url_rewrites;
};

class RevocationClient {
 public:
  // `cache` is shared and not owned (nullptr: no caching); it must outlive the client.
  RevocationClient(RevocationPolicy policy, RevocationCache* cache)
      : policy_(std::move(policy)), cache_(cache) {}

  // Status of `cert` (DER) issued by `issuer` (DER) at Unix time `at`, asked now: OCSP first
  // (its verified answer is final, "unknown" included), CRLs when no responder answered. A
  // certificate revoked after `at` is good at `at` (the answer keeps the revocation time). Errors:
  // REVOCATION_UNAVAILABLE when no source gave a verified answer (detail lists why),
  // kCertificateInvalid for an unparsable certificate.
  absl::StatusOr<StatusAnswer> StatusAt(ByteSpan cert, ByteSpan issuer, int64_t at) const;

  // HTTP requests sent so far by this client (cache hits send none).
  int64_t network_requests() const { return requests_.load(); }
  const RevocationPolicy& policy() const { return policy_; }

  RevocationClient(const RevocationClient& other)
      : policy_(other.policy_), cache_(other.cache_), requests_(other.requests_.load()) {}

 private:
  absl::StatusOr<StatusAnswer> FromOcsp(ByteSpan cert, ByteSpan issuer, int64_t at,
                                        std::vector<std::string>& problems) const;
  absl::StatusOr<StatusAnswer> FromCrl(ByteSpan cert, ByteSpan issuer, int64_t at,
                                       std::vector<std::string>& problems) const;
  std::string Rewrite(const std::string& url) const;

  RevocationPolicy policy_;
  RevocationCache* cache_;
  mutable std::atomic<int64_t> requests_{0};
};

// Offline evaluation of stored evidence (a DSS entry): verifies `ocsp_der` (signature, responder
// authority with the chain verified at `verify_time`) and answers for `cert` at `at`. Freshness is
// not required (the evidence is old by nature); NotFound when the response is about another
// certificate.
absl::StatusOr<StatusAnswer> StatusFromOcsp(ByteSpan ocsp_der, ByteSpan cert, ByteSpan issuer,
                                            int64_t at, int64_t verify_time);
// The same for a CRL issued by `issuer` (NotFound when it is another issuer's).
absl::StatusOr<StatusAnswer> StatusFromCrl(ByteSpan crl_der, ByteSpan cert, ByteSpan issuer,
                                           int64_t at);

// The OCSP responder URLs of the certificate's AIA and its CRL distribution point URLs.
std::vector<std::string> OcspUrls(ByteSpan cert);
std::vector<std::string> CrlUrls(ByteSpan cert);

// The certificates an OCSP response carries (responder and its chain), DER.
std::vector<Bytes> OcspResponseCerts(ByteSpan ocsp_der);

}  // namespace taicho::revocation
