#include "revocation/evidence.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "signer/certificate_cache.h"
#include "signer/openssl_ptr.h"

namespace taicho::revocation {
namespace {

using signer::ossl::CrlPtr;
using signer::ossl::Deleter;
using signer::ossl::StorePtr;
using signer::ossl::X509Ptr;
using signer::ossl::X509StackView;
using CertIdPtr = signer::ossl::OcspCertIdPtr;
using OcspRespPtr = signer::ossl::OcspResponsePtr;
using BasicRespPtr = signer::ossl::OcspBasicPtr;
using EnumPtr = std::unique_ptr<ASN1_ENUMERATED, Deleter<ASN1_ENUMERATED_free>>;
using DistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, Deleter<CRL_DIST_POINTS_free>>;
void FreeStringStack(STACK_OF(OPENSSL_STRING) * sk) { X509_email_free(sk); }
using StringStackPtr = std::unique_ptr<STACK_OF(OPENSSL_STRING), Deleter<FreeStringStack>>;

// Through the caller's cache when given: a DSS names the same few certificates for every
// signature, and decoding one is dear with OpenSSL 3.0.
using signer::ParseCertificatePrefix;

int64_t ToUnix(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string ReasonText(int reason) { return reason >= 0 ? OCSP_crl_reason_str(reason) : ""; }

// SHA-1: see OcspCertId in the header.
CertIdPtr MakeCertId(X509* cert, X509* issuer) {
  return CertIdPtr(OCSP_cert_to_id(EVP_sha1(), cert, issuer));
}

bool IsFresh(const StatusAnswer& a, const Freshness& f) {
  return a.this_update <= f.now + f.skew && (a.next_update == 0 || a.next_update >= f.now - f.skew);
}

// Verifies an OCSP response and answers for `id`; `fresh`: thisUpdate/nextUpdate must hold then.
absl::StatusOr<StatusAnswer> EvaluateOcsp(ByteSpan der, X509* issuer, OCSP_CERTID* id, int64_t at,
                                          int64_t verify_time, std::optional<Freshness> fresh) {
  const unsigned char* p = der.data();
  OcspRespPtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!resp || p != der.data() + der.size()) {
    ERR_clear_error();
    return Error(ErrorCode::kRevocationUnavailable, "not a DER OCSPResponse");
  }
  const int rs = OCSP_response_status(resp.get());
  if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return Error(ErrorCode::kRevocationUnavailable,
                 absl::StrCat("OCSP responseStatus ", OCSP_response_status_str(rs)));
  }
  BasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  if (!basic) {
    ERR_clear_error();
    return Error(ErrorCode::kRevocationUnavailable, "no basic OCSP response");
  }
  // The issuer is the only trust anchor: the responder must be the CA itself or hold a
  // certificate from it with id-kp-OCSPSigning (OCSP_basic_verify checks both).
  StorePtr store(X509_STORE_new());
  X509StackView certs(sk_X509_new_null());
  if (!store || !certs || X509_STORE_add_cert(store.get(), issuer) != 1 ||
      sk_X509_push(certs.get(), issuer) <= 0) {
    ERR_clear_error();
    return Error(ErrorCode::kCrypto, "cannot set up OCSP verification");
  }
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()), static_cast<time_t>(verify_time));
  if (OCSP_basic_verify(basic.get(), certs.get(), store.get(), OCSP_PARTIAL_CHAIN) <= 0) {
    char buf[256] = {};
    ERR_error_string_n(ERR_peek_last_error(), buf, sizeof buf);
    ERR_clear_error();
    return Error(ErrorCode::kRevocationUnavailable,
                 absl::StrCat("OCSP response signature or responder not authorised: ", buf));
  }
  StatusAnswer answer;
  X509* signer = nullptr;  // owned by `basic` or `certs`
  if (OCSP_resp_get0_signer(basic.get(), &signer, certs.get()) == 1 && signer != nullptr &&
      X509_cmp(signer, issuer) != 0) {
    answer.signer_not_after = ToUnix(X509_get0_notAfter(signer));
  }
  ERR_clear_error();
  int status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *revtime = nullptr, *thisupd = nullptr, *nextupd = nullptr;
  if (OCSP_resp_find_status(basic.get(), id, &status, &reason, &revtime, &thisupd, &nextupd) != 1) {
    return absl::NotFoundError("the OCSP response is about another certificate");
  }
  answer.kind = EvidenceKind::kOcsp;
  answer.this_update = ToUnix(thisupd);
  answer.next_update = nextupd ? ToUnix(nextupd) : 0;
  if (fresh && !IsFresh(answer, *fresh)) {
    return Error(ErrorCode::kRevocationUnavailable, "the OCSP response is not fresh");
  }
  if (status == V_OCSP_CERTSTATUS_GOOD) {
    answer.status = CertStatus::kGood;
  } else if (status == V_OCSP_CERTSTATUS_REVOKED) {
    answer.revocation_time = ToUnix(revtime);
    answer.reason = reason;
    answer.reason_text = ReasonText(reason);
    answer.status = answer.revocation_time > at ? CertStatus::kGood : CertStatus::kRevoked;
  } else {
    answer.status = CertStatus::kUnknown;
  }
  const STACK_OF(X509)* carried = OCSP_resp_get0_certs(basic.get());
  for (int i = 0; carried != nullptr && i < sk_X509_num(carried); ++i) {
    answer.evidence_certs.push_back(signer::ossl::ToDer(sk_X509_value(carried, i), i2d_X509));
  }
  answer.evidence.assign(der.begin(), der.end());
  return answer;
}

