// What the service does around each signature it makes or completes (taichod.toml [signing]):
// the PAdES baseline level to reach (B-B … B-LTA, per server key and for officers), the TSA and
// revocation clients that get it there, and the checks of the signer's certificate before a
// signature is prepared or a register number is allocated (chain to the configured roots,
// validity at the signing time, key usage, revocation status: OCSP then CRL).
//
// A SigningPolicy is a value in WorkflowConfig: built once at start-up (server/), then only read.
// The clients it points to are thread-safe and shared by every signature; the revocation client's
// cache keeps each verified answer until its nextUpdate, so the DSS written after a seal reuses
// the answers the pre-signing check fetched (no second round trip).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "env/env.h"
#include "revocation/revocation_client.h"
#include "signer/bytes.h"
#include "tsa/tsa_client.h"

namespace taicho::signer {
class CertificateCache;  // signer/certificate_cache.h
}  // namespace taicho::signer

namespace taicho::workflow {

// PAdES baseline levels (ETSI EN 319 142-1), in increasing order.
enum class PadesLevel { kBB, kBT, kBLT, kBLTA };

std::string LevelName(PadesLevel level);                 // "B-B", "B-T", "B-LT", "B-LTA"
std::optional<PadesLevel> ParseLevel(std::string_view);  // the names above

// What a seal does when a TSA or responder does not answer (taichod.toml
// signing.when_unavailable).
enum class WhenUnavailable {
  kRefuse,           // the seal fails (TSA_UNAVAILABLE, REVOCATION_UNAVAILABLE…): a recorded gap
  kIssueAndUpgrade,  // sealed at the level reached, upgraded later (workflow/level_keeper.h)
};

// An algorithm an archive time-stamp must not rest on after `at_ms` (taichod.toml
// signing.algorithm_expiry): a digest ("sha1", "sha224", "sha256", "sha384", "sha512") or RSA keys
// shorter than `rsa_below_bits` ("rsa<2048"). SHA-1 and RSA below 2048 bits are always in the
// list, expired (a document time-stamp on them is renewed at once).
struct AlgorithmExpiry {
  std::string digest;      // empty for an RSA key size entry
  int rsa_below_bits = 0;  // 0 for a digest entry
  int64_t at_ms = 0;       // Unix milliseconds
};
// The entries above, always there; the configured ones are added to them (of the entries that
// apply to a time-stamp, the earliest date counts). ParseAlgorithmExpiry reads one configured
// entry, "NAME=YYYY-MM-DD" (kConfigInvalid naming it otherwise).
std::vector<AlgorithmExpiry> DefaultAlgorithmExpiry();
absl::StatusOr<AlgorithmExpiry> ParseAlgorithmExpiry(std::string_view entry);

struct SigningPolicy {
  PadesLevel officer_level = PadesLevel::kBB;    // the officer's signature (CompleteSignature)
  PadesLevel seal_level = PadesLevel::kBB;       // a seal, unless its server key has its own
  std::map<std::string, PadesLevel> key_levels;  // server key name → its seal's level
  // Required from B-T (its policy refuses when no TSA answers: TSA_UNAVAILABLE & co.).
  std::shared_ptr<const tsa::TsaClient> tsa;
  // Required from B-LT and for the revocation check before signing; null: no such check.
  std::shared_ptr<const revocation::RevocationClient> revocation;
  // Roots (DER) a signer's chain must reach (CERT_UNTRUSTED otherwise); also written into the
  // DSS. Empty: certificates are not checked before signing (as before this policy existed).
  std::vector<Bytes> roots;

  WhenUnavailable when_unavailable = WhenUnavailable::kRefuse;
  // With kIssueAndUpgrade: the client a signature time-stamp is asked with (a seal's and the
  // officer's at CompleteSignature), the same TSAs as `tsa` but falling back to B-B (with the
  // reasons) instead of failing. The worker always uses `tsa`.
  std::shared_ptr<const tsa::TsaClient> seal_tsa_fallback;
  // Archival renewal: this long before the last document time-stamp's TSA certificate expires,
  // a B-LTA document gets fresh validation data and a new document time-stamp. 0: never.
  int64_t renew_before_ms = 0;
  // Renewal is also due renew_before_ms before the algorithms of the last document time-stamp
  // (its imprint's digest, its TSA certificate's signature digest and key) expire.
  std::vector<AlgorithmExpiry> algorithm_expiry = DefaultAlgorithmExpiry();

