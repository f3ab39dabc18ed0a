// Private to pades/: the checks on the signer's certificate before anything is signed.
// Threads: any; the revocation client in the options is shared and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pades/pdf_signer.h"
#include "signer/certificate_info.h"

namespace taicho::pades {

struct SignerCheck {
  std::string status;  // "good", or "not checked" (no client / unavailable and allowed)
  std::string source;  // "ocsp" / "crl" (+ " (cache)"), "" when not checked
  std::vector<std::string> problems;  // why it could not be checked (English)
};

// `chain` starts with the signer's certificate, then its issuer; `info` describes the first
// (named in the errors). At `now`: CERT_EXPIRED,
// CERT_NOT_YET_VALID; with options.revocation: CERT_REVOKED, CERT_STATUS_UNKNOWN, and
// REVOCATION_UNAVAILABLE unless options.sign_when_revocation_unavailable. `certificates`
// (optional, not owned) keeps the chain parsed.
absl::StatusOr<SignerCheck> CheckSignerCertificate(const std::vector<Bytes>& chain,
                                                   const signer::CertificateInfo& info,
                                                   const SignOptions& options, int64_t now,
                                                   signer::CertificateCache* certificates);

// Copies a check into the result of the signature.
void CopySignerCheck(const SignerCheck& check, SignResult* result);

}  // namespace taicho::pades
