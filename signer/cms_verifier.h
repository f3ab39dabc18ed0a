// Checks a detached CMS SignedData over content streamed by the caller.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "signer/bytes.h"

namespace taicho::signer {

class CertificateCache;  // certificate_cache.h

// Streams the signed content to `sink` in chunks; returns an error if it cannot be read.
using ContentStreamer = std::function<absl::Status(const std::function<void(ByteSpan)>& sink)>;

// What RFC 5652 (§5.3–5.6) allows is verified, not only the PAdES baseline shape; the facts a
// PAdES profile judges (signed attributes, ESS version, signing-time, how the signer is named)
// are reported for the caller, not turned into failures here.
struct CmsVerification {
  bool parsed = false;  // a SignedData with exactly one SignerInfo
  // With signed attributes: message-digest == digest of the content. Without: the same as
  // signature_valid (the signature is over the content digest itself, so one check proves both).
  bool digest_matches = false;
  bool signature_valid = false;  // over the signed attributes, or else over the content digest
  // The signer's certificate was found among the CMS certificates by the SignerIdentifier, and
  // every ESS signing-certificate attribute present (v1: SHA-1, v2: any accepted hash; the
  // issuerSerial when given) names that certificate. No such attribute at all is allowed by CMS.
  bool signing_certificate_matches = false;
  // "issuerAndSerialNumber" or "subjectKeyIdentifier" (RFC 5652 §5.3 SignerIdentifier).
  std::string signer_identified_by;
  bool has_signed_attributes = false;
  int signing_certificate_version = 0;  // ESS attribute present: 2 (v2, or v1 and v2), 1, else 0
  bool has_signing_time = false;        // a signing-time signed attribute (PAdES forbids it)
  std::optional<bool> chain_trusted;    // set when trust anchors were given
  std::string chain_error;              // why the chain did not verify
  bool chain_expired = false;           // ... because a certificate has expired by now
  std::string signer_subject;           // RFC 2253, UTF-8
  std::string signer_common_name;       // UTF-8
  std::string signer_serial_hex;
  std::string signer_issuer;
  std::string digest_algorithm;       // e.g. "SHA-256"
  std::string signature_algorithm;    // e.g. "RSA PKCS#1 v1.5", "RSASSA-PSS", "ECDSA"
  std::string not_before, not_after;  // ISO 8601 UTC
  std::vector<std::string> problems;  // human-readable, English
  Bytes signer_certificate_der;
  // The certificate whose key verified the signer certificate's signature in a chain that
  // verified (at any time checked), DER; empty when none did. Whoever looks the signer's issuer
  // up again (the revocation check) need not verify that signature a second time.
  Bytes verified_issuer_der;
  std::vector<Bytes> certificates_der;   // every certificate the CMS carries (issuer lookups)
  bool has_signature_timestamp = false;  // an unsigned signature-time-stamp attribute (B-T)
  // Algorithms the signature uses that the PAdES profile refuses (ETSI TS 119 312: SHA-1, MD5…
  // as the digest or inside the signature algorithm), named ("SHA-1 (digest)"…). A refused
  // digest OpenSSL still provides is computed all the same, so that digest_matches and
  // signature_valid tell whether the bytes are intact; one it does not provide leaves
  // digest_computed false and both unknown.
  std::vector<std::string> refused_algorithms;
  bool digest_computed = false;

  // The content and the signed attributes are what the signer signed. Says nothing of whether
  // the algorithms are still accepted (refused_algorithms) nor of who the signer is.
  bool intact() const { return parsed && digest_matches && signature_valid; }
};

// `trust_anchors_pem`: a PEM bundle of roots to validate the chain against (optional).
// `anchors` (optional, owned by the caller, e.g. a verification of one file or whoever holds the
// trust anchors' configuration): keeps the roots and the CMS's own certificates parsed between
// calls; decoding a certificate's key is the dear part of reading one in OpenSSL 3.
absl::StatusOr<CmsVerification> VerifyDetachedCms(ByteSpan cms_der, const ContentStreamer& content,
                                                  const std::string& trust_anchors_pem = {},
                                                  CertificateCache* anchors = nullptr);

// Whether the chain of the CMS's signer to `trust_anchors_pem` held at Unix time `at` (a time a
// verified time-stamp proves) rather than now; `error` says why not. `anchors` as above.
bool SignerChainTrustedAt(ByteSpan cms_der, const std::string& trust_anchors_pem, int64_t at,
                          std::string* error, CertificateCache* anchors = nullptr);

}  // namespace taicho::signer
