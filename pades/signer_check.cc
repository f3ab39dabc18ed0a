#include "pades/signer_check.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "revocation/revocation_client.h"
#include "signer/certificate_cache.h"
#include "signer/certificate_info.h"
#include "signer/openssl_ptr.h"
#include "vntime/vntime.h"

namespace taicho::pades {

absl::StatusOr<SignerCheck> CheckSignerCertificate(const std::vector<Bytes>& chain,
                                                   const signer::CertificateInfo& info,
                                                   const SignOptions& options, int64_t now,
                                                   signer::CertificateCache* certificates) {
  if (chain.empty()) return Error(ErrorCode::kCertificateNotFound);
  signer::ossl::X509Ptr cert = signer::ParseCertificatePrefix(chain[0], certificates);
  if (!cert) {
    ERR_clear_error();
    return Error(ErrorCode::kCertificateInvalid, "the signer's certificate cannot be parsed");
  }
  std::time_t t = static_cast<std::time_t>(now);
  const std::string& who = info.common_name;
  if (X509_cmp_time(X509_get0_notAfter(cert.get()), &t) < 0) {
    return Error(ErrorCode::kCertExpired, absl::StrCat(who, ": notAfter ", info.not_after));
  }
  if (X509_cmp_time(X509_get0_notBefore(cert.get()), &t) > 0) {
    return Error(ErrorCode::kCertNotYetValid, absl::StrCat(who, ": notBefore ", info.not_before));
  }
  SignerCheck check;
  check.status = "not checked";
  if (options.revocation == nullptr) return check;
  if (chain.size() < 2) {
    return Error(ErrorCode::kCertificateInvalid,
                 "the signer's issuer is needed to check revocation (give the chain)");
  }
  absl::StatusOr<revocation::StatusAnswer> answer =
      options.revocation->StatusAt(chain[0], chain[1], now);
  if (!answer.ok()) {
    if (!HasCode(answer.status(), ErrorCode::kRevocationUnavailable) ||
        !options.sign_when_revocation_unavailable) {
      return answer.status();
    }
    check.problems.emplace_back(answer.status().message());
    return check;
  }
  check.source = answer->kind == revocation::EvidenceKind::kOcsp ? "ocsp" : "crl";
  if (answer->from_cache) check.source += " (cache)";
  check.problems = answer->problems;
  switch (answer->status) {
    case revocation::CertStatus::kRevoked:
      return Error(ErrorCode::kCertRevoked,
                   absl::StrCat(who, ": revoked at ", vntime::IsoUtc(answer->revocation_time),
                                answer->reason_text.empty() ? "" : ", ", answer->reason_text, " (",
                                check.source, ")"));
    case revocation::CertStatus::kUnknown:
      return Error(ErrorCode::kCertStatusUnknown, absl::StrCat(who, " (", check.source, ")"));
    case revocation::CertStatus::kGood:
      break;
  }
  check.status = "good";
  return check;
}

void CopySignerCheck(const SignerCheck& check, SignResult* result) {
  result->signer_status = check.status;
  result->signer_status_source = check.source;
  result->revocation_problems = check.problems;
}

}  // namespace taicho::pades
