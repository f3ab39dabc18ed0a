// The private-key step of a signature, pluggable: a PKCS#11 token or a key file.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "signer/bytes.h"

namespace taicho::signer {

class CertificateCache;  // certificate_cache.h

enum class DigestAlgorithm { kSha256, kSha384, kSha512 };
enum class SignatureScheme { kRsaPkcs1v15, kRsaPss, kEcdsa };

std::string_view DigestName(DigestAlgorithm md);      // "SHA-256"…
std::string_view SchemeName(SignatureScheme scheme);  // "RSA PKCS#1 v1.5"…

// Signs bytes with one private key. Implementations are used by one thread at a time unless they
// say otherwise (keyring::ActiveKey).
class KeySigner {
 public:
  virtual ~KeySigner() = default;

  // The signer's certificate first, then intermediates (DER). Roots may be omitted.
  virtual const std::vector<Bytes>& CertificateChain() const = 0;

  // The scheme this key will sign with (fixed for the object's lifetime).
  virtual SignatureScheme scheme() const = 0;

  // The certificates of CertificateChain() parsed, kept as long as the signer: every signature
  // made with this key reads them several times (describe, check, the CMS). Thread-safe (a
  // signer that signs on several threads shares it). Null: the signer keeps none and callers
  // parse afresh.
  virtual CertificateCache* certificates() const { return nullptr; }

  // Signs `data` (the DER of the CMS signed attributes) hashed with `md`, and returns the value
  // as CMS carries it: PKCS#1 / PSS bytes, or a DER ECDSA-Sig-Value.
  virtual absl::StatusOr<Bytes> Sign(ByteSpan data, DigestAlgorithm md) = 0;
};

// A PKCS#12 file (password may be empty) or a PEM private key + PEM certificate chain file.
// kKeyFileInvalid on a wrong password or an unreadable file; kCertificateInvalid when the
// certificate does not belong to the key. `prefer_pss` selects RSASSA-PSS for RSA keys.
absl::StatusOr<std::unique_ptr<KeySigner>> LoadPkcs12Signer(const std::string& path,
                                                            const std::string& password,
                                                            bool prefer_pss = false);
absl::StatusOr<std::unique_ptr<KeySigner>> LoadPemSigner(const std::string& key_path,
                                                         const std::string& chain_path,
                                                         bool prefer_pss = false);

}  // namespace taicho::signer