absl::StatusOr<StatusAnswer> EvaluateCrl(ByteSpan der, X509* cert, X509* issuer, int64_t at,
                                         std::optional<Freshness> fresh) {
  const unsigned char* p = der.data();
  CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (!crl || p != der.data() + der.size()) {
    ERR_clear_error();
    return Error(ErrorCode::kRevocationUnavailable, "not a DER CRL");
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(issuer)) != 0 ||
      X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)) != 0) {
    return absl::NotFoundError("the CRL is another issuer's");
  }
  if (X509_CRL_verify(crl.get(), X509_get0_pubkey(issuer)) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kRevocationUnavailable, "the CRL signature does not verify");
  }
  StatusAnswer answer;
  answer.kind = EvidenceKind::kCrl;
  answer.this_update = ToUnix(X509_CRL_get0_lastUpdate(crl.get()));
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
  answer.next_update = next ? ToUnix(next) : 0;
  if (fresh && !IsFresh(answer, *fresh)) {
    return Error(ErrorCode::kRevocationUnavailable, "the CRL is not fresh");
  }
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_cert(crl.get(), &entry, cert) == 1 && entry != nullptr) {
    answer.revocation_time = ToUnix(X509_REVOKED_get0_revocationDate(entry));
    EnumPtr code(static_cast<ASN1_ENUMERATED*>(
        X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr)));
    if (code) {
      answer.reason = static_cast<int>(ASN1_ENUMERATED_get(code.get()));
      answer.reason_text = ReasonText(answer.reason);
    }
    answer.status = answer.revocation_time > at ? CertStatus::kGood : CertStatus::kRevoked;
  } else {
    answer.status = CertStatus::kGood;
  }
  ERR_clear_error();
  answer.evidence.assign(der.begin(), der.end());
  return answer;
}

}  // namespace

std::string_view StatusName(CertStatus status) {
  switch (status) {
    case CertStatus::kGood:
      return "good";
    case CertStatus::kRevoked:
      return "revoked";
    case CertStatus::kUnknown:
      break;
  }
  return "unknown";
}

