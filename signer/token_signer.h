// KeySigner over a PKCS#11 token session.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "pkcs11/session.h"
#include "signer/key_signer.h"

namespace taicho::signer {

// Signs with `key` in `session` (already logged in), picking the best mechanism the token lists:
// for RSA, CKM_SHA256/384/512_RSA_PKCS_PSS or CKM_RSA_PKCS_PSS when `prefer_pss`, else
// CKM_SHA*_RSA_PKCS, else CKM_RSA_PKCS over a DigestInfo; for EC, CKM_ECDSA over the hash (the raw
// r||s result is DER-encoded). `chain` starts with the key's certificate. kMechanismUnsupported
// when the token lists none of these. The session must outlive the signer.
absl::StatusOr<std::unique_ptr<KeySigner>> MakeTokenSigner(pkcs11::Session& session,
                                                           const pkcs11::KeyInfo& key,
                                                           std::vector<Bytes> chain,
                                                           bool prefer_pss = false);

}  // namespace taicho::signer
