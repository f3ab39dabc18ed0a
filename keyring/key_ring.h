// The signing keys taichod holds: configured by name (a PKCS#11 module, token and key; typically
// the agency's seal token or an HSM), activated by an operator's PIN (never stored by us), used
// by many calls at once.
//
// Concurrency: an activated key owns a fixed pool of PKCS#11 sessions opened on its token (the
// configured `sessions`, default 2). A call borrows one session for its C_Sign only, and waits
// when all are busy. A pool rather than a session per thread because gRPC's thread pool grows and
// shrinks (per-thread sessions would leak or need reaping), tokens cap their open sessions
// (USB tokens at a handful), and a USB token has one crypto chip anyway (there `sessions = 1`);
// an HSM or SoftHSM signs in parallel on as many sessions as there are cores. PKCS#11 login state
// belongs to the application and token, so one C_Login makes every session of the pool signing-
// capable; the pool is closed (and the token logged out) when the key is deactivated.
//
// A pulled token (TOKEN_REMOVED, TOKEN_ABSENT) deactivates the key: the operator activates it
// again after plugging it back in. A wrong PIN is never retried.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pkcs11/secret.h"
#include "signer/certificate_cache.h"
#include "signer/key_signer.h"

namespace taicho::keyring {

struct KeyConfig {
  std::string name;         // how callers name it ("seal"); [a-z0-9-], unique
  std::string module;       // PKCS#11 library path
  std::string token_label;  // the token (label and/or serial; one must be set when several)
  std::string token_serial;
  std::string key_label;        // the private key (CKA_LABEL and/or CKA_ID in hex); neither: the
  std::string key_id_hex;       // token's only signing key
  std::string chain_file;       // extra intermediates (PEM) besides those on the token; optional
  std::string pin_file;         // activates at start-up when set (see pin_file.h)
  std::string seal_image;       // PNG drawn as the visible seal; empty: an invisible signature
  double seal_diameter_mm = 0;  // 0: the default (36 mm)
  bool pss = false;             // RSASSA-PSS instead of PKCS#1 v1.5
  int sessions = 2;             // the session pool's size (1 for a USB token)
  // The issuing agency whose seal this key is ("ỦY BAN NHÂN DÂN XÃ XUYÊN MỘC"): it seals only
  // that agency's documents (AGENCY_MISMATCH otherwise). Empty: the certificate's O decides.
  std::string agency;
};

struct KeyStatus {
  std::string name;
  std::string token_label;
  bool activated = false;
  std::string signer;            // the certificate subject (RFC 2253), when activated
  int64_t activate_time_ms = 0;  // Unix ms, when activated
  std::string last_error;        // the code of the last activation or token failure, or ""
};

class ActiveKey;

// Thread-safe.
class KeyRing {
 public:
  explicit KeyRing(std::vector<KeyConfig> keys);
  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // Logs the key's token in with `pin` (wiped before returning, whatever happens), finds the key
  // and its certificate chain and opens the session pool. Once: a wrong PIN is PIN_INCORRECT and
  // the key stays as it was. An already activated key is kept and the PIN not used (no login,
  // so a wrong one costs the token no try): KEY_ALREADY_ACTIVATED, so an operator is never told
  // a PIN worked that was never checked.
  // KEY_NOT_FOUND for an unconfigured name.
  absl::Status Activate(const std::string& name, pkcs11::SecretString& pin);

  // Activates every key with a pin_file; the first failure is returned (start-up refuses it).
  absl::Status ActivateFromPinFiles();

  // The activated key to sign with; KEY_NOT_ACTIVATED (KEY_NOT_FOUND for an unknown name).
  // Stays usable by the caller while held, even if deactivated meanwhile.
  absl::StatusOr<std::shared_ptr<ActiveKey>> Get(const std::string& name);

  // Called after `failure` from signing with `key` (from Get(name)): a pulled token
  // (TOKEN_REMOVED, TOKEN_ABSENT) deactivates the key, unless it was re-activated meanwhile.
  void ReportFailure(const std::string& name, const ActiveKey* key, const absl::Status& failure);

  std::vector<KeyStatus> List() const;
  const KeyConfig* Find(const std::string& name) const;

 private:
  struct Slot {
    KeyConfig config;
    std::shared_ptr<ActiveKey> active;
    int64_t activate_time_ms = 0;
    std::string last_error;
  };
  mutable std::mutex mu_;  // guards slots_' active / times / errors (configs are fixed)
  std::map<std::string, Slot> slots_;
  std::mutex activation_mu_;  // one activation at a time (module loading, logins)
};

// An activated key: a KeySigner whose Sign may be called from many threads at once (each call
// borrows a pooled session).
class ActiveKey final : public signer::KeySigner {
 public:
  ~ActiveKey() override;
  const std::vector<Bytes>& CertificateChain() const override;
  signer::SignatureScheme scheme() const override;
  absl::StatusOr<Bytes> Sign(ByteSpan data, signer::DigestAlgorithm md) override;
  // The chain (and whatever else its seals check it against) parsed once for this activation,
  // shared by every thread sealing with it.
  signer::CertificateCache* certificates() const override { return certificates_.get(); }

  const std::string& subject() const { return subject_; }
  // The configured seal image's bytes (KeyConfig::seal_image), read once when the key was
  // activated: every seal draws these, and a file changed on disk takes effect when the key is
  // activated again (or at restart). Null when none is configured; kIo when the file could not
  // be read at activation (the key still signs; seals needing the image fail until then).
  const absl::StatusOr<std::shared_ptr<const std::string>>& seal_image() const {
    return seal_image_;
  }

 private:
  friend class KeyRing;
  struct Pool;
  ActiveKey();
  std::unique_ptr<Pool> pool_;
  std::vector<Bytes> chain_;
  std::unique_ptr<signer::CertificateCache> certificates_;
  signer::SignatureScheme scheme_ = signer::SignatureScheme::kRsaPkcs1v15;
  std::string subject_;
  absl::StatusOr<std::shared_ptr<const std::string>> seal_image_ =
      std::shared_ptr<const std::string>();
};

}  // namespace taicho::keyring
