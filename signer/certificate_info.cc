#include "signer/certificate_info.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "signer/certificate_cache.h"
#include "signer/openssl_ptr.h"

namespace taicho::signer {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

std::string NameToUtf8(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string NameEntry(const X509_NAME* name, int nid) {
  int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

std::string TimeIso(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return {};
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

absl::StatusOr<CertificateInfo> Describe(ByteSpan der, CertificateCache* certificates) {
  ossl::X509Ptr cert = ParseCertificatePrefix(der, certificates);
  if (!cert) return Error(ErrorCode::kCertificateInvalid, "not a DER certificate");
  CertificateInfo info;
  info.common_name = NameEntry(X509_get_subject_name(cert.get()), NID_commonName);
  info.organisation = NameEntry(X509_get_subject_name(cert.get()), NID_organizationName);
  info.subject = NameToUtf8(X509_get_subject_name(cert.get()));
  info.issuer = NameToUtf8(X509_get_issuer_name(cert.get()));
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
  if (bn) {
    char* hex = BN_bn2hex(bn);
    info.serial_hex = hex ? hex : "";
    OPENSSL_free(hex);
    BN_free(bn);
  }
  info.not_before = TimeIso(X509_get0_notBefore(cert.get()));
  info.not_after = TimeIso(X509_get0_notAfter(cert.get()));
  const EVP_PKEY* key = X509_get0_pubkey(cert.get());
  info.is_ec = key && EVP_PKEY_is_a(key, "EC");
  return info;
}

}  // namespace

// Not kept: a signature describes its certificate once or twice, and with the caller's cache
// what is left is formatting a few names.
absl::StatusOr<CertificateInfo> DescribeCertificate(ByteSpan der, CertificateCache* certificates) {
  return Describe(der, certificates);
}

absl::StatusOr<Bytes> CertificateRsaModulus(ByteSpan der) {
  ossl::X509Ptr cert = ossl::ParseCertificatePrefix(der);
  if (!cert) return Error(ErrorCode::kCertificateInvalid, "not a DER certificate");
  const EVP_PKEY* key = X509_get0_pubkey(cert.get());
  BIGNUM* n = nullptr;
  if (key == nullptr || EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1) {
    return Error(ErrorCode::kCertificateInvalid, "the certificate's key is not RSA");
  }
  ossl::BnPtr owned(n);
  Bytes out(static_cast<size_t>(BN_num_bytes(n)));
  BN_bn2bin(n, out.data());
  return out;
}

absl::StatusOr<std::vector<Bytes>> ReadCertificates(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, absl::StrCat("cannot open ", path));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Bytes> out;
  if (data.find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    while (true) {
      std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
      if (!cert) break;
      unsigned char* der = nullptr;
      int len = i2d_X509(cert.get(), &der);
      if (len <= 0) break;
      out.emplace_back(der, der + len);
      OPENSSL_free(der);
    }
  } else {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(data.data());
    std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, static_cast<long>(data.size())));
    if (cert) out.emplace_back(data.begin(), data.end());
  }
  if (out.empty()) {
    return Error(ErrorCode::kCertificateInvalid, absl::StrCat("no certificate in ", path));
  }
  return out;
}

std::vector<Bytes> BuildChain(const Bytes& leaf, const std::vector<Bytes>& pool) {
  auto parse = [](const Bytes& der) {
    const unsigned char* p = der.data();
    return std::unique_ptr<X509, X509Free>(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  };
  std::vector<Bytes> chain{leaf};
  std::unique_ptr<X509, X509Free> current = parse(leaf);
  while (current && chain.size() < 8) {
    if (X509_check_issued(current.get(), current.get()) == X509_V_OK) break;  // self-signed
    bool found = false;
    for (const Bytes& candidate : pool) {
      std::unique_ptr<X509, X509Free> c = parse(candidate);
      if (!c || X509_check_issued(c.get(), current.get()) != X509_V_OK) continue;
      if (X509_verify(current.get(), X509_get0_pubkey(c.get())) != 1) continue;
      if (X509_check_issued(c.get(), c.get()) == X509_V_OK) return chain;  // the root: leave out
      chain.push_back(candidate);
      current = std::move(c);
      found = true;
      break;
    }
    if (!found) break;
  }
  return chain;
}

}  // namespace taicho::signer
