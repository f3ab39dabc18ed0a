#include "signer/cms_builder.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "signer/certificate_cache.h"
#include "signer/openssl_ptr.h"

namespace taicho::signer {
namespace {

constexpr std::string_view kJsonFormat = "taicho.prepared-cms";
constexpr int kJsonVersion = 1;

// Room for the signed attributes, algorithm identifiers, signer identifier and the SignedData
// framing (about 600 bytes in practice), rounded up.
constexpr size_t kCmsOverhead = 1536;
// Reserved for an RFC 3161 signature-time-stamp token added later (B-T): 4–6 KB in practice.
constexpr size_t kTimeStampReserve = 6144;

// A CMS rebuilt from a request: every input is fixed, so the result is deterministic.
struct BuiltCms {
  ossl::CmsPtr cms;
  CMS_SignerInfo* si = nullptr;  // owned by cms
  ossl::X509Ptr signer;
  Bytes signed_attributes;
};

absl::Status CryptoError(std::string_view what) {
  ERR_clear_error();
  return Error(ErrorCode::kCrypto, what);
}

std::string_view SchemeId(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1v15:
      return "rsa-pkcs1-v1_5";
    case SignatureScheme::kRsaPss:
      return "rsa-pss";
    case SignatureScheme::kEcdsa:
      return "ecdsa";
  }
  return "?";
}

// RSASSA-PSS-params: hash = md, MGF1 with md, salt length = digest length, trailer 1 (default).
absl::Status SetPssAlgorithm(CMS_SignerInfo* si, DigestAlgorithm digest) {
  const EVP_MD* md = ossl::MdOf(digest);
  ossl::PssParamsPtr pss(RSA_PSS_PARAMS_new());
  if (!pss) return CryptoError("RSA_PSS_PARAMS_new failed");
  pss->hashAlgorithm = X509_ALGOR_new();
  pss->maskGenAlgorithm = X509_ALGOR_new();
  pss->saltLength = ASN1_INTEGER_new();
  if (!pss->hashAlgorithm || !pss->maskGenAlgorithm || !pss->saltLength) {
    return CryptoError("PSS parameter allocation failed");
  }
  X509_ALGOR_set_md(pss->hashAlgorithm, md);
  ossl::AlgorPtr mgf_hash(X509_ALGOR_new());
  if (!mgf_hash) return CryptoError("X509_ALGOR_new failed");
  X509_ALGOR_set_md(mgf_hash.get(), md);
  Bytes mgf_hash_der = ossl::ToDer(mgf_hash.get(), i2d_X509_ALGOR);
  ossl::Asn1StringPtr mgf_params(ASN1_STRING_new());
  if (mgf_hash_der.empty() || !mgf_params ||
      ASN1_STRING_set(mgf_params.get(), mgf_hash_der.data(),
                      static_cast<int>(mgf_hash_der.size())) != 1 ||
      X509_ALGOR_set0(pss->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE,
                      mgf_params.get()) != 1) {
    return CryptoError("cannot encode MGF1 parameters");
  }
  mgf_params.release();  // owned by maskGenAlgorithm
  if (ASN1_INTEGER_set(pss->saltLength, static_cast<long>(ossl::DigestSize(digest))) != 1) {
    return CryptoError("ASN1_INTEGER_set failed");
  }
  Bytes pss_der = ossl::ToDer(pss.get(), i2d_RSA_PSS_PARAMS);
  ossl::Asn1StringPtr params(ASN1_STRING_new());
  if (pss_der.empty() || !params ||
      ASN1_STRING_set(params.get(), pss_der.data(), static_cast<int>(pss_der.size())) != 1) {
    return CryptoError("cannot encode RSASSA-PSS parameters");
  }
  X509_ALGOR* sig_alg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, nullptr, &sig_alg);
  if (!sig_alg ||
      X509_ALGOR_set0(sig_alg, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE, params.get()) != 1) {
    return CryptoError("cannot set the RSASSA-PSS algorithm identifier");
  }
  params.release();  // owned by the SignerInfo
  return absl::OkStatus();
}

// The signed attributes as the explicit SET OF that is signed (DER sorts the members).
Bytes SignedAttributesDer(CMS_SignerInfo* si) {
  ossl::AttrStackView attrs(sk_X509_ATTRIBUTE_new_null());
  if (!attrs) return {};
  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
    if (sk_X509_ATTRIBUTE_push(attrs.get(), CMS_signed_get_attr(si, i)) <= 0) return {};
  }
  unsigned char* out = nullptr;
  int len = ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(attrs.get()), &out,
                          ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
  if (len <= 0) return {};
  Bytes der(out, out + len);
  OPENSSL_free(out);
  return der;
}

