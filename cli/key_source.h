// Opens the signing key named on the command line: a token (module + token + key) or a PKCS#12.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "pkcs11/module.h"
#include "pkcs11/secret.h"
#include "signer/key_signer.h"

namespace taicho::cli {

struct KeyOptions {
  std::string module;     // PKCS#11 library path
  std::string token;      // token label
  std::string serial;     // token serial
  std::string key_id;     // CKA_ID, hex
  std::string key_label;  // CKA_LABEL
  std::string p12;        // PKCS#12 file instead of a token
  std::string chain;      // extra certificates (PEM) to complete the chain
  bool pin_stdin = false;
  bool pss = false;

  void Register(CLI::App& cmd);
};

// Keeps the module and session alive as long as the signer.
struct OpenKey {
  std::shared_ptr<pkcs11::Module> module;
  std::unique_ptr<pkcs11::Session> session;
  std::unique_ptr<signer::KeySigner> signer;
};

// Loads the module, opens the token, asks the PIN once (never retried), finds the key and builds
// its chain; or opens the PKCS#12 with the password from stdin/terminal.
absl::StatusOr<OpenKey> OpenSigningKey(const KeyOptions& options);

// The same for a token, with a PIN the caller already holds (the approval page's field): one
// C_Login, and `pin` is wiped whatever the outcome. kUsage for a PKCS#12 file.
absl::StatusOr<OpenKey> OpenSigningKeyWithPin(const KeyOptions& options, pkcs11::SecretString& pin);

}  // namespace taicho::cli
