// A session on one token: login, find the signing key and its certificate, sign.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pkcs11/secret.h"

namespace taicho::pkcs11 {

class Module;

enum class KeyType { kRsa, kEc, kOther };

// How to find the signing key. With nothing set, the token must hold exactly one private key
// that can sign.
struct KeySelector {
  std::optional<std::vector<uint8_t>> id;               // CKA_ID
  std::optional<std::string> label;                     // CKA_LABEL
  std::optional<std::vector<uint8_t>> certificate_der;  // the key whose certificate this is
  // With certificate_der, for a certificate the token does not hold: the RSA modulus of its key
  // (big-endian, no leading zeros), which the key must have. pkcs11/ parses no certificate; the
  // module that owns certificates gives it (signer::CertificateRsaModulus).
  std::optional<std::vector<uint8_t>> rsa_modulus = std::nullopt;
};

struct KeyInfo {
  unsigned long handle = 0;  // CK_OBJECT_HANDLE of the private key
  KeyType type = KeyType::kOther;
  std::vector<uint8_t> id;
  std::string label;
  unsigned long modulus_bits = 0;        // RSA only
  std::vector<uint8_t> certificate_der;  // empty when the token holds no matching certificate
};

// Signing parameters for one C_Sign call. `mechanism` is a CK_MECHANISM_TYPE.
struct SignRequest {
  unsigned long mechanism = 0;
  // For CKM_RSA_PKCS_PSS / CKM_SHA256_RSA_PKCS_PSS: hash (CKM_SHA256...), MGF (CKG_MGF1_SHA256...)
  // and salt length. Ignored for other mechanisms.
  unsigned long pss_hash = 0;
  unsigned long pss_mgf = 0;
  unsigned long pss_salt_length = 0;
};

// Owned by one thread at a time: Session has no internal locking, so callers must not use one
// Session from two threads concurrently (different Sessions may be used in parallel). Closes the
// session (and logs out) on destruction, ignoring errors; keeps the Module alive.
class Session {
 public:
  Session(std::shared_ptr<Module> module, unsigned long slot_id, unsigned long session_handle);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Logs the user in. `pin` is wiped before returning, whatever the outcome. Called once: a wrong
  // PIN returns kPinIncorrect (detail says when the token reports few or one try left) and is
  // never retried. kPinLocked when locked, kPinInvalid for bad length/characters.
  absl::Status Login(SecretString& pin);

  // Finds the private key (CKA_SIGN) and the certificate with the same CKA_ID (or matching public
  // key). kKeyNotFound when none matches, kUsage when the selector is ambiguous.
  // With certificate_der: the certificate object with that CKA_VALUE gives the CKA_ID; when the
  // certificate is not on the token, RSA keys are matched by modulus. certificate_der of the
  // result is empty when the token holds no certificate for the key (not an error here).
  // Any failure (including "no key") after which the token no longer answers C_GetTokenInfo is
  // reported as kDeviceRemoved.
  absl::StatusOr<KeyInfo> FindSigningKey(const KeySelector& selector);

  // Every X.509 certificate on the token (DER), e.g. to complete a chain.
  absl::StatusOr<std::vector<std::vector<uint8_t>>> ListCertificates();

  // The CK_MECHANISM_TYPEs of the slot that have CKF_SIGN.
  absl::StatusOr<std::vector<unsigned long>> SigningMechanisms();

  // C_SignInit + C_Sign on `data` with the key. kMechanismUnsupported for
  // CKR_MECHANISM_INVALID/CKR_KEY_TYPE_INCONSISTENT, kDeviceRemoved when the token is gone.
  // `data` is what the mechanism expects: the message for CKM_SHA256_RSA_PKCS, a DigestInfo for
  // CKM_RSA_PKCS, the hash for CKM_RSA_PKCS_PSS and CKM_ECDSA. ECDSA signatures are returned
  // raw (r || s), as PKCS#11 defines them; kUsage for a PSS mechanism without pss_hash/pss_mgf.
  absl::StatusOr<std::vector<uint8_t>> Sign(const KeyInfo& key, const SignRequest& request,
                                            const std::vector<uint8_t>& data);

  unsigned long slot_id() const { return slot_id_; }

 private:
  absl::StatusOr<KeyInfo> FindSigningKeyImpl(const KeySelector& selector);
  absl::StatusOr<std::vector<uint8_t>> SignImpl(const KeyInfo& key, const SignRequest& request,
                                                const std::vector<uint8_t>& data);

  std::shared_ptr<Module> module_;
  unsigned long slot_id_;
  unsigned long handle_;
  bool logged_in_ = false;
};

}  // namespace taicho::pkcs11
