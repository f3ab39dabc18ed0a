#include "signer/cms_verifier.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "signer/accepted_digest.h"
#include "signer/certificate_cache.h"
#include "signer/certificate_info.h"
#include "signer/cms_der.h"
#include "signer/openssl_ptr.h"

namespace taicho::signer {
namespace {

std::string SignatureAlgorithmName(int nid) {
  switch (nid) {
    case NID_rsaEncryption:
    case NID_sha256WithRSAEncryption:
    case NID_sha384WithRSAEncryption:
    case NID_sha512WithRSAEncryption:
      return "RSA PKCS#1 v1.5";
    case NID_rsassaPss:
      return "RSASSA-PSS";
    case NID_ecdsa_with_SHA256:
    case NID_ecdsa_with_SHA384:
    case NID_ecdsa_with_SHA512:
    case NID_X9_62_id_ecPublicKey:
      return "ECDSA";
    default: {
      const char* sn = OBJ_nid2sn(nid);
      return sn ? sn : "unknown";
    }
  }
}

// A SigningCertificate(V2) reduced to its first ESSCertID(v2), as DER; empty when `value` is not
// one. RFC 5035 §5.4.1: the first names the signer's certificate; further ones serve
// authorization policies (which taicho does not apply) and may name certificates the CMS does
// not carry. OpenSSL's check wants every one found among the certificates it is given (the first
// as the first of them), so it is given this and the signer's certificate alone.
Bytes FirstCertIdOnly(const ASN1_STRING* value) {
  const unsigned char* const begin = ASN1_STRING_get0_data(value);
  const unsigned char* const end = begin + ASN1_STRING_length(value);
  const unsigned char* p = begin;
  long length = 0;
  int tag = 0, cls = 0;
  // SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, policies … OPTIONAL }
  for (int depth = 0; depth < 2; ++depth) {
    if (ASN1_get_object(&p, &length, &tag, &cls, end - p) != V_ASN1_CONSTRUCTED ||
        tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL) {
      return {};
    }
  }
  const unsigned char* const first = p;
  if (ASN1_get_object(&p, &length, &tag, &cls, end - p) != V_ASN1_CONSTRUCTED ||
      tag != V_ASN1_SEQUENCE) {
    return {};
  }
  const int first_size = static_cast<int>(p - first + length);
  const int certs_size = ASN1_object_size(1, first_size, V_ASN1_SEQUENCE);
  Bytes out(static_cast<size_t>(ASN1_object_size(1, certs_size, V_ASN1_SEQUENCE)));
  unsigned char* w = out.data();
  ASN1_put_object(&w, 1, certs_size, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
  ASN1_put_object(&w, 1, first_size, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
  std::copy(first, first + first_size, w);
  return out;
}

// A CMS decoded with its certificates, as d2i_CMS_ContentInfo and CMS_get1_certs give them.
struct DecodedCms {
  ossl::CmsPtr cms;
  ossl::X509StackPtr certs;
};

// OpenSSL 3.0 decodes the public key of every certificate in a CMS while it decodes the CMS,
// setting up a provider decoder for each: a fifth of verifying a small signed file, for the
// same few certificates (the signer's CA, the signers) every time. So a DER SignedData is decoded
// without its certificate set, and the certificates through the caller's CertificateCache (a
// verification keeps one for all its signatures and time-stamps), decoding each one once. Empty
// (the caller decodes the whole CMS as OpenSSL does) for anything else: BER, bytes after the CMS, a
// certificate choice other than a plain certificate, a certificate or structure that does not
// decode; so the outcome is the same either way.
std::optional<DecodedCms> DecodeWithSharedCertificates(ByteSpan der, CertificateCache* cache) {
  std::optional<CertificatesTakenOut> split = TakeOutCertificates(der);
  if (!split) return {};
  DecodedCms out;
  out.certs.reset(sk_X509_new_null());
  if (!out.certs) return {};
  for (ByteSpan cert : split->certificates) {
    ossl::X509Ptr x509 = ParseCertificate(cert, cache);
    if (!x509 || sk_X509_push(out.certs.get(), x509.get()) <= 0) return {};
    x509.release();  // the stack owns it
  }
  const unsigned char* p = split->without.data();
  out.cms.reset(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(split->without.size())));
  if (!out.cms || p != split->without.data() + split->without.size()) return {};
  return out;
}

// The certificates (DER) of a trust-anchor PEM text, in its order, up to the first block
// PEM_read_bio cannot read. The last text's list is kept for the process: a service and every
// signature of a file pass the same anchors, and decoding their base64 was ~3% of a small file's
// verification.
std::shared_ptr<const std::vector<std::string>> AnchorCertificates(const std::string& pem) {
  static std::mutex mu;
  static std::string* kept_pem = new std::string;  // never destroyed: used until exit
  static auto* kept = new std::shared_ptr<const std::vector<std::string>>;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (*kept && *kept_pem == pem) return *kept;
  }
  auto ders = std::make_shared<std::vector<std::string>>();
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return ders;  // not kept: out of memory is no property of the text
  while (true) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) break;
    if (std::string_view(name) == PEM_STRING_X509 ||
        std::string_view(name) == PEM_STRING_X509_OLD) {
      ders->emplace_back(reinterpret_cast<const char*>(data), static_cast<size_t>(length));
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  ERR_clear_error();
  std::lock_guard<std::mutex> lock(mu);
  *kept_pem = pem;
  *kept = ders;
  return ders;
}

// `at`: Unix time to judge the chain at; 0 for now.
void CheckChain(const std::string& trust_anchors_pem, CertificateCache* anchors, X509* signer,
                STACK_OF(X509) * certs, int64_t at, CmsVerification* result) {
  ossl::StorePtr store(X509_STORE_new());
  int roots = 0;
  // DER to X509 through the caller's cache when it keeps one: every signature of a file (and
  // every file a service verifies) names the same roots, and decoding a certificate's key is
  // the costly part with OpenSSL 3.0.
  if (store) {
    for (const std::string& der : *AnchorCertificates(trust_anchors_pem)) {
      ossl::X509Ptr root = ParseCertificate(
          ByteSpan(reinterpret_cast<const unsigned char*>(der.data()), der.size()), anchors);
      if (root && X509_STORE_add_cert(store.get(), root.get()) == 1) ++roots;
    }
  }
  ERR_clear_error();
  result->chain_trusted = false;
  if (roots == 0) {
    result->chain_error = "no usable certificate in the trust anchors";
    return;
  }
  ossl::StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), signer, certs) != 1) {
    ERR_clear_error();
    result->chain_error = "cannot set up chain verification";
    return;
  }
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_ANY);
  if (at != 0) X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(at));
  if (X509_verify_cert(ctx.get()) == 1) {
    result->chain_trusted = true;
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
    if (chain != nullptr && sk_X509_num(chain) >= 2 && sk_X509_value(chain, 0) == signer) {
      result->verified_issuer_der = ossl::ToDer(sk_X509_value(chain, 1), i2d_X509);
    }
  } else {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    result->chain_error = X509_verify_cert_error_string(error);
    result->chain_expired = error == X509_V_ERR_CERT_HAS_EXPIRED;
  }
  ERR_clear_error();
}