absl::StatusOr<BuiltCms> BuildCms(const CmsRequest& request, CertificateCache* certificates) {
  if (request.chain.empty()) return Error(ErrorCode::kUsage, "no signer certificate");
  if (request.content_digest.size() != ossl::DigestSize(request.digest)) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("content digest is not a ", std::string(DigestName(request.digest)),
                              " value"));
  }
  std::vector<ossl::X509Ptr> certs;
  for (const Bytes& der : request.chain) {
    ossl::X509Ptr cert = ParseCertificate(der, certificates);
    if (!cert) {
      ERR_clear_error();
      return Error(ErrorCode::kCertificateInvalid, "a chain entry is not a DER certificate");
    }
    certs.push_back(std::move(cert));
  }
  X509* signer = certs.front().get();
  EVP_PKEY* pub = X509_get0_pubkey(signer);
  if (!pub) return Error(ErrorCode::kCertificateInvalid, "unreadable signer public key");
  const bool is_ec = EVP_PKEY_is_a(pub, "EC");
  const bool is_rsa = EVP_PKEY_is_a(pub, "RSA");
  if ((request.scheme == SignatureScheme::kEcdsa && !is_ec) ||
      (request.scheme != SignatureScheme::kEcdsa && !is_rsa)) {
    return Error(ErrorCode::kUsage, absl::StrCat(std::string(SchemeName(request.scheme)),
                                                 " does not fit the signer certificate's key"));
  }

  BuiltCms built;
  built.cms.reset(
      CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_DETACHED | CMS_BINARY));
  if (!built.cms) return CryptoError("CMS_sign failed");
  // CMS_CADES is not used: it would hash the certificate with the content digest algorithm,
  // and the profile wants SHA-256 in ESSCertIDv2 whatever the digest is.
  built.si = CMS_add1_signer(built.cms.get(), signer, pub, ossl::MdOf(request.digest),
                             CMS_PARTIAL | CMS_NOSMIMECAP | CMS_NOCERTS);
  if (!built.si) return CryptoError("CMS_add1_signer failed");
  for (const ossl::X509Ptr& cert : certs) {
    if (CMS_add1_cert(built.cms.get(), cert.get()) != 1) return CryptoError("CMS_add1_cert failed");
  }

  if (CMS_signed_add1_attr_by_NID(built.si, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                  OBJ_nid2obj(NID_pkcs7_data), -1) != 1 ||
      CMS_signed_add1_attr_by_NID(built.si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING,
                                  request.content_digest.data(),
                                  static_cast<int>(request.content_digest.size())) != 1) {
    return CryptoError("cannot add content-type/message-digest");
  }
  ossl::EssCertV2Ptr ess(OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), signer, nullptr, 1));
  Bytes ess_der = ess ? ossl::ToDer(ess.get(), i2d_ESS_SIGNING_CERT_V2) : Bytes{};
  if (ess_der.empty() ||
      CMS_signed_add1_attr_by_NID(built.si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE,
                                  ess_der.data(), static_cast<int>(ess_der.size())) != 1) {
    return CryptoError("cannot add signing-certificate-v2");
  }
  if (request.scheme == SignatureScheme::kRsaPss) {
    absl::Status status = SetPssAlgorithm(built.si, request.digest);
    if (!status.ok()) return status;
  }
  built.signed_attributes = SignedAttributesDer(built.si);
  if (built.signed_attributes.empty()) return CryptoError("cannot encode the signed attributes");
  built.signer = std::move(certs.front());
  return built;
}

// The value as CMS carries it: for ECDSA a DER ECDSA-Sig-Value (raw r||s converted).
Bytes NormaliseSignature(const BuiltCms& built, SignatureScheme scheme, ByteSpan value) {
  if (scheme != SignatureScheme::kEcdsa) return Bytes(value.begin(), value.end());
  const unsigned char* p = value.data();
  ossl::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(value.size())));
  if (sig && p == value.data() + value.size()) {
    Bytes der = ossl::ToDer(sig.get(), i2d_ECDSA_SIG);
    if (der.size() == value.size() && std::equal(der.begin(), der.end(), value.begin())) {
      return der;  // already strict DER
    }
  }
  ERR_clear_error();
  const int bits = EVP_PKEY_get_bits(X509_get0_pubkey(built.signer.get()));
  const size_t field = static_cast<size_t>((bits + 7) / 8);
  if (value.size() == 2 * field) return ossl::EcdsaRawToDer(value);
  return Bytes(value.begin(), value.end());  // let verification reject it
}

