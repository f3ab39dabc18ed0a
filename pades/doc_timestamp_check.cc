#include "pades/doc_timestamp_check.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "absl/strings/str_cat.h"
#include "env/env.h"
#include "pdf/pdf_file.h"
#include "signer/certificate_info.h"
#include "signer/openssl_ptr.h"
#include "signer/timestamp_attribute.h"
#include "vntime/vntime.h"

namespace taicho::pades {
namespace {

using signer::ossl::CmsPtr;
using signer::ossl::MdCtxPtr;
using signer::ossl::Pkcs7Ptr;
using signer::ossl::ToDer;
using signer::ossl::TstInfoPtr;
using signer::ossl::X509Ptr;
using signer::ossl::X509StackPtr;
using signer::ossl::X509StackView;

}  // namespace

void CheckDocumentTimeStamp(const std::string& path, const pdf::EmbeddedSignature& sig,
                            const std::string& anchors, SignatureReport& r, Bytes* tsa_cert) {
  const unsigned char* p = sig.contents.data();
  Pkcs7Ptr token(d2i_PKCS7(nullptr, &p, static_cast<long>(sig.contents.size())));
  TstInfoPtr tst(token ? PKCS7_to_TS_TST_INFO(token.get()) : nullptr);
  if (!tst) {
    ERR_clear_error();
    r.problems.push_back("document time-stamp: /Contents is not a TimeStampToken");
    return;
  }
  // The imprint, recomputed over the ByteRange in bounded chunks.
  TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(tst.get());
  const ASN1_OBJECT* algo = nullptr;
  X509_ALGOR_get0(&algo, nullptr, nullptr, TS_MSG_IMPRINT_get_algo(imprint));
  const int nid = algo ? OBJ_obj2nid(algo) : NID_undef;
  const EVP_MD* md = nid == NID_sha256   ? EVP_sha256()
                     : nid == NID_sha384 ? EVP_sha384()
                     : nid == NID_sha512 ? EVP_sha512()
                                         : nullptr;
  if (md == nullptr) {
    r.problems.push_back("document time-stamp: imprint algorithm not accepted");
    return;
  }
  r.digest_algorithm = EVP_MD_get0_name(md);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestInit_ex(ctx.get(), md, nullptr) == 1;
  absl::Status st = pdf::StreamByteRange(path, sig.byte_range, [&](std::span<const uint8_t> c) {
    ok = ok && EVP_DigestUpdate(ctx.get(), c.data(), c.size()) == 1;
  });
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ok = ok && st.ok() && EVP_DigestFinal_ex(ctx.get(), digest, &len) == 1;
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(imprint);
  r.digest_ok = ok && msg != nullptr && static_cast<unsigned>(ASN1_STRING_length(msg)) == len &&
                std::equal(digest, digest + len, ASN1_STRING_get0_data(msg));
  if (!r.digest_ok) r.problems.push_back("document time-stamp: imprint is not of the ByteRange");

  // The token's own signature (no chain yet): PKCS7_verify over its encapsulated TSTInfo.
  r.signature_ok =
      PKCS7_verify(token.get(), nullptr, nullptr, nullptr, nullptr, PKCS7_NOVERIFY) == 1;
  ERR_clear_error();
  if (!r.signature_ok) r.problems.push_back("document time-stamp: token signature does not verify");
  X509StackView signers(r.signature_ok ? PKCS7_get0_signers(token.get(), nullptr, 0) : nullptr);
  ERR_clear_error();
  if (signers && sk_X509_num(signers.get()) == 1) {
    X509* tsa = sk_X509_value(signers.get(), 0);
    if (tsa_cert != nullptr) *tsa_cert = ToDer(tsa, i2d_X509);
    absl::StatusOr<signer::CertificateInfo> info =
        signer::DescribeCertificate(ToDer(tsa, i2d_X509));
    if (info.ok()) {
      r.signer_name = info->common_name;
      r.signer_subject = info->subject;
      r.signer_issuer = info->issuer;
      r.signer_serial = info->serial_hex;
    }
  }
  r.signature_algorithm = "RFC 3161";
  r.signing_certificate_ok = r.signature_ok;  // checked with the chain below (ESS in the token)
  if (anchors.empty()) return;
  // Imprint, signature, ESS signing-certificate, chain and the time-stamping EKU together, with
  // the same code that checks signature time-stamps. Only for an intact imprint: the data it is
  // given is the ByteRange itself.
  if (!r.digest_ok || !r.signature_ok) return;
  Bytes covered;
  st = pdf::StreamByteRange(path, sig.byte_range, [&](std::span<const uint8_t> c) {
    covered.insert(covered.end(), c.begin(), c.end());
  });
  signer::TimeStampTrust trust;
  trust.trust_anchors_pem = anchors;
  absl::StatusOr<signer::TimeStampInfo> info =
      st.ok() ? signer::VerifyTimeStampToken(sig.contents, covered, trust)
              : absl::StatusOr<signer::TimeStampInfo>(st);
  r.chain_trusted = info.ok();
  r.timestamp_ok = info.ok();
  if (!info.ok()) {
    r.signing_certificate_ok = false;
    r.problems.push_back(absl::StrCat("document time-stamp: ", info.status().message()));
    return;
  }
  r.timestamp_time = info->gen_time_text;
  r.timestamp_tsa = info->tsa_subject;
}

std::vector<Bytes> CarriedCertificates(const Bytes& cms_der) {
  std::vector<Bytes> out;
  const unsigned char* p = cms_der.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));
  X509StackPtr carried(cms ? CMS_get1_certs(cms.get()) : nullptr);
  for (int i = 0; carried && i < sk_X509_num(carried.get()); ++i) {
    out.push_back(ToDer(sk_X509_value(carried.get(), i), i2d_X509));
  }
  ERR_clear_error();
  return out;
}