void Verify(ByteSpan cms_der, const ContentStreamer& content, const std::string& trust_anchors_pem,
            CertificateCache* anchors, int64_t chain_time, CmsVerification* result) {
  auto problem = [&](std::string text) { result->problems.push_back(std::move(text)); };
  std::optional<DecodedCms> decoded = DecodeWithSharedCertificates(cms_der, anchors);
  if (!decoded) {
    decoded.emplace();
    const unsigned char* p = cms_der.data();
    decoded->cms.reset(cms_der.empty()
                           ? nullptr
                           : d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));
    if (!decoded->cms) return problem("not a DER CMS ContentInfo");
    if (p != cms_der.data() + cms_der.size()) problem("trailing bytes after the CMS");
    decoded->certs.reset(CMS_get1_certs(decoded->cms.get()));
  }
  const ossl::CmsPtr& cms = decoded->cms;
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    return problem("the CMS is not SignedData");
  }
  if (CMS_is_detached(cms.get()) != 1) return problem("the CMS is not detached");
  if (OBJ_obj2nid(CMS_get0_eContentType(cms.get())) != NID_pkcs7_data) {
    problem("eContentType is not id-data");
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (!infos || sk_CMS_SignerInfo_num(infos) != 1) {
    return problem("the CMS must hold exactly one SignerInfo");
  }
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  result->parsed = true;

  // The signer's certificate, among the CMS certificates, as the SignerIdentifier names it:
  // CMS_SignerInfo_cert_cmp compares issuerAndSerialNumber or subjectKeyIdentifier, whichever.
  const ossl::X509StackPtr& certs = decoded->certs;
  X509* signer = nullptr;
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i) {
    X509* cert = sk_X509_value(certs.get(), i);
    result->certificates_der.push_back(ossl::ToDer(cert, i2d_X509));
    if (signer == nullptr && CMS_SignerInfo_cert_cmp(si, cert) == 0) signer = cert;
  }
  result->has_signature_timestamp =
      CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1) >= 0;
  ASN1_OCTET_STRING* key_id = nullptr;
  X509_NAME* issuer = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (CMS_SignerInfo_get0_signer_id(si, &key_id, &issuer, &serial) == 1) {
    result->signer_identified_by = key_id ? "subjectKeyIdentifier" : "issuerAndSerialNumber";
  }
  if (signer) {
    CMS_SignerInfo_set1_signer_cert(si, signer);
    result->signer_certificate_der = ossl::ToDer(signer, i2d_X509);
    absl::StatusOr<CertificateInfo> info =
        DescribeCertificate(result->signer_certificate_der, anchors);
    if (info.ok()) {
      result->signer_subject = info->subject;
      result->signer_common_name = info->common_name;
      result->signer_serial_hex = info->serial_hex;
      result->signer_issuer = info->issuer;
      result->not_before = info->not_before;
      result->not_after = info->not_after;
    }
  } else {
    problem("the signer certificate is not in the CMS");
  }

  X509_ALGOR* digest_alg = nullptr;
  X509_ALGOR* sig_alg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest_alg, &sig_alg);
  const ASN1_OBJECT* sig_obj = nullptr;
  if (sig_alg) X509_ALGOR_get0(&sig_obj, nullptr, nullptr, sig_alg);
  result->signature_algorithm = SignatureAlgorithmName(OBJ_obj2nid(sig_obj));
  const ASN1_OBJECT* digest_obj = nullptr;
  if (digest_alg) X509_ALGOR_get0(&digest_obj, nullptr, nullptr, digest_alg);
  const int digest_nid = OBJ_obj2nid(digest_obj);
  const EVP_MD* md = AcceptedDigest(digest_nid, &result->digest_algorithm);
  if (!md) {
    // Refused is not broken: whether the bytes are intact is still worth knowing (an old SHA-1
    // signature that matches is INDETERMINATE, one that does not is a HASH_FAILURE).
    result->refused_algorithms.push_back(absl::StrCat(result->digest_algorithm, " (digest)"));
    md = digest_nid == NID_undef ? nullptr : EVP_get_digestbynid(digest_nid);
  }
  // The signature algorithm may name a digest of its own (sha1WithRSAEncryption, ecdsa-with-SHA1).
  int sig_digest_nid = NID_undef;
  std::string sig_digest_name;
  if (sig_obj && OBJ_find_sigid_algs(OBJ_obj2nid(sig_obj), &sig_digest_nid, nullptr) == 1 &&
      sig_digest_nid != NID_undef && !AcceptedDigest(sig_digest_nid, &sig_digest_name)) {
    const char* long_name = OBJ_nid2ln(OBJ_obj2nid(sig_obj));
    result->refused_algorithms.push_back(
        absl::StrCat(long_name ? long_name : "unknown", " (signature algorithm)"));
  }

  // The content digest, streamed once.
  unsigned char actual[EVP_MAX_MD_SIZE];
  unsigned int actual_len = 0;
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  bool digested = false;
  if (!md) {
    problem(absl::StrCat("digest algorithm unknown, the content cannot be digested: ",
                         result->digest_algorithm));
  } else {
    bool digest_ok = ctx && EVP_DigestInit_ex(ctx.get(), md, nullptr) == 1;
    absl::Status read = content([&](ByteSpan chunk) {
      if (digest_ok && !chunk.empty()) {
        digest_ok = EVP_DigestUpdate(ctx.get(), chunk.data(), chunk.size()) == 1;
      }
    });
    if (!read.ok()) {
      problem(absl::StrCat("the signed content could not be read: ", read.message()));
    } else if (!digest_ok) {
      problem("the content digest could not be computed");
    } else {
      digested = true;
    }
  }
  result->digest_computed = digested;

  result->has_signed_attributes = CMS_signed_get_attr_count(si) > 0;
  if (result->has_signed_attributes) {
    // §5.4: the signature is over the signed attributes; message-digest carries the content's.
    const auto* expected = static_cast<const ASN1_OCTET_STRING*>(CMS_signed_get0_data_by_OBJ(
        si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING));
    if (digested && EVP_DigestFinal_ex(ctx.get(), actual, &actual_len) != 1) {
      problem("the content digest could not be computed");
    } else if (digested && !expected) {
      problem("no (single) message-digest attribute");
    } else if (digested) {
      result->digest_matches =
          static_cast<unsigned int>(ASN1_STRING_length(expected)) == actual_len &&
          std::equal(actual, actual + actual_len, ASN1_STRING_get0_data(expected));
      if (!result->digest_matches) problem("the content does not match the message-digest");
    }
    if (signer) {
      result->signature_valid = CMS_SignerInfo_verify(si) == 1;
      if (!result->signature_valid) problem("the signature does not verify");
    }
  } else if (signer && digested) {
    // §5.4 without signed attributes: the signature is over the content digest itself (for RSA
    // PKCS#1 v1.5, its DigestInfo). OpenSSL's own check reads the digest from an md BIO; ours
    // already holds it, streamed above, so it is handed over in one.
    ossl::BioPtr md_bio(BIO_new(BIO_f_md()));
    EVP_MD_CTX* bio_ctx = nullptr;
    const bool ready = md_bio && BIO_set_md(md_bio.get(), md) == 1 &&
                       BIO_get_md_ctx(md_bio.get(), &bio_ctx) == 1 && bio_ctx != nullptr &&
                       EVP_MD_CTX_copy_ex(bio_ctx, ctx.get()) == 1;
    result->signature_valid = ready && CMS_SignerInfo_verify_content(si, md_bio.get()) == 1;
    result->digest_matches = result->signature_valid;
    if (!result->signature_valid) {
      problem("the signature over the content digest does not verify (no signed attributes)");
    }
  }

  // ESS signing-certificate (RFC 2634, SHA-1) and -v2 (RFC 5035): in each one present, the first
  // ESSCertID must name the signer's certificate, by its hash and, when given, its issuerSerial.
  // Neither present is valid CMS: the signer is then named by the SignerIdentifier alone.
  bool ess_ok = signer != nullptr;
  ossl::X509StackPtr only_signer(sk_X509_new_null());
  const bool listed = only_signer && signer && X509_up_ref(signer) == 1 &&
                      (sk_X509_push(only_signer.get(), signer) > 0 || (X509_free(signer), false));
  auto check_ess = [&](int nid, const char* name, bool v2) {
    if (CMS_signed_get_attr_by_NID(si, nid, -1) < 0) return;
    result->signing_certificate_version = std::max(result->signing_certificate_version, v2 ? 2 : 1);
    const auto* value = static_cast<const ASN1_STRING*>(
        CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(nid), -3, V_ASN1_SEQUENCE));
    if (!value) {
      ess_ok = false;
      return problem(absl::StrCat("more than one ", name, " attribute, or one of several values"));
    }
    if (!signer) return;
    const Bytes first = FirstCertIdOnly(value);
    const unsigned char* q = first.data();
    const long size = static_cast<long>(first.size());
    bool matches = false;
    if (!listed) {
      problem("cannot list the signer certificate to check the ESS attribute against");
    } else if (first.empty()) {
      problem(absl::StrCat(name, " is not a SigningCertificate structure"));
    } else if (v2) {
      ossl::EssCertV2Ptr ess(d2i_ESS_SIGNING_CERT_V2(nullptr, &q, size));
      matches = ess && OSSL_ESS_check_signing_certs(nullptr, ess.get(), only_signer.get(), 1) > 0;
    } else {
      ossl::EssCertPtr ess(d2i_ESS_SIGNING_CERT(nullptr, &q, size));
      matches = ess && OSSL_ESS_check_signing_certs(ess.get(), nullptr, only_signer.get(), 1) > 0;
    }
    if (!matches) {
      ess_ok = false;
      problem(absl::StrCat(name, " does not name the signer certificate"));
    }
  };
  check_ess(NID_id_smime_aa_signingCertificateV2, "signing-certificate-v2", /*v2=*/true);
  check_ess(NID_id_smime_aa_signingCertificate, "signing-certificate", /*v2=*/false);
  result->signing_certificate_matches = ess_ok;

  result->has_signing_time = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) >= 0;

  if (!trust_anchors_pem.empty()) {
    if (signer) {
      CheckChain(trust_anchors_pem, anchors, signer, certs.get(), chain_time, result);
    } else {
      result->chain_trusted = false;
      result->chain_error = "no signer certificate";
    }
  }
}

}  // namespace

