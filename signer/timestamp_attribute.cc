#include "signer/timestamp_attribute.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "signer/accepted_digest.h"
#include "signer/cms_der.h"
#include "signer/openssl_ptr.h"

namespace taicho::signer {
namespace {

absl::Status Invalid(std::string_view why) {
  ERR_clear_error();
  return Error(ErrorCode::kTimeStampInvalid, why);
}

// OpenSSL's queued reasons in one line (the TS verifier puts the X509 verify error in the data),
// then clears the queue so it never leaks into an unrelated later call on this thread.
std::string DrainOpensslErrors() {
  std::string text;
  const char* data = nullptr;
  int flags = 0;
  unsigned long err;
  while ((err = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    if (!text.empty()) text += "; ";
    const char* reason = ERR_reason_error_string(err);
    text += reason ? reason : "unknown error";
    if (data != nullptr && (flags & ERR_TXT_STRING) && *data != '\0') {
      absl::StrAppend(&text, " (", data, ")");
    }
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

struct ParsedCms {
  ossl::CmsPtr cms;
  CMS_SignerInfo* si = nullptr;  // owned by cms
};

absl::StatusOr<ParsedCms> ParseOneSignerCms(ByteSpan der) {
  ParsedCms out;
  const unsigned char* p = der.data();
  if (!der.empty()) out.cms.reset(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!out.cms || p != der.data() + der.size() ||
      OBJ_obj2nid(CMS_get0_type(out.cms.get())) != NID_pkcs7_signed) {
    ERR_clear_error();
    return Error(ErrorCode::kUsage, "not a DER CMS SignedData");
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(out.cms.get());
  if (infos == nullptr || sk_CMS_SignerInfo_num(infos) != 1) {
    return Error(ErrorCode::kUsage, "the CMS must have exactly one SignerInfo");
  }
  out.si = sk_CMS_SignerInfo_value(infos, 0);
  return out;
}

Bytes SignatureBytes(CMS_SignerInfo* si) {
  ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(si);
  if (sig == nullptr) return {};
  const unsigned char* data = ASN1_STRING_get0_data(sig);
  return Bytes(data, data + ASN1_STRING_length(sig));
}

struct ParsedToken {
  ossl::Pkcs7Ptr p7;
  ossl::TstInfoPtr tst;
};

// A TimeStampToken: a DER ContentInfo of a SignedData whose content is a TSTInfo.
bool ParseToken(ByteSpan der, ParsedToken* out) {
  if (der.empty()) return false;
  const unsigned char* p = der.data();
  out->p7.reset(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (!out->p7 || p != der.data() + der.size()) {
    ERR_clear_error();
    return false;
  }
  out->tst.reset(PKCS7_to_TS_TST_INFO(out->p7.get()));
  ERR_clear_error();
  return out->tst != nullptr;
}

// The TSTInfo of a DER TimeStampToken read without decoding the token's certificates (the TSA's
// chain); ParseToken's full decoding for any other encoding. Null when it is not a token.
ossl::TstInfoPtr TstInfoOfToken(ByteSpan der) {
  std::optional<CmsLayout> layout = ReadCmsLayout(der);
  if (!layout || layout->encoded_size != der.size()) {
    ParsedToken token;
    return ParseToken(der, &token) ? std::move(token.tst) : nullptr;
  }
  const ASN1_OBJECT* tst_info = OBJ_nid2obj(NID_id_smime_ct_TSTInfo);
  if (!layout->content || tst_info == nullptr ||
      layout->content_type.size() != OBJ_length(tst_info) ||
      !std::equal(layout->content_type.begin(), layout->content_type.end(),
                  OBJ_get0_data(tst_info))) {
    return nullptr;
  }
  const unsigned char* p = layout->content->data();
  ossl::TstInfoPtr tst(d2i_TS_TST_INFO(nullptr, &p, static_cast<long>(layout->content->size())));
  if (!tst || p != layout->content->data() + layout->content->size()) {
    ERR_clear_error();
    return nullptr;
  }
  return tst;
}

// The SHA-2 digest of the token's imprint; null (with its name) for anything else, SHA-1 included.
const EVP_MD* ImprintDigest(TS_TST_INFO* tst, std::string* name) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr,
                  TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst)));
  return AcceptedDigest(obj ? OBJ_obj2nid(obj) : NID_undef, name);
}

bool ImprintCovers(TS_TST_INFO* tst, const EVP_MD* md, ByteSpan data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1) return false;
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(tst));
  return msg != nullptr && static_cast<unsigned int>(ASN1_STRING_length(msg)) == len &&
         std::equal(digest, digest + len, ASN1_STRING_get0_data(msg));
}

std::string NameText(const X509_NAME* name) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return {};
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string IntegerHex(const ASN1_INTEGER* value) {
  ossl::BnPtr bn(ASN1_INTEGER_to_BN(value, nullptr));
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return {};
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

// genTime as Unix seconds and as ISO 8601 text keeping the TSA's fraction of a second.
bool ReadGenTime(const ASN1_GENERALIZEDTIME* time, TimeStampInfo* info) {
  struct tm tm = {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return false;
  info->gen_time = static_cast<int64_t>(timegm(&tm));
  char text[80];  // room for any int the compiler imagines
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  info->gen_time_text = text;
  std::string_view raw(reinterpret_cast<const char*>(ASN1_STRING_get0_data(time)),
                       static_cast<size_t>(ASN1_STRING_length(time)));
  const size_t dot = raw.find('.');
  if (dot != std::string_view::npos) {
    const size_t end = raw.find('Z', dot);
    info->gen_time_text += raw.substr(dot, end == std::string_view::npos ? end : end - dot);
  }
  info->gen_time_text += "Z";
  return true;
}

// Reads every PEM certificate of `pem`; false on a certificate that cannot be parsed.
bool ReadPemCertificates(const std::string& pem, std::vector<ossl::X509Ptr>* out) {
  if (pem.empty()) return true;
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return false;
  while (true) {
    ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    out->push_back(std::move(cert));
  }
  // The loop ends with a "no start line" error at the end of the input: that is not a failure.
  const unsigned long err = ERR_peek_last_error();
  const bool clean_end =
      err == 0 || (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE);
  ERR_clear_error();
  return clean_end;
}

// RFC 3161 §2.3: the TSA certificate has exactly one EKU, id-kp-timeStamping, marked critical.
// OpenSSL's timestamp-sign purpose checks the same; checking it here too gives a clear reason and
// does not depend on the library's choice of purpose.
absl::Status CheckTsaCertificate(X509* tsa) {
  const uint32_t flags = X509_get_extension_flags(tsa);
  if ((flags & EXFLAG_XKUSAGE) == 0) {
    return Invalid("the TSA certificate has no extended key usage (id-kp-timeStamping required)");
  }
  if (X509_get_extended_key_usage(tsa) != XKU_TIMESTAMP) {
    return Invalid("the TSA certificate's extended key usage must be id-kp-timeStamping only");
  }
  const int idx = X509_get_ext_by_NID(tsa, NID_ext_key_usage, -1);
  if (idx < 0 || X509_EXTENSION_get_critical(X509_get_ext(tsa, idx)) != 1) {
    return Invalid("the TSA certificate's extended key usage is not critical");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AddSignatureTimeStamp(SignedCms& cms, ByteSpan token_der) {
  ossl::TstInfoPtr tst = TstInfoOfToken(token_der);
  if (!tst) return Error(ErrorCode::kUsage, "the token is not a DER RFC 3161 TimeStampToken");
  std::string md_name;
  const EVP_MD* md = ImprintDigest(tst.get(), &md_name);
  if (md == nullptr) {
    return Error(ErrorCode::kUsage, absl::StrCat("the token's imprint uses ", md_name));
  }
  // A token for another signature (a mix-up between concurrent signings) would make a B-T that
  // fails verification forever: refuse it while it can still be fixed.
  const ByteSpan value = cms.signature_value();
  if (value.empty() || !ImprintCovers(tst.get(), md, value)) {
    return Error(ErrorCode::kUsage, "the token is not over this signature value");
  }
  if (CMS_unsigned_add1_attr_by_NID(cms.signer_info(), NID_id_smime_aa_timeStampToken,
                                    V_ASN1_SEQUENCE, token_der.data(),
                                    static_cast<int>(token_der.size())) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kCrypto, "cannot add the signature-time-stamp attribute");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const TimeStampAnchors>> TimeStampAnchors::Parse(
    const TimeStampTrust& trust) {
  std::shared_ptr<TimeStampAnchors> anchors(new TimeStampAnchors());
  if (!ReadPemCertificates(trust.trust_anchors_pem, &anchors->roots_) || anchors->roots_.empty()) {
    return Error(ErrorCode::kUsage, "no readable trust anchor for time-stamps");
  }
  if (!ReadPemCertificates(trust.intermediates_pem, &anchors->intermediates_)) {
    return Error(ErrorCode::kUsage, "unreadable intermediate certificates for time-stamps");
  }
  return std::shared_ptr<const TimeStampAnchors>(std::move(anchors));
}

absl::StatusOr<TimeStampInfo> VerifyTimeStampToken(ByteSpan token_der, ByteSpan stamped_data,
                                                   const TimeStampTrust& trust) {
  absl::StatusOr<std::shared_ptr<const TimeStampAnchors>> anchors = TimeStampAnchors::Parse(trust);
  if (!anchors.ok()) return anchors.status();
  return VerifyTimeStampToken(token_der, stamped_data, **anchors, trust.at_time);
}

absl::StatusOr<TimeStampInfo> VerifyTimeStampToken(ByteSpan token_der, ByteSpan stamped_data,
                                                   const TimeStampAnchors& anchors,
                                                   std::optional<int64_t> at_time) {
  if (stamped_data.empty()) return Error(ErrorCode::kUsage, "nothing was time-stamped");
  ParsedToken token;
  if (!ParseToken(token_der, &token)) return Invalid("not a DER RFC 3161 TimeStampToken");
  return VerifyParsedTimeStampToken(token.p7.get(), token.tst.get(), stamped_data, anchors,
                                    at_time);
}

absl::StatusOr<TimeStampInfo> VerifyParsedTimeStampToken(
    PKCS7* token_p7, TS_TST_INFO* token_tst, ByteSpan stamped_data, const TimeStampAnchors& anchors,
    std::optional<int64_t> at_time, const std::vector<ossl::X509Ptr>& token_certificates) {
  if (stamped_data.empty()) return Error(ErrorCode::kUsage, "nothing was time-stamped");
  if (token_p7 == nullptr || token_tst == nullptr) {
    return Invalid("not a DER RFC 3161 TimeStampToken");
  }
  TimeStampInfo info;
  if (ImprintDigest(token_tst, &info.digest_algorithm) == nullptr) {
    return Invalid(absl::StrCat("the imprint uses ", info.digest_algorithm, " (SHA-2 required)"));
  }

  ossl::StorePtr store(X509_STORE_new());
  if (!store) return Error(ErrorCode::kCrypto, "X509_STORE_new failed");
  // A store of its own per token (it holds new references to the shared certificates: cheap):
  // the verification time is the store's, and callers verify at different times.
  for (const ossl::X509Ptr& root : anchors.roots()) {
    if (X509_STORE_add_cert(store.get(), root.get()) != 1) ERR_clear_error();  // duplicates
  }
  if (at_time) {
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()), static_cast<time_t>(*at_time));
  }
  ossl::X509StackPtr untrusted;
  if (!anchors.intermediates().empty() || !token_certificates.empty()) {
    untrusted.reset(sk_X509_new_null());
    if (!untrusted) return Error(ErrorCode::kCrypto, "sk_X509_new_null failed");
    // The token's own first, as OpenSSL would find them in the token.
    std::vector<const ossl::X509Ptr*> all;
    for (const ossl::X509Ptr& cert : token_certificates) all.push_back(&cert);
    for (const ossl::X509Ptr& cert : anchors.intermediates()) all.push_back(&cert);
    for (const ossl::X509Ptr* held : all) {
      const ossl::X509Ptr& cert = *held;
      if (X509_up_ref(cert.get()) != 1) return Error(ErrorCode::kCrypto, "X509_up_ref failed");
      ossl::X509Ptr reference(cert.get());
      if (sk_X509_push(untrusted.get(), reference.get()) <= 0) {
        return Error(ErrorCode::kCrypto, "sk_X509_push failed");
      }
      reference.release();  // owned by the stack
    }
  }

  ossl::X509Ptr tsa;
  {
    ossl::X509StackView signers(PKCS7_get0_signers(token_p7, untrusted.get(), 0));
    if (!signers || sk_X509_num(signers.get()) != 1) {
      return Invalid("the TSA certificate is not in the token (certReq) nor given");
    }
    X509* found = sk_X509_value(signers.get(), 0);
    if (X509_up_ref(found) != 1) return Error(ErrorCode::kCrypto, "X509_up_ref failed");
    tsa.reset(found);
  }
  absl::Status usage = CheckTsaCertificate(tsa.get());
  if (!usage.ok()) return usage;

  // TS_VERIFY_CTX (OpenSSL 3.0) owns and frees whatever is set on it: the data BIO, the store (an
  // extra reference is taken for it) and the untrusted stack.
  ossl::TsVerifyCtxPtr ctx(TS_VERIFY_CTX_new());
  BIO* data = BIO_new_mem_buf(stamped_data.data(), static_cast<int>(stamped_data.size()));
  if (!ctx || data == nullptr) {
    BIO_free(data);
    return Error(ErrorCode::kCrypto, "TS_VERIFY_CTX_new failed");
  }
  TS_VERIFY_CTX_set_data(ctx.get(), data);
  if (X509_STORE_up_ref(store.get()) != 1) return Error(ErrorCode::kCrypto, "store up_ref failed");
  TS_VERIFY_CTX_set_store(ctx.get(), store.get());
  if (untrusted) TS_VERIFY_CTX_set_certs(ctx.get(), untrusted.release());
  // DATA: the verifier hashes the stamped bytes with the token's own algorithm. SIGNER: a TSA
  // name in the TSTInfo must be the signer's.
  TS_VERIFY_CTX_set_flags(ctx.get(),
                          TS_VFY_SIGNATURE | TS_VFY_VERSION | TS_VFY_DATA | TS_VFY_SIGNER);
  if (TS_RESP_verify_token(ctx.get(), token_p7) != 1) {
    return Error(ErrorCode::kTimeStampInvalid, DrainOpensslErrors());
  }

  TS_TST_INFO* tst = token_tst;
  if (!ReadGenTime(TS_TST_INFO_get_time(tst), &info)) return Invalid("unreadable genTime");
  char oid[128];
  const ASN1_OBJECT* policy = TS_TST_INFO_get_policy_id(tst);
  if (policy != nullptr && OBJ_obj2txt(oid, sizeof oid, policy, 1) > 0) info.policy_oid = oid;
  info.serial_hex = IntegerHex(TS_TST_INFO_get_serial(tst));
  if (const ASN1_INTEGER* nonce = TS_TST_INFO_get_nonce(tst)) {
    const unsigned char* p = ASN1_STRING_get0_data(nonce);
    info.nonce.assign(p, p + ASN1_STRING_length(nonce));
  }
  info.tsa_subject = NameText(X509_get_subject_name(tsa.get()));
  info.tsa_certificate_der = ossl::ToDer(tsa.get(), i2d_X509);
  ERR_clear_error();
  return info;
}

absl::StatusOr<std::optional<TimeStampInfo>> VerifySignatureTimeStamp(ByteSpan cms_der,
                                                                      const TimeStampTrust& trust) {
  absl::StatusOr<ParsedCms> cms = ParseOneSignerCms(cms_der);
  if (!cms.ok()) return cms.status();
  const Bytes value = SignatureBytes(cms->si);
  std::optional<TimeStampInfo> earliest;
  int index = -1;
  while ((index = CMS_unsigned_get_attr_by_NID(cms->si, NID_id_smime_aa_timeStampToken, index)) >=
         0) {
    X509_ATTRIBUTE* attr = CMS_unsigned_get_attr(cms->si, index);
    ASN1_TYPE* type = attr ? X509_ATTRIBUTE_get0_type(attr, 0) : nullptr;
    if (X509_ATTRIBUTE_count(attr) != 1 || type == nullptr || type->type != V_ASN1_SEQUENCE) {
      return Invalid("malformed signature-time-stamp attribute");
    }
    const ASN1_STRING* seq = type->value.sequence;
    absl::StatusOr<TimeStampInfo> info = VerifyTimeStampToken(
        ByteSpan(ASN1_STRING_get0_data(seq), static_cast<size_t>(ASN1_STRING_length(seq))), value,
        trust);
    if (!info.ok()) return info.status();
    if (!earliest || info->gen_time < earliest->gen_time) earliest = std::move(*info);
  }
  ERR_clear_error();
  return earliest;
}

}  // namespace taicho::signer