void CheckRevocation(const pdf::DssContent& dss, const std::vector<Bytes>& carried,
                     const Bytes& cert, const revocation::StatusSource* online, SignatureReport& r,
                     signer::CertificateCache* certificates, const Bytes& verified_issuer) {
  if (cert.empty()) return;
  X509Ptr subject = signer::ParseCertificate(cert, certificates);
  if (!subject) return;
  // Issuer candidates: the DSS's certificates and the signature's own.
  std::vector<Bytes> pool = dss.certs;
  pool.insert(pool.end(), carried.begin(), carried.end());
  Bytes issuer;
  for (const Bytes& candidate : pool) {
    X509Ptr c = signer::ParseCertificate(candidate, certificates);
    // The same candidates in the same order as without the hint: only a verification whose
    // answer is known is skipped (an RSA check per signature, ~1% of a small file's whole command).
    if (c && X509_check_issued(c.get(), subject.get()) == X509_V_OK &&
        ((!verified_issuer.empty() && candidate == verified_issuer) ||
         X509_verify(subject.get(), X509_get0_pubkey(c.get())) == 1)) {
      issuer = candidate;
      break;
    }
  }
  ERR_clear_error();
  if (issuer.empty()) {
    r.problems.push_back("revocation: the certificate's issuer is not in the file");
    return;
  }
  const int64_t now = Env::Default().NowUnixSeconds();
  int64_t at = vntime::ParseIsoUtc(r.timestamp_time);
  if (at == 0) at = now;
  std::optional<revocation::StatusAnswer> answer;
  for (size_t i = 0; i < dss.ocsps.size(); ++i) {
    absl::StatusOr<revocation::StatusAnswer> a =
        revocation::StatusFromOcsp(dss.ocsps[i], cert, issuer, at, now);
    if (a.ok()) {
      answer = *std::move(a);
      r.revocation_source = "DSS OCSP";
      if (i < dss.ocsp_offsets.size()) r.revocation_offset = dss.ocsp_offsets[i];
      break;
    }
  }
  for (size_t i = 0; !answer && i < dss.crls.size(); ++i) {
    absl::StatusOr<revocation::StatusAnswer> a =
        revocation::StatusFromCrl(dss.crls[i], cert, issuer, at);
    if (a.ok()) {
      answer = *std::move(a);
      r.revocation_source = "DSS CRL";
      if (i < dss.crl_offsets.size()) r.revocation_offset = dss.crl_offsets[i];
    }
  }
  if (!answer && online != nullptr) {
    absl::StatusOr<revocation::StatusAnswer> a = online->StatusAt(cert, issuer, at);
    if (a.ok()) {
      answer = *std::move(a);
      r.revocation_source =
          answer->kind == revocation::EvidenceKind::kOcsp ? "online OCSP" : "online CRL";
    } else {
      r.problems.push_back(absl::StrCat("revocation: ", a.status().message()));
    }
  }
  if (!answer) return;
  r.revocation_status = std::string(revocation::StatusName(answer->status));
  if (answer->revocation_time != 0) r.revocation_time = vntime::IsoUtc(answer->revocation_time);
  if (answer->status == revocation::CertStatus::kRevoked) {
    r.problems.push_back(absl::StrCat("the certificate was revoked at ", r.revocation_time,
                                      answer->reason_text.empty() ? "" : ", ",
                                      answer->reason_text));
  }
}

}  // namespace taicho::pades
