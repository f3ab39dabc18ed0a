// Fuzz target: revocation evidence from outside (revocation/evidence.h): an OCSP response or a CRL
// as a responder or a document's DSS hands it over, and a certificate's AIA and CRL distribution
// points. The certificate asked about and its issuer are made once, in memory, so that the
// evidence is read against real certificates. Replayed over tests/fuzz/revocation/ by ctest; a
// libFuzzer binary with -DTAICHO_FUZZ=ON.
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <cstdint>
#include <ctime>

#include "revocation/evidence.h"
#include "signer/openssl_ptr.h"

namespace {

namespace ossl = taicho::signer::ossl;

struct Pair {
  taicho::Bytes issuer, cert;
};

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  const bool ok = ext != nullptr && X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

ossl::X509Ptr MakeCert(const char* cn, long serial, EVP_PKEY* key, X509* issuer,
                       EVP_PKEY* issuer_key) {
  ossl::X509Ptr cert(X509_new());
  if (!cert) return nullptr;
  X509_NAME* name = X509_get_subject_name(cert.get());
  bool ok =
      X509_set_version(cert.get(), 2) == 1 &&
      ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial) == 1 &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn), -1, -1, 0) == 1 &&
      X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * 3650) != nullptr &&
      X509_set_pubkey(cert.get(), key) == 1;
  X509* signer = issuer ? issuer : cert.get();
  if (issuer == nullptr) {
    ok = ok && AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
  } else {
    ok = ok &&
         AddExtension(cert.get(), signer, NID_info_access, "OCSP;URI:http://127.0.0.1:1/ocsp") &&
         AddExtension(cert.get(), signer, NID_crl_distribution_points,
                      "URI:http://127.0.0.1:1/ca.crl");
  }
  ok = ok && X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0;
  return ok ? std::move(cert) : nullptr;
}

const Pair& Certificates() {
  static const Pair* pair = [] {
    auto* out = new Pair;
    ossl::PkeyPtr ca_key(EVP_EC_gen("P-256"));
    ossl::PkeyPtr key(EVP_EC_gen("P-256"));
    ossl::X509Ptr ca = ca_key ? MakeCert("Fuzz CA", 1, ca_key.get(), nullptr, nullptr) : nullptr;
    ossl::X509Ptr cert =
        ca && key ? MakeCert("Fuzz signer", 2, key.get(), ca.get(), ca_key.get()) : nullptr;
    if (ca && cert) {
      out->issuer = ossl::ToDer(ca.get(), i2d_X509);
      out->cert = ossl::ToDer(cert.get(), i2d_X509);
    }
    ERR_clear_error();
    return out;
  }();
  return *pair;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Pair& pair = Certificates();
  const taicho::ByteSpan input(data, size);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  (void)taicho::revocation::StatusFromOcsp(input, pair.cert, pair.issuer, now, now);
  (void)taicho::revocation::StatusFromOcsp(input, pair.cert, pair.issuer, now, now,
                                           taicho::revocation::Freshness{now, 300});
  (void)taicho::revocation::StatusFromCrl(input, pair.cert, pair.issuer, now);
  (void)taicho::revocation::OcspResponseCerts(input);
  // The same bytes as a certificate (a DSS's /Certs): its URLs, and as the one asked about.
  (void)taicho::revocation::OcspUrls(input);
  (void)taicho::revocation::CrlUrls(input);
  (void)taicho::revocation::OcspCertId(input, pair.issuer);
  return 0;
}
