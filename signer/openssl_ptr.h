// Owning handles for OpenSSL objects and small helpers, shared by the modules that call OpenSSL
// (signer/, tsa/, revocation/, pades/): one Deleter, one set of aliases.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>

#include "signer/bytes.h"
#include "signer/key_signer.h"

namespace taicho::signer::ossl {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, Deleter<PKCS12_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using AlgorPtr = std::unique_ptr<X509_ALGOR, Deleter<X509_ALGOR_free>>;
using PssParamsPtr = std::unique_ptr<RSA_PSS_PARAMS, Deleter<RSA_PSS_PARAMS_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, Deleter<ASN1_STRING_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER_free>>;
using X509SigPtr = std::unique_ptr<X509_SIG, Deleter<X509_SIG_free>>;
using EssCertPtr = std::unique_ptr<ESS_SIGNING_CERT, Deleter<ESS_SIGNING_CERT_free>>;
using EssCertV2Ptr = std::unique_ptr<ESS_SIGNING_CERT_V2, Deleter<ESS_SIGNING_CERT_V2_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, Deleter<PKCS7_free>>;
using TstInfoPtr = std::unique_ptr<TS_TST_INFO, Deleter<TS_TST_INFO_free>>;
using TsVerifyCtxPtr = std::unique_ptr<TS_VERIFY_CTX, Deleter<TS_VERIFY_CTX_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, Deleter<OCSP_CERTID_free>>;
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, Deleter<OCSP_REQUEST_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, Deleter<OCSP_RESPONSE_free>>;
using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, Deleter<OCSP_BASICRESP_free>>;

inline void FreeX509Stack(STACK_OF(X509) * sk) { sk_X509_pop_free(sk, X509_free); }
using X509StackPtr = std::unique_ptr<STACK_OF(X509), Deleter<FreeX509Stack>>;

// A stack that does not own its certificates (e.g. PKCS7_get0_signers' result).
inline void FreeX509StackShallow(STACK_OF(X509) * sk) { sk_X509_free(sk); }
using X509StackView = std::unique_ptr<STACK_OF(X509), Deleter<FreeX509StackShallow>>;

// A stack that does not own its attributes (they belong to the SignerInfo).
inline void FreeAttrStackShallow(STACK_OF(X509_ATTRIBUTE) * sk) { sk_X509_ATTRIBUTE_free(sk); }
using AttrStackView = std::unique_ptr<STACK_OF(X509_ATTRIBUTE), Deleter<FreeAttrStackShallow>>;

// Parses one DER certificate; null when it is not one (or has trailing bytes). Parses every
// time: a caller that reads the same certificates again and again keeps them in a
// CertificateCache it owns (certificate_cache.h).
X509Ptr ParseCertificate(ByteSpan der);

// Like ParseCertificate but, as d2i_X509 does, accepts trailing bytes after the certificate.
X509Ptr ParseCertificatePrefix(ByteSpan der);

// DER of an object with an i2d function; empty on failure.
template <typename T, typename I2d>
Bytes ToDer(const T* obj, I2d i2d) {
  unsigned char* out = nullptr;
  int len = i2d(obj, &out);
  if (len <= 0) return {};
  Bytes der(out, out + len);
  OPENSSL_free(out);
  return der;
}

// The EVP_MD of our digest enum (SHA-2 family, built in).
const EVP_MD* MdOf(DigestAlgorithm md);
size_t DigestSize(DigestAlgorithm md);

// Raw r||s (2 × `field_bytes`) to DER ECDSA-Sig-Value; empty on failure.
Bytes EcdsaRawToDer(ByteSpan raw);

// Standard base64 without line breaks; DecodeBase64 fails (false) on any malformed input.
std::string EncodeBase64(ByteSpan data);
bool DecodeBase64(const std::string& text, Bytes* out);

}  // namespace taicho::signer::ossl
