// keyring/: PIN files (only their owner may read them) and server-held keys on a real SoftHSM2
// token: one login, a wrong PIN reported once, many threads signing at once through the session
// pool, every signature checked with the certificate's public key (OpenSSL).
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "keyring/key_ring.h"
#include "keyring/pin_file.h"
#include "tests/support/pki_fixture.h"

namespace taicho::keyring {
namespace {

using testing::GetSamplePki;
using testing::MakeTempDir;

std::string WritePin(const std::string& dir, const std::string& name, const std::string& content,
                     mode_t mode) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  EXPECT_EQ(chmod(path.c_str(), mode), 0);
  return path;
}

TEST(PinFile, OnlyItsOwnerMayReadIt) {
  const std::string dir = MakeTempDir("pin-file");
  auto pin = ReadPinFile(WritePin(dir, "ok", "123456\n", 0600));
  ASSERT_TRUE(pin.ok()) << pin.status();
  EXPECT_EQ(pin->view(), "123456");
  pin = ReadPinFile(WritePin(dir, "crlf", "123456\r\n", 0400));
  ASSERT_TRUE(pin.ok()) << pin.status();
  EXPECT_EQ(pin->view(), "123456");
  for (mode_t mode : {0640, 0604, 0660, 0644, 0610}) {
    auto refused = ReadPinFile(WritePin(dir, "loose", "123456", mode));
    EXPECT_TRUE(HasCode(refused.status(), ErrorCode::kPinFileInsecure)) << mode;
    EXPECT_EQ(std::string(refused.status().message()).find("123456"), std::string::npos);
  }
  const std::string target = WritePin(dir, "target", "123456", 0600);
  ASSERT_EQ(symlink(target.c_str(), (dir + "/link").c_str()), 0);
  EXPECT_TRUE(HasCode(ReadPinFile(dir + "/link").status(), ErrorCode::kPinFileInsecure));
  EXPECT_TRUE(HasCode(ReadPinFile(dir).status(), ErrorCode::kPinFileInsecure));  // a directory
  EXPECT_TRUE(HasCode(ReadPinFile(dir + "/missing").status(), ErrorCode::kIo));
  EXPECT_TRUE(
      HasCode(ReadPinFile(WritePin(dir, "empty", "\n", 0600)).status(), ErrorCode::kPinInvalid));
  EXPECT_TRUE(HasCode(ReadPinFile(WritePin(dir, "long", std::string(300, '1'), 0600)).status(),
                      ErrorCode::kPinInvalid));
}

KeyConfig SealKey(int sessions) {
  KeyConfig key;
  key.name = "seal";
  key.module = GetSamplePki().module_path;
  key.token_label = "Con dấu UBND Châu Đức";
  key.key_label = "seal";
  key.key_id_hex = "01";
  key.sessions = sessions;
  return key;
}

// RSA PKCS#1 v1.5 with SHA-256 over `data`, checked with the leaf certificate's public key.
bool Verifies(const Bytes& leaf_der, const std::string& data, const Bytes& signature) {
  const unsigned char* p = leaf_der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(leaf_der.size()));
  if (cert == nullptr) return false;
  EVP_PKEY* key = X509_get_pubkey(cert);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      key != nullptr && ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  X509_free(cert);
  return ok;
}

TEST(KeyRing, WrongPinOnceThenRightPinThenManyThreadsSignThroughThePool) {
  KeyRing ring({SealKey(2)});
  EXPECT_TRUE(HasCode(ring.Get("seal").status(), ErrorCode::kKeyNotActivated));
  EXPECT_TRUE(HasCode(ring.Get("other").status(), ErrorCode::kKeyNotFound));

  pkcs11::SecretString wrong(std::string("000000"));
  absl::Status st = ring.Activate("seal", wrong);
  EXPECT_TRUE(HasCode(st, ErrorCode::kPinIncorrect)) << st;
  EXPECT_TRUE(wrong.empty());  // wiped
  ASSERT_EQ(ring.List().size(), 1u);
  EXPECT_FALSE(ring.List()[0].activated);
  EXPECT_EQ(ring.List()[0].last_error, "PIN_INCORRECT");

  pkcs11::SecretString right(std::string("123456"));
  ASSERT_TRUE(ring.Activate("seal", right).ok());
  EXPECT_TRUE(right.empty());
  auto key = ring.Get("seal");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_NE((*key)->subject().find("UBND xã Long Phước"), std::string::npos);
  ASSERT_GE((*key)->CertificateChain().size(), 2u);  // the seal and the sub-CA from the token
  EXPECT_EQ((*key)->scheme(), signer::SignatureScheme::kRsaPkcs1v15);
  EXPECT_TRUE(ring.List()[0].activated);

  // 8 threads, 2 sessions: each signature borrows one; all verify.
  std::atomic<int> good{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string data = "document " + std::to_string(t) + "/" + std::to_string(i);
        auto value =
            (*key)->Sign(ByteSpan(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
                         signer::DigestAlgorithm::kSha256);
        if (value.ok() && Verifies((*key)->CertificateChain().front(), data, *value)) {
          ++good;
        } else {
          ++bad;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), 80);
  EXPECT_EQ(bad.load(), 0);

  // Activating again (issue 21: with a wrong PIN) keeps the key and says so: the PIN is not
  // tried (no failure recorded) and is wiped.
  pkcs11::SecretString again(std::string("000000"));
  absl::Status twice = ring.Activate("seal", again);
  EXPECT_TRUE(HasCode(twice, ErrorCode::kKeyAlreadyActivated)) << twice;
  EXPECT_EQ(twice.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(again.empty());
  EXPECT_TRUE(ring.List()[0].activated);
  EXPECT_EQ(ring.List()[0].last_error, "");
  EXPECT_TRUE(ring.Get("seal").ok());
  // A failure that is not a pulled token leaves the key active; a pulled token deactivates it.
  ring.ReportFailure("seal", key->get(), Error(ErrorCode::kPdfUnreadable));
  EXPECT_TRUE(ring.Get("seal").ok());
  ring.ReportFailure("seal", key->get(), Error(ErrorCode::kDeviceRemoved));
  EXPECT_TRUE(HasCode(ring.Get("seal").status(), ErrorCode::kKeyNotActivated));
  EXPECT_EQ(ring.List()[0].last_error, "TOKEN_REMOVED");
  // The caller holding the key may still finish with it.
  const std::string data = "after";
  EXPECT_TRUE((*key)
                  ->Sign(ByteSpan(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
                         signer::DigestAlgorithm::kSha256)
                  .ok());
}

TEST(KeyRing, UnknownTokenOrKeyIsReportedAndNothingActivates) {
  KeyConfig no_token = SealKey(1);
  no_token.token_label = "no such token";
  KeyConfig no_key = SealKey(1);
  no_key.name = "nokey";
  no_key.key_label = "nothing";
  KeyRing ring({no_token, no_key});
  pkcs11::SecretString pin(std::string("123456"));
  EXPECT_TRUE(HasCode(ring.Activate("seal", pin), ErrorCode::kTokenNotFound));
  pkcs11::SecretString pin2(std::string("123456"));
  EXPECT_TRUE(HasCode(ring.Activate("nokey", pin2), ErrorCode::kKeyNotFound));
  for (const KeyStatus& k : ring.List()) EXPECT_FALSE(k.activated) << k.name;
}

}  // namespace
}  // namespace taicho::keyring
