#include "auth/role.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "signer/certificate_info.h"

namespace taicho::auth {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};

// The one role the certificate's SAN URIs name; unset when none, several or an unknown one.
std::optional<Role> RoleOf(X509* cert) {
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return std::nullopt;
  std::optional<Role> found;
  int role_uris = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    std::string_view value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                           static_cast<size_t>(ASN1_STRING_length(uri)));
    if (value.substr(0, kRoleUriPrefix.size()) != kRoleUriPrefix) continue;
    ++role_uris;
    found = ParseRole(value.substr(kRoleUriPrefix.size()));
  }
  // Several roles in one certificate would make every permission ambiguous: none is given.
  if (role_uris != 1) return std::nullopt;
  return found;
}

}  // namespace

absl::StatusOr<Principal> PrincipalFromCertificatePem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return Error(ErrorCode::kCrypto, "BIO_new_mem_buf");
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Error(ErrorCode::kCertificateInvalid, "client certificate");
  unsigned char* der = nullptr;
  const int der_length = i2d_X509(cert.get(), &der);
  if (der_length <= 0) return Error(ErrorCode::kCertificateInvalid, "client certificate");
  absl::StatusOr<signer::CertificateInfo> info =
      signer::DescribeCertificate(ByteSpan(der, static_cast<size_t>(der_length)));
  OPENSSL_free(der);
  if (!info.ok()) return info.status();
  return Principal{RoleOf(cert.get()), info->subject};
}

}  // namespace taicho::auth
