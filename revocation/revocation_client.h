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
// Reuse: a verified OCSP answer is kept with the facts read from it, so that a cache hit (every
// seal's, once warm) costs neither parsing nor a signature check until its nextUpdate (or the
// responder certificate's notAfter, if earlier). The parsed certificates the questions name (the
// same few signers and issuers every time) are kept by the cache too.
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
#include "revocation/evidence.h"
#include "signer/bytes.h"
#include "signer/certificate_cache.h"

namespace taicho::revocation {

// A bounded, thread-safe cache of verified responses keyed by what was asked (CertID or CRL URL).
// An entry lives until its nextUpdate (or `max_age` when it has none); when a bound is passed the
// least recently used entries go first.
class RevocationCache {
 public:
  explicit RevocationCache(size_t max_entries = 4096, size_t max_bytes = 64u << 20,
                           std::chrono::seconds max_age = std::chrono::hours(24))
      : max_entries_(max_entries), max_bytes_(max_bytes), max_age_(max_age) {}
  RevocationCache(const RevocationCache&) = delete;
  RevocationCache& operator=(const RevocationCache&) = delete;

  // The cached DER for `key` still valid at `now`, or nullopt.
  std::optional<Bytes> Get(const std::string& key, int64_t now);
  void Put(const std::string& key, Bytes der, int64_t expires);
  // An answer verified when it was fetched (its evidence is the DER) still valid at `now`, or
  // nullopt (also for an entry Put as DER only). Its status is as judged for the time it was
  // asked about: the caller judges it again for another (revocation_time is kept).
  std::optional<StatusAnswer> GetAnswer(const std::string& key, int64_t now);
  void PutAnswer(const std::string& key, StatusAnswer answer, int64_t expires);
  size_t entries() const;
  size_t bytes() const;

  // The certificates the questions name, parsed once (the client's; a DSS built with its
  // answers may use it too). Thread-safe.
  signer::CertificateCache& certificates() { return certificates_; }

 private:
  struct Entry {
    StatusAnswer answer;  // answer.evidence: the DER
    bool verified;        // false: Put as DER only, judged again at each use
    int64_t expires;
    std::list<std::string>::iterator lru;
  };
  std::optional<Entry> FindLocked(const std::string& key, int64_t now);
  void PutEntry(const std::string& key, StatusAnswer answer, bool verified, int64_t expires);
  void EvictLocked();
  const size_t max_entries_, max_bytes_;
  const std::chrono::seconds max_age_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> map_;
  std::list<std::string> lru_;  // front: most recently used
  size_t bytes_ = 0;
  signer::CertificateCache certificates_{256};

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

// A policy from settings as people write them (command line, configuration file): a timeout, an
// OCSP URL override ("" for the certificates' own) and "FROM=TO" URL prefix rewrites. kUsage
// naming a rewrite without '=' or with nothing before it.
absl::StatusOr<RevocationPolicy> PolicyFromSettings(std::chrono::seconds timeout,
                                                    std::string ocsp_url_override,
                                                    const std::vector<std::string>& url_rewrites);

class RevocationClient : public StatusSource {
 public:
  // `cache` is shared and not owned (nullptr: no caching); it must outlive the client.
  RevocationClient(RevocationPolicy policy, RevocationCache* cache)
      : policy_(std::move(policy)), cache_(cache) {}

  // Status of `cert` (DER) issued by `issuer` (DER) at Unix time `at`, asked now: OCSP first
  // (its verified answer is final, "unknown" included), CRLs when no responder answered. A
  // certificate revoked after `at` is good at `at` (the answer keeps the revocation time). Errors:
  // REVOCATION_UNAVAILABLE when no source gave a verified answer (detail lists why),
  // kCertificateInvalid for an unparsable certificate.
  absl::StatusOr<StatusAnswer> StatusAt(ByteSpan cert, ByteSpan issuer, int64_t at) const override;

  // HTTP requests sent so far by this client (cache hits send none).
  int64_t network_requests() const { return requests_.load(); }
  // The cache's parsed certificates (nullptr without a cache): for whoever builds a DSS from
  // this client's answers about the same certificates.
  signer::CertificateCache* certificates() const {
    return cache_ != nullptr ? &cache_->certificates() : nullptr;
  }
  const RevocationPolicy& policy() const { return policy_; }

  RevocationClient(const RevocationClient& other)
      : policy_(other.policy_), cache_(other.cache_), requests_(other.requests_.load()) {}

 private:
  absl::StatusOr<StatusAnswer> FromOcsp(ByteSpan cert, ByteSpan issuer, const Bytes& cert_id,
                                        int64_t at, std::vector<std::string>& problems) const;
  absl::StatusOr<StatusAnswer> FromCrl(ByteSpan cert, ByteSpan issuer, int64_t at,
                                       std::vector<std::string>& problems) const;
  std::string Rewrite(const std::string& url) const;

  RevocationPolicy policy_;
  RevocationCache* cache_;
  mutable std::atomic<int64_t> requests_{0};
};

}  // namespace taicho::revocation
