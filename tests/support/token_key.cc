#include "tests/support/token_key.h"

#include <optional>
#include <utility>

#include "gtest/gtest.h"
#include "pkcs11/secret.h"
#include "signer/certificate_info.h"
#include "signer/token_signer.h"
#include "tests/support/pki_fixture.h"

namespace taicho::testing {

std::shared_ptr<pkcs11::Module> SampleSoftHsm() {
  static std::shared_ptr<pkcs11::Module> module = [] {
    GetSamplePki();  // sets SOFTHSM2_CONF before the module reads it
    auto m = pkcs11::Module::Load(TAICHO_SOFTHSM_MODULE);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : nullptr;
  }();
  return module;
}

TokenKey OpenSampleToken(const std::string& label, bool pss) {
  TokenKey key;
  auto module = SampleSoftHsm();
  if (!module) return key;
  auto session = module->OpenSession({label, std::nullopt});
  EXPECT_TRUE(session.ok()) << session.status();
  if (!session.ok()) return key;
  key.session = *std::move(session);
  pkcs11::SecretString pin("123456");
  EXPECT_TRUE(key.session->Login(pin).ok());
  auto info = key.session->FindSigningKey({});
  EXPECT_TRUE(info.ok()) << info.status();
  if (!info.ok()) return key;
  auto pool = key.session->ListCertificates();
  EXPECT_TRUE(pool.ok());
  auto chain = signer::BuildChain(info->certificate_der, *pool);
  EXPECT_EQ(chain.size(), 2u) << "signer + sub-CA";
  auto s = signer::MakeTokenSigner(*key.session, *info, chain, pss);
  EXPECT_TRUE(s.ok()) << s.status();
  if (s.ok()) key.signer = *std::move(s);
  return key;
}

}  // namespace taicho::testing