absl::StatusOr<nlohmann::json> RequireField(const nlohmann::json& j, const char* name,
                                            nlohmann::json::value_t type) {
  auto it = j.find(name);
  if (it == j.end() || it->type() != type) {
    return Error(ErrorCode::kStateInvalid, absl::StrCat("prepared state: bad field ", name));
  }
  return *it;
}

absl::StatusOr<Bytes> Base64Field(const nlohmann::json& j, const char* name) {
  absl::StatusOr<nlohmann::json> field = RequireField(j, name, nlohmann::json::value_t::string);
  if (!field.ok()) return field.status();
  Bytes out;
  if (!ossl::DecodeBase64(field->get<std::string>(), &out)) {
    return Error(ErrorCode::kStateInvalid, absl::StrCat("prepared state: bad base64 in ", name));
  }
  return out;
}

}  // namespace

std::string PreparedCms::ToJson() const {
  nlohmann::json j;
  j["format"] = kJsonFormat;
  j["version"] = kJsonVersion;
  j["digest"] = DigestName(request.digest);
  j["scheme"] = SchemeId(request.scheme);
  j["content_digest"] = ossl::EncodeBase64(request.content_digest);
  nlohmann::json chain = nlohmann::json::array();
  for (const Bytes& cert : request.chain) chain.push_back(ossl::EncodeBase64(cert));
  j["chain"] = std::move(chain);
  j["signed_attributes"] = ossl::EncodeBase64(signed_attributes);
  return j.dump();
}

absl::StatusOr<PreparedCms> PreparedCms::FromJson(const std::string& json,
                                                  CertificateCache* certificates) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(ErrorCode::kStateInvalid, "prepared state is not a JSON object");
  }
  auto format = RequireField(j, "format", nlohmann::json::value_t::string);
  if (!format.ok()) return format.status();
  if (format->get<std::string>() != kJsonFormat) {
    return Error(ErrorCode::kStateInvalid, "prepared state: unknown format");
  }
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() ||
      version->get<long long>() != kJsonVersion) {
    return Error(ErrorCode::kStateInvalid, "prepared state: unsupported version");
  }
  PreparedCms out;
  auto digest = RequireField(j, "digest", nlohmann::json::value_t::string);
  if (!digest.ok()) return digest.status();
  bool digest_known = false;
  for (DigestAlgorithm md :
       {DigestAlgorithm::kSha256, DigestAlgorithm::kSha384, DigestAlgorithm::kSha512}) {
    if (digest->get<std::string>() == DigestName(md)) {
      out.request.digest = md;
      digest_known = true;
    }
  }
  if (!digest_known) return Error(ErrorCode::kStateInvalid, "prepared state: unknown digest");
  auto scheme = RequireField(j, "scheme", nlohmann::json::value_t::string);
  if (!scheme.ok()) return scheme.status();
  bool scheme_known = false;
  for (SignatureScheme s :
       {SignatureScheme::kRsaPkcs1v15, SignatureScheme::kRsaPss, SignatureScheme::kEcdsa}) {
    if (scheme->get<std::string>() == SchemeId(s)) {
      out.request.scheme = s;
      scheme_known = true;
    }
  }
  if (!scheme_known) return Error(ErrorCode::kStateInvalid, "prepared state: unknown scheme");
  absl::StatusOr<Bytes> content_digest = Base64Field(j, "content_digest");
  if (!content_digest.ok()) return content_digest.status();
  out.request.content_digest = std::move(*content_digest);
  absl::StatusOr<Bytes> attrs = Base64Field(j, "signed_attributes");
  if (!attrs.ok()) return attrs.status();
  out.signed_attributes = std::move(*attrs);
  auto chain = RequireField(j, "chain", nlohmann::json::value_t::array);
  if (!chain.ok()) return chain.status();
  for (const nlohmann::json& entry : *chain) {
    Bytes der;
    if (!entry.is_string() || !ossl::DecodeBase64(entry.get<std::string>(), &der)) {
      return Error(ErrorCode::kStateInvalid, "prepared state: bad certificate in chain");
    }
    out.request.chain.push_back(std::move(der));
  }
  // The state must be self-consistent: its inputs must rebuild exactly its signed attributes.
  absl::StatusOr<BuiltCms> rebuilt = BuildCms(out.request, certificates);
  if (!rebuilt.ok()) {
    return Error(ErrorCode::kStateInvalid,
                 absl::StrCat("prepared state: ", rebuilt.status().message()));
  }
  if (rebuilt->signed_attributes != out.signed_attributes) {
    return Error(ErrorCode::kStateInvalid, "prepared state: signed attributes do not match");
  }
  return out;
}

