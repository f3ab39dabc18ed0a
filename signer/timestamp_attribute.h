// RFC 3161 time-stamp tokens in a CMS SignedData (PAdES B-T): the bytes that get time-stamped,
// adding the signature-time-stamp unsigned attribute (id-aa-signatureTimeStampToken,
// 1.2.840.113549.1.9.16.2.14) and verifying a token, on its own or embedded in a signature.
//
// Fetching a token from a TSA is tsa/'s job; this header only knows CMS and tokens. All functions
// are thread-safe (no shared state); a TimeStampAnchors is immutable once made and may be used by
// any number of threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "signer/bytes.h"
#include "signer/cms_builder.h"
#include "signer/openssl_ptr.h"

namespace taicho::signer {

// What a token verified by VerifyTimeStampToken says.
struct TimeStampInfo {
  int64_t gen_time = 0;          // Unix seconds (any fraction dropped)
  std::string gen_time_text;     // ISO 8601 UTC as the TSA wrote it, e.g. "2026-11-28T02:30:45Z"
  std::string policy_oid;        // the TSA policy, dotted
  std::string serial_hex;        // the token's serial number
  std::string digest_algorithm;  // of the message imprint, e.g. "SHA-256"
  std::string tsa_subject;       // RFC 2253, UTF-8
  Bytes nonce;                   // big-endian magnitude; empty when the token has none
  Bytes tsa_certificate_der;     // for the B-LT validation data of the TSA chain
};

// What a token's signer must chain to.
struct TimeStampTrust {
  std::string trust_anchors_pem;   // PEM bundle of root certificates (required)
  std::string intermediates_pem;   // extra untrusted certificates; the token usually carries them
  std::optional<int64_t> at_time;  // Unix seconds the chain is checked at; now when unset
};

// The certificates of a TimeStampTrust, parsed once: what a long-lived verifier of tokens (a
// tsa::TsaClient) holds, so that a token costs no decoding of the trust anchors (in OpenSSL 3
// decoding a certificate's key is dear; reading the PEM bundle for every token was about a fifth
// of a B-LTA seal's CPU). Immutable: the certificates are only read (OpenSSL guards the
// extensions it caches lazily with each object's own lock), so any number of threads may verify
// with one anchors object at once.
class TimeStampAnchors {
 public:
  // kUsage when `trust` has no readable anchor or an unreadable intermediate (its at_time is not
  // kept: it is given to each verification).
  static absl::StatusOr<std::shared_ptr<const TimeStampAnchors>> Parse(const TimeStampTrust& trust);

  const std::vector<ossl::X509Ptr>& roots() const { return roots_; }
  const std::vector<ossl::X509Ptr>& intermediates() const { return intermediates_; }

 private:
  TimeStampAnchors() = default;
  std::vector<ossl::X509Ptr> roots_;          // never empty
  std::vector<ossl::X509Ptr> intermediates_;  // may be empty
};

// Adds `token_der` (a TimeStampToken: DER ContentInfo of a SignedData over a TSTInfo) to `cms`
// (held as objects since it was signed; nothing is decoded again) as a signature-time-stamp
// unsigned attribute of its only SignerInfo. The signed parts are not changed, so the signature
// still verifies. kUsage when the token is not a TimeStampToken or its imprint is not over this
// CMS's signature value (a token fetched for another signature); `cms` is then unchanged. The
// token itself is not verified here (the caller got it from a verifying client, tsa/), and its
// certificates are not decoded: only its TSTInfo is.
absl::Status AddSignatureTimeStamp(SignedCms& cms, ByteSpan token_der);

// Verifies `token_der` over `stamped_data`: the imprint (SHA-256/384/512, never SHA-1) is of
// `stamped_data`, the token's signature verifies, its ESS signing-certificate names the signer,
// the signer chains to `trust` and has the critical id-kp-timeStamping extended key usage as its
// only one (RFC 3161 §2.3). kTimeStampInvalid (with the reason) when any check fails; kUsage when
// `trust` has no anchor.
absl::StatusOr<TimeStampInfo> VerifyTimeStampToken(ByteSpan token_der, ByteSpan stamped_data,
                                                   const TimeStampTrust& trust);
// The same with anchors parsed beforehand; the chain is checked at `at_time` (Unix seconds; now
// when unset).
absl::StatusOr<TimeStampInfo> VerifyTimeStampToken(ByteSpan token_der, ByteSpan stamped_data,
                                                   const TimeStampAnchors& anchors,
                                                   std::optional<int64_t> at_time);

// The same for a token already parsed: `token` (the TimeStampToken) and `tst` (its TSTInfo), both
// the caller's. For a client that has just read them from the TSA's reply: decoding a token again
// decodes its certificates again, which in OpenSSL 3 costs more than verifying it.
// `token_certificates`: the token's own certificates when the caller took them out of it before
// decoding (found by their bytes in a cache); they count as the token's.
absl::StatusOr<TimeStampInfo> VerifyParsedTimeStampToken(
    PKCS7* token, TS_TST_INFO* tst, ByteSpan stamped_data, const TimeStampAnchors& anchors,
    std::optional<int64_t> at_time, const std::vector<ossl::X509Ptr>& token_certificates = {});

// The signature time-stamp embedded in a one-signer CMS, verified over its signature value as
// VerifyTimeStampToken does; nullopt when the SignerInfo has none. With several, all must
// verify and the earliest is returned (it is the one that proves the signature existed).
absl::StatusOr<std::optional<TimeStampInfo>> VerifySignatureTimeStamp(ByteSpan cms_der,
                                                                      const TimeStampTrust& trust);

}  // namespace taicho::signer