std::vector<std::string> OcspUrls(ByteSpan der, signer::CertificateCache* certificates) {
  std::vector<std::string> urls;
  X509Ptr cert = ParseCertificatePrefix(der, certificates);
  if (!cert) return urls;
  StringStackPtr list(X509_get1_ocsp(cert.get()));
  for (int i = 0; list && i < sk_OPENSSL_STRING_num(list.get()); ++i) {
    urls.emplace_back(sk_OPENSSL_STRING_value(list.get(), i));
  }
  return urls;
}

std::vector<std::string> CrlUrls(ByteSpan der, signer::CertificateCache* certificates) {
  std::vector<std::string> urls;
  X509Ptr cert = ParseCertificatePrefix(der, certificates);
  if (!cert) return urls;
  DistPointsPtr points(static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(cert.get(), NID_crl_distribution_points, nullptr, nullptr)));
  for (int i = 0; points && i < sk_DIST_POINT_num(points.get()); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(points.get(), i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;  // fullName only
    const GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      std::string url(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
      if (absl::StartsWith(url, "http://") || absl::StartsWith(url, "https://")) {
        urls.push_back(std::move(url));
      }
    }
  }
  ERR_clear_error();
  return urls;
}

std::vector<Bytes> OcspResponseCerts(ByteSpan der) {
  std::vector<Bytes> out;
  const unsigned char* p = der.data();
  OcspRespPtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  BasicRespPtr basic(resp ? OCSP_response_get1_basic(resp.get()) : nullptr);
  const STACK_OF(X509)* certs = basic ? OCSP_resp_get0_certs(basic.get()) : nullptr;
  for (int i = 0; certs && i < sk_X509_num(certs); ++i) {
    unsigned char* buf = nullptr;
    const int len = i2d_X509(sk_X509_value(certs, i), &buf);
    if (len > 0) out.emplace_back(buf, buf + len);
    OPENSSL_free(buf);
  }
  ERR_clear_error();
  return out;
}

absl::StatusOr<Bytes> OcspCertId(ByteSpan cert, ByteSpan issuer,
                                 signer::CertificateCache* certificates) {
  X509Ptr c = ParseCertificatePrefix(cert, certificates);
  X509Ptr i = ParseCertificatePrefix(issuer, certificates);
  if (!c || !i) return Error(ErrorCode::kCertificateInvalid, "unparsable certificate or issuer");
  CertIdPtr id = MakeCertId(c.get(), i.get());
  unsigned char* der = nullptr;
  const int len = id ? i2d_OCSP_CERTID(id.get(), &der) : 0;
  if (len <= 0) {
    ERR_clear_error();
    return Error(ErrorCode::kCrypto, "cannot make the OCSP CertID");
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<StatusAnswer> StatusFromOcsp(ByteSpan ocsp_der, ByteSpan cert, ByteSpan issuer,
                                            int64_t at, int64_t verify_time,
                                            std::optional<Freshness> fresh,
                                            signer::CertificateCache* certificates) {
  X509Ptr c = ParseCertificatePrefix(cert, certificates);
  X509Ptr i = ParseCertificatePrefix(issuer, certificates);
  if (!c || !i) return Error(ErrorCode::kCertificateInvalid, "unparsable certificate or issuer");
  CertIdPtr id = MakeCertId(c.get(), i.get());
  if (!id) return Error(ErrorCode::kCrypto, "cannot make the OCSP CertID");
  return EvaluateOcsp(ocsp_der, i.get(), id.get(), at, verify_time, fresh);
}

absl::StatusOr<StatusAnswer> StatusFromCrl(ByteSpan crl_der, ByteSpan cert, ByteSpan issuer,
                                           int64_t at, std::optional<Freshness> fresh,
                                           signer::CertificateCache* certificates) {
  X509Ptr c = ParseCertificatePrefix(cert, certificates);
  X509Ptr i = ParseCertificatePrefix(issuer, certificates);
  if (!c || !i) return Error(ErrorCode::kCertificateInvalid, "unparsable certificate or issuer");
  return EvaluateCrl(crl_der, c.get(), i.get(), at, fresh);
}

}  // namespace taicho::revocation
