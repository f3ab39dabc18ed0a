// Readable facts about an X.509 certificate (DER), for display and signature dictionaries.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "signer/bytes.h"

namespace taicho::signer {

class CertificateCache;  // certificate_cache.h

struct CertificateInfo {
  std::string common_name;   // UTF-8
  std::string organisation;  // O, UTF-8; "" when absent
  std::string subject;       // RFC 2253, UTF-8
  std::string issuer;        // RFC 2253, UTF-8
  std::string serial_hex;
  std::string not_before, not_after;  // ISO 8601 UTC
  bool is_ec = false;
};

// kCertificateInvalid when `der` is not a certificate. `certificates` (optional, owned by the
// caller: a key signer's, a server's) keeps the parsed certificate for the next call.
absl::StatusOr<CertificateInfo> DescribeCertificate(ByteSpan der,
                                                    CertificateCache* certificates = nullptr);

// The RSA modulus of the certificate's key, big-endian without leading zeros: what a token's key
// is matched by when its certificate is not on the token (pkcs11::KeySelector::rsa_modulus).
// kCertificateInvalid when `der` is not a certificate or its key is not RSA.
absl::StatusOr<Bytes> CertificateRsaModulus(ByteSpan der);

// Reads a PEM or DER file holding one or more certificates (DER out, file order).
absl::StatusOr<std::vector<Bytes>> ReadCertificates(const std::string& path);

}  // namespace taicho::signer

namespace taicho::signer {

// Orders a chain for `leaf`: the leaf, then each issuer found in `pool` (by subject name and a
// verifying signature), stopping at a self-signed certificate (not included) or when none fits.
std::vector<Bytes> BuildChain(const Bytes& leaf, const std::vector<Bytes>& pool);

}  // namespace taicho::signer
