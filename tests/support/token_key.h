// A logged-in key of the sample PKI's SoftHSM2 tokens (pki_fixture.h), kept open for a test: what
// the PAdES and change-analysis tests sign with.
//
// Ownership: the TokenKey owns its session and signer (the signer uses the session: keep both).
// Threads: the module is loaded once per test process; a TokenKey is used by one thread.
// Failures are gtest expectations: a key that cannot be opened leaves `signer` null.
#pragma once

#include <memory>
#include <string>

#include "pkcs11/module.h"
#include "pkcs11/session.h"
#include "signer/key_signer.h"

namespace taicho::testing {

struct TokenKey {
  std::unique_ptr<pkcs11::Session> session;
  std::unique_ptr<signer::KeySigner> signer;
};

// SoftHSM2's module, loaded once after the sample PKI set SOFTHSM2_CONF; null when it failed.
std::shared_ptr<pkcs11::Module> SampleSoftHsm();

// The one signing key of the token `label` (PIN 123456), its chain signer + sub-CA (expected),
// signing with RSASSA-PSS when `pss`.
TokenKey OpenSampleToken(const std::string& label, bool pss = false);

}  // namespace taicho::testing
