// Checks a detached CMS SignedData over content streamed by the caller.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "signer/bytes.h"

namespace taicho::signer {

// Streams the signed content to `sink` in chunks; returns an error if it cannot be read.
using ContentStreamer = std::function<absl::Status(const std::function<void(ByteSpan)>& sink)>;

struct CmsVerification {
  bool parsed = false;                       // a SignedData with exactly one SignerInfo
  bool digest_matches = false;               // message-digest == digest of the content
  bool signature_valid = false;              // signature over the signed attributes verifies
  bool signing_certificate_matches = false;  // signing-certificate-v2 names the signer's cert
  bool has_signing_time = false;             // PAdES forbids it; reported, not fatal
  std::optional<bool> chain_trusted;         // set when trust anchors were given
  std::string chain_error;                   // why the chain did not verify
  bool chain_expired = false;                // ... because a certificate has expired by now
  std::string signer_subject;                // RFC 2253, UTF-8
  std::string signer_common_name;            // UTF-8
  std::string signer_serial_hex;
  std::string signer_issuer;
  std::string digest_algorithm;       // e.g. "SHA-256"
  std::string signature_algorithm;    // e.g. "RSA PKCS#1 v1.5", "RSASSA-PSS", "ECDSA"
  std::string not_before, not_after;  // ISO 8601 UTC
  std::vector<std::string> problems;  // human-readable, English
  Bytes signer_certificate_der;
  std::vector<Bytes> certificates_der;   // every certificate the CMS carries (issuer lookups)
  bool has_signature_timestamp = false;  // an unsigned signature-time-stamp attribute (B-T)

  bool intact() const { return parsed && digest_matches && signature_valid; }
};

// `trust_anchors_pem`: a PEM bundle of roots to validate the chain against (optional).
absl::StatusOr<CmsVerification> VerifyDetachedCms(ByteSpan cms_der, const ContentStreamer& content,
                                                  const std::string& trust_anchors_pem = {});

// Whether the chain of the CMS's signer to `trust_anchors_pem` held at Unix time `at` (a time a
// verified time-stamp proves) rather than now; `error` says why not.
bool SignerChainTrustedAt(ByteSpan cms_der, const std::string& trust_anchors_pem, int64_t at,
                          std::string* error);

}  // namespace taicho::signer