absl::StatusOr<PreparedCms> PrepareCms(const CmsRequest& request, CertificateCache* certificates) {
  absl::StatusOr<BuiltCms> built = BuildCms(request, certificates);
  if (!built.ok()) return built.status();
  PreparedCms prepared;
  prepared.request = request;
  prepared.signed_attributes = std::move(built->signed_attributes);
  return prepared;
}

namespace {

// `built` with the signature value over its signed attributes, checked against the signer's
// certificate.
absl::StatusOr<SignedCms> FinishCms(BuiltCms built, SignatureScheme scheme,
                                    ByteSpan signature_value) {
  if (signature_value.empty()) return Error(ErrorCode::kSignatureValueInvalid, "empty value");
  Bytes value = NormaliseSignature(built, scheme, signature_value);
  if (value.empty()) return Error(ErrorCode::kSignatureValueInvalid, "unusable ECDSA value");
  if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(built.si), value.data(),
                      static_cast<int>(value.size())) != 1) {
    return CryptoError("cannot set the signature value");
  }
  if (CMS_SignerInfo_verify(built.si) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kSignatureValueInvalid,
                 "the value does not verify with the signer certificate");
  }
  return SignedCms(std::move(built.cms), built.si);
}

}  // namespace

ByteSpan SignedCms::signature_value() const {
  ASN1_OCTET_STRING* sig = si_ != nullptr ? CMS_SignerInfo_get0_signature(si_) : nullptr;
  if (sig == nullptr) return {};
  return ByteSpan(ASN1_STRING_get0_data(sig), static_cast<size_t>(ASN1_STRING_length(sig)));
}

absl::StatusOr<Bytes> SignedCms::ToDer() const {
  Bytes der = cms_ ? ossl::ToDer(cms_.get(), i2d_CMS_ContentInfo) : Bytes{};
  if (der.empty()) return CryptoError("i2d_CMS_ContentInfo failed");
  return der;
}

absl::StatusOr<SignedCms> CompleteSignedCms(const PreparedCms& prepared, ByteSpan signature_value,
                                            CertificateCache* certificates) {
  // Rebuilt from the request: the prepared state is all a later process has.
  absl::StatusOr<BuiltCms> built = BuildCms(prepared.request, certificates);
  if (!built.ok()) {
    return Error(ErrorCode::kStateInvalid,
                 absl::StrCat("cannot rebuild the CMS: ", built.status().message()));
  }
  if (built->signed_attributes != prepared.signed_attributes) {
    return Error(ErrorCode::kStateInvalid,
                 "the signed attributes differ from the prepared ones (inputs changed)");
  }
  return FinishCms(*std::move(built), prepared.request.scheme, signature_value);
}

absl::StatusOr<Bytes> CompleteCms(const PreparedCms& prepared, ByteSpan signature_value,
                                  CertificateCache* certificates) {
  absl::StatusOr<SignedCms> cms = CompleteSignedCms(prepared, signature_value, certificates);
  if (!cms.ok()) return cms.status();
  return cms->ToDer();
}

absl::StatusOr<SignedCms> SignSignedCms(const CmsRequest& request, KeySigner& key) {
  if (key.scheme() != request.scheme) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("the key signs with ", std::string(SchemeName(key.scheme())),
                              ", the request asks for ", std::string(SchemeName(request.scheme))));
  }
  // Built once and finished in place: nothing leaves this call between preparing and completing.
  absl::StatusOr<BuiltCms> built = BuildCms(request, key.certificates());
  if (!built.ok()) return built.status();
  absl::StatusOr<Bytes> value = key.Sign(built->signed_attributes, request.digest);
  if (!value.ok()) return value.status();
  return FinishCms(*std::move(built), request.scheme, *value);
}

absl::StatusOr<Bytes> SignCms(const CmsRequest& request, KeySigner& key) {
  absl::StatusOr<SignedCms> cms = SignSignedCms(request, key);
  if (!cms.ok()) return cms.status();
  return cms->ToDer();
}

size_t EstimateCmsSize(const std::vector<Bytes>& chain, CertificateCache* certificates) {
  size_t certs = 0;
  for (const Bytes& cert : chain) certs += cert.size() + 8;
  size_t signature = 1024;  // RSA-8192 or any EC key, when the key cannot be read
  if (!chain.empty()) {
    ossl::X509Ptr signer = ParseCertificate(chain.front(), certificates);
    EVP_PKEY* pub = signer ? X509_get0_pubkey(signer.get()) : nullptr;
    if (pub && EVP_PKEY_get_size(pub) > 0) signature = static_cast<size_t>(EVP_PKEY_get_size(pub));
    ERR_clear_error();
  }
  return certs + signature + kCmsOverhead + kTimeStampReserve;
}

}  // namespace taicho::signer