  PadesLevel SealLevel(const std::string& key_name) const;
  // For a signature completed by a caller (the officer's, or a seal made with a key elsewhere).
  PadesLevel LevelFor(bool seal) const { return seal ? seal_level : officer_level; }
};

// The checks before signing with `chain` (the signer's certificate first) at Unix time `at`:
// with roots, the chain must reach one of them at `at` (CERT_EXPIRED, CERT_NOT_YET_VALID,
// CERT_UNTRUSTED) and the key usage must allow signatures (CERT_UNTRUSTED); with a revocation
// client, the signer's certificate must be good at `at` (CERT_REVOKED, CERT_STATUS_UNKNOWN,
// REVOCATION_UNAVAILABLE). OK without roots (nothing configured to check against).
// `certificates` (optional, not owned: the key's or the workflow's) keeps the chain and the roots
// parsed between signatures.
absl::Status CheckSignerCertificate(const SigningPolicy& policy, const std::vector<Bytes>& chain,
                                    int64_t at, signer::CertificateCache* certificates);

// Passed checks of a chain, kept so that the next signatures with the same chain (a server key
// seals thousands of times with one) skip the chain building and the revocation answer's
// verification, which were a quarter of a seal's CPU. A pass is kept only while everything it
// rested on still holds, so a remembered pass answers as the check itself would:
//   - only a revocation answer the client served from its cache counts (a client without a cache
//     asks the responder for every signature, and so does this with one);
//   - until the earliest of: that answer's nextUpdate (the cache serves it no longer), the
//     notAfter of every certificate of the verified chain, and kHoldSeconds after the check;
//   - for a signing time at or after the check's (a clock set back checks again).
// A failed check is never kept. Owned by whoever owns the policy (one per workflow).
// Thread-safe: any number of threads.
class SignerCheckMemo {
 public:
  static constexpr int64_t kHoldSeconds = 60;
  static constexpr size_t kMaxChains = 16;

  // True when a pass of `chain` (and the same policy) is kept for `at`.
  bool Holds(const std::vector<Bytes>& chain, int64_t at) const;
  // Keeps a pass of `chain` checked at `at`, valid until `until` (Unix seconds, exclusive).
  void Keep(const std::vector<Bytes>& chain, int64_t at, int64_t until);

 private:
  struct Pass {
    std::vector<Bytes> chain;
    int64_t checked_at = 0, until = 0;
  };
  mutable std::mutex mu_;
  std::vector<Pass> passes_;  // at most kMaxChains; the oldest check goes first
};

// CheckSignerCertificate, answered by `memo` when it keeps a pass of `chain` for `at`, and a
// pass kept there when it may be (see SignerCheckMemo).
absl::Status CheckSignerCertificate(const SigningPolicy& policy, const std::vector<Bytes>& chain,
                                    int64_t at, signer::CertificateCache* certificates,
                                    SignerCheckMemo* memo);

// The last document time-stamp of an archive: what dates its renewal.
struct ArchiveStamp {
  Bytes tsa_certificate_der;     // the certificate of the TSA that signed it
  std::string digest_algorithm;  // its message imprint's, e.g. "SHA-256"
};

struct RaisedFile {
  bool written = false;  // false: nothing to add, use the input as it is
  // The document time-stamp added (B-LTA), else empty.
  ArchiveStamp doc_timestamp;
};

// Brings a signed file to `level` (its signature already time-stamped when level ≥ B-T): B-LT
// adds one DSS update (the certificates, OCSP responses and CRLs of every signature and
// time-stamp in the file); B-LTA adds that DSS and a document time-stamp over it in one update
// (pades::AddValidationDataAndDocumentTimeStamp). Writes `output_path`
// (atomically, not synced: the caller stores it through the store, which syncs what it adopts);
// for B-B/B-T nothing is done (written = false: use the input as it is).
// Revocation answers are judged at `env`'s time (nullptr: Env::Default()).
absl::StatusOr<RaisedFile> RaiseLevel(const SigningPolicy& policy, PadesLevel level,
                                      const std::string& signed_path,
                                      const std::string& output_path, const Env* env);

}  // namespace taicho::workflow
