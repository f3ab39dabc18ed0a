// Revocation evidence, evaluated offline with OpenSSL: OCSP responses (RFC 6960) and CRLs
// (RFC 5280) as they sit in a DSS or come back from a responder, and the interface of anything
// that can answer "what was the status of this certificate at time T" (the online client in
// revocation_client.h). Nothing here touches the network, so the verifier can use it without
// linking libcurl.
//
// Verification: an OCSP response must be signed by the issuing CA itself or by a responder the CA
// certified with id-kp-OCSPSigning (OCSP_basic_verify) and name the certificate asked about; a CRL
// must be signed and issued by the issuer. Freshness is checked only when asked (online answers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "signer/bytes.h"

namespace taicho::signer {
class CertificateCache;  // signer/certificate_cache.h
}  // namespace taicho::signer

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
  // OCSP: the certificates the response carries (responder and its chain, DER), for the DSS.
  std::vector<Bytes> evidence_certs;
  // OCSP: the notAfter of the certificate that signed the response (Unix seconds; 0 when the
  // issuer signed it itself): a verified answer kept for reuse is not used past it.
  int64_t signer_not_after = 0;
};

// Answers status questions: the online client, or a test double.
class StatusSource {
 public:
  virtual ~StatusSource() = default;
  // Status of `cert` (DER) issued by `issuer` (DER) at Unix time `at`.
  virtual absl::StatusOr<StatusAnswer> StatusAt(ByteSpan cert, ByteSpan issuer,
                                                int64_t at) const = 0;
};

// For answers just fetched: thisUpdate ≤ now + skew and nextUpdate ≥ now − skew.
struct Freshness {
  int64_t now = 0;
  int64_t skew = 0;
};

// Offline evaluation of stored evidence (a DSS entry): verifies `ocsp_der` (signature, responder
// authority with the chain verified at `verify_time`) and answers for `cert` at `at`. Freshness is
// not required (the evidence is old by nature); NotFound when the response is about another
// certificate.
// `fresh` (optional): also require the response to be fresh.
// `certificates` (optional, not owned; in every function below): keeps `cert` and `issuer`
// parsed for the next question about them (the owner's: a RevocationCache's, a verifier's).
absl::StatusOr<StatusAnswer> StatusFromOcsp(ByteSpan ocsp_der, ByteSpan cert, ByteSpan issuer,
                                            int64_t at, int64_t verify_time,
                                            std::optional<Freshness> fresh = std::nullopt,
                                            signer::CertificateCache* certificates = nullptr);
// The same for a CRL issued by `issuer` (NotFound when it is another issuer's).
absl::StatusOr<StatusAnswer> StatusFromCrl(ByteSpan crl_der, ByteSpan cert, ByteSpan issuer,
                                           int64_t at,
                                           std::optional<Freshness> fresh = std::nullopt,
                                           signer::CertificateCache* certificates = nullptr);

// The DER OCSP CertID for `cert` issued by `issuer` (the request's and the cache's key).
// SHA-1 in the CertID is an identifier, not a security function: it is what RFC 5019 §2.1.1
// prescribes and what every responder answers to. kCertificateInvalid for unparsable input.
absl::StatusOr<Bytes> OcspCertId(ByteSpan cert, ByteSpan issuer,
                                 signer::CertificateCache* certificates = nullptr);

// The OCSP responder URLs of the certificate's AIA and its CRL distribution point URLs.
std::vector<std::string> OcspUrls(ByteSpan cert, signer::CertificateCache* certificates = nullptr);
std::vector<std::string> CrlUrls(ByteSpan cert, signer::CertificateCache* certificates = nullptr);

// The certificates an OCSP response carries (responder and its chain), DER.
std::vector<Bytes> OcspResponseCerts(ByteSpan ocsp_der);

}  // namespace taicho::revocation