absl::StatusOr<CmsVerification> VerifyDetachedCms(ByteSpan cms_der, const ContentStreamer& content,
                                                  const std::string& trust_anchors_pem,
                                                  CertificateCache* anchors) {
  CmsVerification result;
  Verify(cms_der, content, trust_anchors_pem, anchors, /*chain_time=*/0, &result);
  ERR_clear_error();
  return result;
}

bool SignerChainTrustedAt(ByteSpan cms_der, const std::string& trust_anchors_pem, int64_t at,
                          std::string* error, CertificateCache* anchors) {
  const unsigned char* p = cms_der.data();
  ossl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));
  STACK_OF(CMS_SignerInfo)* infos = cms ? CMS_get0_SignerInfos(cms.get()) : nullptr;
  ossl::X509StackPtr certs(cms ? CMS_get1_certs(cms.get()) : nullptr);
  X509* signer = nullptr;
  if (infos != nullptr && sk_CMS_SignerInfo_num(infos) == 1) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
    for (int i = 0; certs && i < sk_X509_num(certs.get()) && signer == nullptr; ++i) {
      if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs.get(), i)) == 0) {
        signer = sk_X509_value(certs.get(), i);
      }
    }
  }
  CmsVerification result;
  if (signer == nullptr) {
    result.chain_error = "no signer certificate";
  } else {
    CheckChain(trust_anchors_pem, anchors, signer, certs.get(), at, &result);
  }
  ERR_clear_error();
  if (error != nullptr) *error = result.chain_error;
  return result.chain_trusted.value_or(false);
}

}  // namespace taicho::signer
