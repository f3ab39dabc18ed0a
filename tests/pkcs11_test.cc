// Tests of pkcs11/ against a real SoftHSM2 (no mocks).
//
// One SoftHSM2 token store is made per test process (SoftHSM reads SOFTHSM2_CONF once, at
// C_Initialize, and the library stays loaded), in a global environment:
//   "Nguyễn Văn An"  RSA-2048 "ky-rsa" (id 01, cert), P-256 "ky-ec" (id 02, cert),
//                    RSA-2048 "khong-cert" (id 03, no cert on the token; its cert is a file only)
//   "Một cửa 2"      one RSA-2048 key "mot-khoa" (id 0a, cert)
//   "pin-test"       one P-256 key, used for wrong-PIN tests
//   "removable"      one RSA-2048 key (id 01, cert); its directory is deleted by the removal test
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "pkcs11/ck_errors.h"
#include "pkcs11/memory_protection.h"
#include "pkcs11/module.h"
#include "pkcs11/secret.h"
#include "pkcs11/session.h"
#include "signer/certificate_info.h"
#include "tests/support/key_pool.h"
#include "tests/support/pki_fixture.h"

namespace taicho::pkcs11 {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

constexpr char kSoftHsm[] = "/usr/lib/softhsm/libsofthsm2.so";
constexpr char kPin[] = "123456";
constexpr char kMainLabel[] = "Nguyễn Văn An";
constexpr char kSecondLabel[] = "Một cửa 2";
constexpr char kPinTestLabel[] = "pin-test";
constexpr char kRemovableLabel[] = "removable";

using taicho::testing::Quote;

// Runs a shell command; returns its exit status and appends stdout+stderr to *output.
int Run(const std::string& command, std::string* output = nullptr) {
  taicho::testing::CommandResult r = taicho::testing::Run(command);
  if (output) *output += r.output;
  return r.exit_code;
}

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::set<std::string> Subdirs(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) out.insert(e.path().string());
  }
  return out;
}

class SoftHsmEnv : public ::testing::Environment {
 public:
  void SetUp() override {
    char tmpl[] = "/tmp/taicho-pkcs11-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    tokens = dir + "/tokens";
    fs::create_directories(tokens);
    std::string conf = dir + "/softhsm2.conf";
    std::ofstream(conf) << "directories.tokendir = " << tokens
                        << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    // Must happen before the module is loaded: SoftHSM reads it in C_Initialize.
    ASSERT_EQ(setenv("SOFTHSM2_CONF", conf.c_str(), 1), 0);

    ASSERT_FALSE(InitToken(kMainLabel).empty());
    ASSERT_TRUE(AddKey(kMainLabel, "rsa", "ky-rsa", "01", /*cert=*/true));
    ASSERT_TRUE(AddKey(kMainLabel, "ec", "ky-ec", "02", /*cert=*/true));
    ASSERT_TRUE(AddKey(kMainLabel, "rsa", "khong-cert", "03", /*cert=*/false));
    ASSERT_FALSE(InitToken(kSecondLabel).empty());
    ASSERT_TRUE(AddKey(kSecondLabel, "rsa", "mot-khoa", "0a", /*cert=*/true));
    ASSERT_FALSE(InitToken(kPinTestLabel).empty());
    ASSERT_TRUE(AddKey(kPinTestLabel, "ec", "pin-key", "01", /*cert=*/true));
    removable_dir = InitToken(kRemovableLabel);
    ASSERT_FALSE(removable_dir.empty());
    ASSERT_TRUE(AddKey(kRemovableLabel, "rsa", "rut-ra", "01", /*cert=*/true));

    absl::StatusOr<std::shared_ptr<Module>> m = Module::Load(kSoftHsm);
    ASSERT_TRUE(m.ok()) << m.status();
    module = *m;
    ready = true;
  }

  void TearDown() override {
    module.reset();
    if (!dir.empty()) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }

  // Returns the new token's directory under tokens/, or "" on failure.
  std::string InitToken(const std::string& label) {
    std::set<std::string> before = Subdirs(tokens);
    std::string out;
    if (Run("softhsm2-util --init-token --free --label " + Quote(label) +
                " --so-pin 12345678 --pin " + kPin,
            &out) != 0) {
      ADD_FAILURE() << out;
      return "";
    }
    for (const std::string& d : Subdirs(tokens)) {
      if (!before.count(d)) return d;
    }
    ADD_FAILURE() << "no new token directory for " << label;
    return "";
  }

  // Imports a key (rsa: 2048 bits, ec: P-256) from the run's pool (a new one without the seed),
  // optionally with a self-signed cert.
  bool AddKey(const std::string& token, const std::string& type, const std::string& label,
              const std::string& id, bool cert) {
    std::string base = dir + "/" + label;
    std::string out;
    bool ok =
        Run(taicho::testing::KeyCommand(type, ++keys_of_type[type], base + ".pem"), &out) == 0 &&
        Run("openssl req -new -x509 -key " + Quote(base + ".pem") + " -subj " +
                Quote("/CN=" + label + "/O=UBND xa thu nghiem") + " -days 30 -outform DER -out " +
                Quote(base + ".der"),
            &out) == 0 &&
        Run("softhsm2-util --import " + Quote(base + ".pem") + " --token " + Quote(token) +
                " --label " + Quote(label) + " --id " + id + " --pin " + kPin,
            &out) == 0 &&
        (!cert ||
         Run(std::string("pkcs11-tool --module ") + kSoftHsm + " --token-label " + Quote(token) +
                 " --login --pin " + kPin + " --write-object " + Quote(base + ".der") +
                 " --type cert --id " + id + " --label " + Quote(label),
             &out) == 0);
    if (!ok) ADD_FAILURE() << out;
    return ok;
  }

  Bytes CertOf(const std::string& key_label) const {
    return ReadFile(dir + "/" + key_label + ".der");
  }

  std::string dir, tokens, removable_dir;
  std::map<std::string, int> keys_of_type;  // keys taken from the pool so far, by type
  std::shared_ptr<Module> module;
  bool ready = false;
};

SoftHsmEnv* const g_env =
    static_cast<SoftHsmEnv*>(::testing::AddGlobalTestEnvironment(new SoftHsmEnv));

std::string Serial(const std::string& label) {
  auto slots = g_env->module->ListSlots(true);
  if (!slots.ok()) return "";
  for (const TokenInfo& t : *slots) {
    if (t.label == label) return t.serial;
  }
  return "";
}

std::unique_ptr<Session> Open(const std::string& label) {
  auto s = g_env->module->OpenSession(TokenSelector{label, std::nullopt});
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

std::unique_ptr<Session> OpenAndLogin(const std::string& label) {
  std::unique_ptr<Session> s = Open(label);
  if (!s) return nullptr;
  SecretString pin{std::string(kPin)};
  absl::Status st = s->Login(pin);
  EXPECT_TRUE(st.ok()) << st;
  return st.ok() ? std::move(s) : nullptr;
}

class Pkcs11Test : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(g_env->ready) << "SoftHSM2 environment failed"; }
};

// ---- OpenSSL verification helpers -----------------------------------------------------------

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;

PkeyPtr PublicKey(const Bytes& cert_der) {
  const unsigned char* p = cert_der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(cert_der.size()));
  if (cert == nullptr) return PkeyPtr(nullptr, EVP_PKEY_free);
  PkeyPtr key(X509_get_pubkey(cert), EVP_PKEY_free);
  X509_free(cert);
  return key;
}

Bytes Sha256(const Bytes& data) {
  Bytes out(SHA256_DIGEST_LENGTH);
  SHA256(data.data(), data.size(), out.data());
  return out;
}

// sha256WithRSAEncryption / ecdsa-with-SHA256 over `data`.
bool VerifyDigestSign(const Bytes& cert, const Bytes& data, const Bytes& sig) {
  PkeyPtr key = PublicKey(cert);
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data.data(), data.size()) == 1;
}

// RSA-PSS (SHA-256, MGF1-SHA-256, salt 32) over the SHA-256 digest.
bool VerifyPss(const Bytes& cert, const Bytes& digest, const Bytes& sig) {
  PkeyPtr key = PublicKey(cert);
  if (!key) return false;
  CtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr), EVP_PKEY_CTX_free);
  return EVP_PKEY_verify_init(ctx.get()) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), 32) == 1 &&
         EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), digest.data(), digest.size()) == 1;
}

// PKCS#11 ECDSA returns r||s; OpenSSL wants a DER ECDSA-Sig-Value.
Bytes RawEcdsaToDer(const Bytes& raw) {
  size_t half = raw.size() / 2;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(raw.data(), half, nullptr),
                 BN_bin2bn(raw.data() + half, half, nullptr));
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  Bytes out(der, der + std::max(len, 0));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

bool VerifyEcdsaDigest(const Bytes& cert, const Bytes& digest, const Bytes& raw_sig) {
  PkeyPtr key = PublicKey(cert);
  if (!key) return false;
  Bytes der = RawEcdsaToDer(raw_sig);
  CtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr), EVP_PKEY_CTX_free);
  return EVP_PKEY_verify_init(ctx.get()) == 1 &&
         EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size()) == 1;
}

// DER DigestInfo { sha256, digest }, built by hand.
Bytes Sha256DigestInfo(const Bytes& digest) {
  static constexpr uint8_t kPrefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                        0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
  Bytes out(sizeof kPrefix + digest.size());
  std::copy(std::begin(kPrefix), std::end(kPrefix), out.begin());
  std::copy(digest.begin(), digest.end(), out.begin() + sizeof kPrefix);
  return out;
}

const Bytes kDocument = {'H', 'o', 's', 'o', ' ', 'm', 'o', 't', ' ', 'c', 'u', 'a', '\n'};

Bytes Tampered(Bytes v) {
  v[0] ^= 1;
  return v;
}

// ---- Module loading -------------------------------------------------------------------------

TEST(ModuleLoadTest, MissingPathFails) {
  auto m = Module::Load("/nonexistent/libpkcs11-khong-co.so");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(HasCode(m.status(), ErrorCode::kModuleLoadFailed)) << m.status();
  EXPECT_NE(m.status().message().find("libpkcs11-khong-co.so"), std::string::npos) << m.status();
}

TEST(ModuleLoadTest, EmptyPathFails) {
  auto m = Module::Load("");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(HasCode(m.status(), ErrorCode::kModuleLoadFailed)) << m.status();
}

TEST(ModuleLoadTest, NonPkcs11LibraryFails) {
  auto m = Module::Load("/lib/x86_64-linux-gnu/libz.so.1");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(HasCode(m.status(), ErrorCode::kModuleLoadFailed)) << m.status();
  EXPECT_NE(m.status().message().find("C_GetFunctionList"), std::string::npos) << m.status();
}

TEST_F(Pkcs11Test, LoadingTheSameModuleAgainSharesIt) {
  auto m = Module::Load(kSoftHsm);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->get(), g_env->module.get());
  EXPECT_EQ((*m)->path(), kSoftHsm);
}

// ---- CK_RV mapping --------------------------------------------------------------------------

TEST(CkErrorsTest, MapsReturnValues) {
  struct Case {
    CK_RV rv;
    ErrorCode code;
  };
  const Case cases[] = {
      {CKR_PIN_INCORRECT, ErrorCode::kPinIncorrect},
      {CKR_PIN_LOCKED, ErrorCode::kPinLocked},
      {CKR_USER_PIN_NOT_INITIALIZED, ErrorCode::kPinLocked},
      {CKR_PIN_LEN_RANGE, ErrorCode::kPinInvalid},
      {CKR_PIN_INVALID, ErrorCode::kPinInvalid},
      {CKR_TOKEN_NOT_PRESENT, ErrorCode::kTokenAbsent},
      {CKR_DEVICE_REMOVED, ErrorCode::kDeviceRemoved},
      {CKR_SESSION_CLOSED, ErrorCode::kDeviceRemoved},
      {CKR_SESSION_HANDLE_INVALID, ErrorCode::kDeviceRemoved},
      {CKR_MECHANISM_INVALID, ErrorCode::kMechanismUnsupported},
      {CKR_MECHANISM_PARAM_INVALID, ErrorCode::kMechanismUnsupported},
      {CKR_KEY_TYPE_INCONSISTENT, ErrorCode::kMechanismUnsupported},
      {CKR_KEY_FUNCTION_NOT_PERMITTED, ErrorCode::kMechanismUnsupported},
      {CKR_GENERAL_ERROR, ErrorCode::kTokenError},
      {CKR_DEVICE_ERROR, ErrorCode::kTokenError},
  };
  for (const Case& c : cases) {
    absl::Status st = CkError("C_Test", c.rv);
    EXPECT_TRUE(HasCode(st, c.code)) << CkrName(c.rv) << " -> " << st;
    EXPECT_NE(st.message().find("C_Test returned " + CkrName(c.rv)), std::string::npos) << st;
  }
  EXPECT_TRUE(CkError("C_Sign", CKR_OK).ok());
  absl::Status general = CkError("C_Sign", CKR_GENERAL_ERROR);
  EXPECT_NE(general.message().find("C_Sign returned CKR_GENERAL_ERROR (0x5)"), std::string::npos)
      << general;
  EXPECT_EQ(CkrName(0x12345678), "CKR_0x12345678");
  EXPECT_EQ(CkrName(CKR_VENDOR_DEFINED | 0x10), "CKR_VENDOR_DEFINED+0x10");
  EXPECT_NE(
      CkError("C_Login", CKR_PIN_INCORRECT, "còn ít lần thử").message().find("còn ít lần thử"),
      std::string::npos);
}

// ---- SecretString ---------------------------------------------------------------------------

TEST(SecretStringTest, MoveAndWipe) {
  SecretString a{std::string("246813")};
  SecretString b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented to be empty
  EXPECT_EQ(b.view(), "246813");
  SecretString c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.view(), "246813");
  c.Wipe();
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.view(), "");
}

// Issue 21: a PIN read from a descriptor takes the line and nothing after it (no stdio read-ahead
// keeping a copy, and the rest of the input stays for the next reader).
TEST(SecretStringTest, ReadSecretLineTakesOneLineWithRead) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string input = "246813\r\nthe rest\n";
  ASSERT_EQ(write(fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  close(fds[1]);
  absl::StatusOr<SecretString> pin = ReadSecretLine(fds[0]);
  ASSERT_TRUE(pin.ok()) << pin.status();
  EXPECT_EQ(pin->view(), "246813");
  char rest[32] = {};
  EXPECT_EQ(read(fds[0], rest, sizeof rest), 9);
  EXPECT_STREQ(rest, "the rest\n");
  // End of input ends the line too; an empty input is an empty secret (Login refuses it).
  pin = ReadSecretLine(fds[0]);
  ASSERT_TRUE(pin.ok());
  EXPECT_TRUE(pin->empty());
  close(fds[0]);

  ASSERT_EQ(pipe(fds), 0);
  const std::string long_line(100, '7');
  ASSERT_EQ(write(fds[1], long_line.data(), long_line.size()), 100);
  close(fds[1]);
  EXPECT_TRUE(HasCode(ReadSecretLine(fds[0], 64).status(), ErrorCode::kPinInvalid));
  close(fds[0]);
  EXPECT_TRUE(HasCode(ReadSecretLine(-1).status(), ErrorCode::kIo));  // a bad descriptor
}

// Issue 21: after ProtectProcessMemory the process writes no core file and cannot be traced by
// its user (checked in a child, so the test process keeps its settings).
TEST(MemoryProtectionTest, NoCoreFileAndNotDumpable) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1) _exit(10);  // the default, so the test means it
    if (!ProtectProcessMemory().ok()) _exit(11);
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) _exit(12);
    rlimit core{};
    if (getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 || core.rlim_max != 0) _exit(13);
    // Not even raised again: the hard limit is 0 too (root could; then EPERM is not expected).
    const rlimit more{1 << 20, 1 << 20};
    if (geteuid() != 0 && setrlimit(RLIMIT_CORE, &more) == 0) _exit(14);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// ---- Slots and sessions ---------------------------------------------------------------------

TEST_F(Pkcs11Test, ListSlotsShowsTokens) {
  auto slots = g_env->module->ListSlots();
  ASSERT_TRUE(slots.ok()) << slots.status();
  std::set<std::string> labels, serials;
  int blank = 0;
  for (const TokenInfo& t : *slots) {
    ASSERT_TRUE(t.token_present);  // SoftHSM slots always hold a token
    if (!t.token_initialized) {
      ++blank;  // SoftHSM always offers one fresh, uninitialised token
      continue;
    }
    labels.insert(t.label);
    serials.insert(t.serial);
    EXPECT_FALSE(t.serial.empty());
    EXPECT_EQ(t.serial.back() == ' ', false);
    EXPECT_EQ(t.manufacturer, "SoftHSM project");
    EXPECT_EQ(t.model, "SoftHSM v2");
    EXPECT_TRUE(t.login_required);
    EXPECT_TRUE(t.user_pin_initialized);
    EXPECT_FALSE(t.pin_locked);
  }
  EXPECT_EQ(blank, 1);
  EXPECT_EQ(labels,
            (std::set<std::string>{kMainLabel, kSecondLabel, kPinTestLabel, kRemovableLabel}));
  EXPECT_EQ(serials.size(), 4u);

  auto present = g_env->module->ListSlots(/*present_only=*/true);
  ASSERT_TRUE(present.ok()) << present.status();
  EXPECT_EQ(present->size(), slots->size());
}

TEST_F(Pkcs11Test, GetTokenInfoBySlot) {
  auto s = Open(kMainLabel);
  ASSERT_NE(s, nullptr);
  auto info = g_env->module->GetTokenInfo(s->slot_id());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->label, kMainLabel);
  auto bad = g_env->module->GetTokenInfo(987654);
  EXPECT_FALSE(bad.ok());
}

TEST_F(Pkcs11Test, OpenSessionByLabelWithDiacritics) {
  auto s = g_env->module->OpenSession(TokenSelector{kMainLabel, std::nullopt});
  ASSERT_TRUE(s.ok()) << s.status();
  auto info = g_env->module->GetTokenInfo((*s)->slot_id());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->label, kMainLabel);
}

TEST_F(Pkcs11Test, OpenSessionBySerial) {
  std::string serial = Serial(kSecondLabel);
  ASSERT_FALSE(serial.empty());
  auto s = g_env->module->OpenSession(TokenSelector{std::nullopt, serial});
  ASSERT_TRUE(s.ok()) << s.status();
  auto info = g_env->module->GetTokenInfo((*s)->slot_id());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->label, kSecondLabel);
  // Label and serial together must both match.
  auto both = g_env->module->OpenSession(TokenSelector{kSecondLabel, serial});
  EXPECT_TRUE(both.ok()) << both.status();
  auto mismatch = g_env->module->OpenSession(TokenSelector{kMainLabel, serial});
  EXPECT_TRUE(HasCode(mismatch.status(), ErrorCode::kTokenNotFound)) << mismatch.status();
}

TEST_F(Pkcs11Test, UnknownLabelIsTokenNotFound) {
  auto s = g_env->module->OpenSession(TokenSelector{"Trần Thị Bình", std::nullopt});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(HasCode(s.status(), ErrorCode::kTokenNotFound)) << s.status();
  // A prefix of a real label is not a match.
  auto prefix = g_env->module->OpenSession(TokenSelector{"Nguyễn", std::nullopt});
  EXPECT_TRUE(HasCode(prefix.status(), ErrorCode::kTokenNotFound)) << prefix.status();
}

TEST_F(Pkcs11Test, NoSelectorWithSeveralTokensIsUsage) {
  auto s = g_env->module->OpenSession(TokenSelector{});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(HasCode(s.status(), ErrorCode::kUsage)) << s.status();
  EXPECT_NE(s.status().message().find(kMainLabel), std::string::npos) << s.status();
}

// ---- Login ----------------------------------------------------------------------------------

TEST_F(Pkcs11Test, CorrectPinLogsIn) {
  auto s = Open(kMainLabel);
  ASSERT_NE(s, nullptr);
  SecretString pin{std::string(kPin)};
  absl::Status st = s->Login(pin);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_TRUE(pin.empty());
  // A second session of the same process is already logged in: still OK.
  auto s2 = Open(kMainLabel);
  ASSERT_NE(s2, nullptr);
  SecretString pin2{std::string(kPin)};
  EXPECT_TRUE(s2->Login(pin2).ok());
  EXPECT_TRUE(pin2.empty());
}

TEST_F(Pkcs11Test, WrongPinIsIncorrectAndWiped) {
  auto s = Open(kPinTestLabel);
  ASSERT_NE(s, nullptr);
  const std::string wrong = "864209";
  SecretString pin{std::string(wrong)};
  absl::Status st = s->Login(pin);
  EXPECT_TRUE(HasCode(st, ErrorCode::kPinIncorrect)) << st;
  EXPECT_TRUE(pin.empty());
  EXPECT_EQ(std::string(st.message()).find(wrong), std::string::npos) << st;
  EXPECT_EQ(std::string(st.message()).find(kPin), std::string::npos) << st;
  EXPECT_NE(std::string(st.message()).find("C_Login returned CKR_PIN_INCORRECT"), std::string::npos)
      << st;
}

// SoftHSM2 2.6 never locks the user PIN and never sets CKF_USER_PIN_COUNT_LOW/FINAL_TRY/LOCKED,
// so every wrong try is kPinIncorrect and the right PIN still works afterwards. kPinLocked is
// covered through the CK_RV mapping (CkErrorsTest).
TEST_F(Pkcs11Test, RepeatedWrongPinsDoNotLockSoftHsm) {
  auto s = Open(kPinTestLabel);
  ASSERT_NE(s, nullptr);
  for (int i = 0; i < 12; ++i) {
    SecretString pin{std::string("00000") + std::to_string(i % 10)};
    absl::Status st = s->Login(pin);
    ASSERT_TRUE(HasCode(st, ErrorCode::kPinIncorrect)) << "try " << i << ": " << st;
    EXPECT_TRUE(pin.empty());
  }
  auto info = g_env->module->GetTokenInfo(s->slot_id());
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->pin_locked);
  SecretString right{std::string(kPin)};
  EXPECT_TRUE(s->Login(right).ok());
}

TEST_F(Pkcs11Test, EmptyOrLongPinIsInvalidWithoutCallingToken) {
  auto s = Open(kPinTestLabel);
  ASSERT_NE(s, nullptr);
  SecretString empty;
  EXPECT_TRUE(HasCode(s->Login(empty), ErrorCode::kPinInvalid));
  SecretString long_pin{std::string(65, '7')};
  absl::Status st = s->Login(long_pin);
  EXPECT_TRUE(HasCode(st, ErrorCode::kPinInvalid)) << st;
  EXPECT_TRUE(long_pin.empty());
  EXPECT_EQ(std::string(st.message()).find("7777777"), std::string::npos);
  SecretString newline{std::string(kPin) + "\n"};
  EXPECT_TRUE(HasCode(s->Login(newline), ErrorCode::kPinInvalid));
  EXPECT_TRUE(newline.empty());
}

// ---- Keys and certificates ------------------------------------------------------------------

TEST_F(Pkcs11Test, FindKeyById) {
  auto s = OpenAndLogin(kMainLabel);
  ASSERT_NE(s, nullptr);
  auto key = s->FindSigningKey(KeySelector{Bytes{0x01}, std::nullopt, std::nullopt});
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->type, KeyType::kRsa);
  EXPECT_EQ(key->label, "ky-rsa");
  EXPECT_EQ(key->id, Bytes{0x01});
  EXPECT_EQ(key->modulus_bits, 2048u);
  EXPECT_EQ(key->certificate_der, g_env->CertOf("ky-rsa"));
}

TEST_F(Pkcs11Test, FindKeyByLabel) {
  auto s = OpenAndLogin(kMainLabel);
  ASSERT_NE(s, nullptr);
  auto key = s->FindSigningKey(KeySelector{std::nullopt, "ky-ec", std::nullopt});
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->type, KeyType::kEc);
  EXPECT_EQ(key->id, Bytes{0x02});
  EXPECT_EQ(key->modulus_bits, 0u);
  EXPECT_EQ(key->certificate_der, g_env->CertOf("ky-ec"));
}

TEST_F(Pkcs11Test, FindKeyByCertificate) {
  auto s = OpenAndLogin(kMainLabel);
  ASSERT_NE(s, nullptr);
  auto key = s->FindSigningKey(KeySelector{std::nullopt, std::nullopt, g_env->CertOf("ky-ec")});
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->label, "ky-ec");
  EXPECT_EQ(key->certificate_der, g_env->CertOf("ky-ec"));
}

TEST_F(Pkcs11Test, FindKeyByCertificateNotOnTokenMatchesRsaModulus) {
  auto s = OpenAndLogin(kMainLabel);
  ASSERT_NE(s, nullptr);
  // pkcs11/ parses no certificate: the modulus comes from signer/, as a caller's would.
  auto by_certificate = [](const Bytes& der) {
    absl::StatusOr<Bytes> modulus = taicho::signer::CertificateRsaModulus(der);
    EXPECT_TRUE(modulus.ok()) << modulus.status();
    return KeySelector{std::nullopt, std::nullopt, der,
                       modulus.ok() ? std::optional<Bytes>(*modulus) : std::nullopt};
  };
  auto key = s->FindSigningKey(by_certificate(g_env->CertOf("khong-cert")));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->label, "khong-cert");
  EXPECT_EQ(key->certificate_der, g_env->CertOf("khong-cert"));
  // A certificate of a key on another token matches nothing.
  auto other = s->FindSigningKey(by_certificate(g_env->CertOf("mot-khoa")));
  EXPECT_TRUE(HasCode(other.status(), ErrorCode::kKeyNotFound)) << other.status();
}

TEST_F(Pkcs11Test, KeyWithoutCertificateHasEmptyCertificate) {
  auto s = OpenAndLogin(kMainLabel);
  ASSERT_NE(s, nullptr);
  auto key = s->FindSigningKey(KeySelector{Bytes{0x03}, std::nullopt, std::nullopt});
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->label, "khong-cert");
  EXPECT_TRUE(key->certificate_der.empty());
}

TEST_F(Pkcs11Test, NoMatchingKeyIsKeyNotFound) {
  auto s = OpenAndLogin(kMainLabel);
  ASSERT_NE(s, nullptr);
  auto by_id = s->FindSigningKey(KeySelector{Bytes{0x7f}, std::nullopt, std::nullopt});
  EXPECT_TRUE(HasCode(by_id.status(), ErrorCode::kKeyNotFound)) << by_id.status();
  auto by_label = s->FindSigningKey(KeySelector{std::nullopt, "khong-co", std::nullopt});
  EXPECT_TRUE(HasCode(by_label.status(), ErrorCode::kKeyNotFound)) << by_label.status();
  auto both = s->FindSigningKey(KeySelector{Bytes{0x01}, "ky-ec", std::nullopt});
  EXPECT_TRUE(HasCode(both.status(), ErrorCode::kKeyNotFound)) << both.status();
}

TEST_F(Pkcs11Test, PrivateKeysInvisibleBeforeLogin) {
  auto s = Open(kSecondLabel);
  ASSERT_NE(s, nullptr);
  auto key = s->FindSigningKey(KeySelector{});
  EXPECT_TRUE(HasCode(key.status(), ErrorCode::kKeyNotFound)) << key.status();
}

TEST_F(Pkcs11Test, SeveralKeysWithoutSelectorIsUsage) {
  auto s = OpenAndLogin(kMainLabel);
  ASSERT_NE(s, nullptr);
  auto key = s->FindSigningKey(KeySelector{});
  ASSERT_FALSE(key.ok());
  EXPECT_TRUE(HasCode(key.status(), ErrorCode::kUsage)) << key.status();
  for (const char* label : {"ky-rsa", "ky-ec", "khong-cert"}) {
    EXPECT_NE(key.status().message().find(label), std::string::npos) << key.status();
  }
}

TEST_F(Pkcs11Test, SingleKeyWithoutSelector) {
  auto s = OpenAndLogin(kSecondLabel);
  ASSERT_NE(s, nullptr);
  auto key = s->FindSigningKey(KeySelector{});
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->label, "mot-khoa");
  EXPECT_EQ(key->id, Bytes{0x0a});
  EXPECT_EQ(key->certificate_der, g_env->CertOf("mot-khoa"));
}

TEST_F(Pkcs11Test, ListCertificates) {
  auto s = OpenAndLogin(kMainLabel);
  ASSERT_NE(s, nullptr);
  auto certs = s->ListCertificates();
  ASSERT_TRUE(certs.ok()) << certs.status();
  std::set<Bytes> got(certs->begin(), certs->end());
  EXPECT_EQ(got, (std::set<Bytes>{g_env->CertOf("ky-rsa"), g_env->CertOf("ky-ec")}));
}

TEST_F(Pkcs11Test, SigningMechanisms) {
  auto s = Open(kMainLabel);
  ASSERT_NE(s, nullptr);
  auto mechs = s->SigningMechanisms();
  ASSERT_TRUE(mechs.ok()) << mechs.status();
  std::set<unsigned long> got(mechs->begin(), mechs->end());
  for (unsigned long m : {CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_ECDSA}) {
    EXPECT_TRUE(got.count(m)) << "mechanism 0x" << std::hex << m;
  }
  EXPECT_FALSE(got.count(CKM_RSA_PKCS_KEY_PAIR_GEN));
}

// ---- Signing --------------------------------------------------------------------------------

class SignTest : public Pkcs11Test {
 protected:
  void SetUp() override {
    Pkcs11Test::SetUp();
    session_ = OpenAndLogin(kMainLabel);
    ASSERT_NE(session_, nullptr);
    auto rsa = session_->FindSigningKey(KeySelector{std::nullopt, "ky-rsa", std::nullopt});
    ASSERT_TRUE(rsa.ok()) << rsa.status();
    rsa_ = *rsa;
    auto ec = session_->FindSigningKey(KeySelector{std::nullopt, "ky-ec", std::nullopt});
    ASSERT_TRUE(ec.ok()) << ec.status();
    ec_ = *ec;
  }
  std::unique_ptr<Session> session_;
  KeyInfo rsa_, ec_;
};

TEST_F(SignTest, Sha256RsaPkcs) {
  auto sig = session_->Sign(rsa_, SignRequest{CKM_SHA256_RSA_PKCS}, kDocument);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(sig->size(), 256u);
  EXPECT_TRUE(VerifyDigestSign(rsa_.certificate_der, kDocument, *sig));
  EXPECT_FALSE(VerifyDigestSign(rsa_.certificate_der, Tampered(kDocument), *sig));
}

TEST_F(SignTest, RsaPkcsOverDigestInfo) {
  Bytes digest_info = Sha256DigestInfo(Sha256(kDocument));
  auto sig = session_->Sign(rsa_, SignRequest{CKM_RSA_PKCS}, digest_info);
  ASSERT_TRUE(sig.ok()) << sig.status();
  // The same bytes as sha256WithRSAEncryption over the document.
  EXPECT_TRUE(VerifyDigestSign(rsa_.certificate_der, kDocument, *sig));
  EXPECT_FALSE(VerifyDigestSign(rsa_.certificate_der, Tampered(kDocument), *sig));
}

TEST_F(SignTest, RsaPss) {
  Bytes digest = Sha256(kDocument);
  SignRequest req{CKM_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, 32};
  auto sig = session_->Sign(rsa_, req, digest);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_TRUE(VerifyPss(rsa_.certificate_der, digest, *sig));
  EXPECT_FALSE(VerifyPss(rsa_.certificate_der, Tampered(digest), *sig));
  // Two PSS signatures differ (random salt) and both verify.
  auto sig2 = session_->Sign(rsa_, req, digest);
  ASSERT_TRUE(sig2.ok()) << sig2.status();
  EXPECT_NE(*sig, *sig2);
  EXPECT_TRUE(VerifyPss(rsa_.certificate_der, digest, *sig2));
}

TEST_F(SignTest, PssWithoutParametersIsUsage) {
  auto sig = session_->Sign(rsa_, SignRequest{CKM_RSA_PKCS_PSS}, Sha256(kDocument));
  EXPECT_TRUE(HasCode(sig.status(), ErrorCode::kUsage)) << sig.status();
}

TEST_F(SignTest, EcdsaP256) {
  Bytes digest = Sha256(kDocument);
  auto sig = session_->Sign(ec_, SignRequest{CKM_ECDSA}, digest);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(sig->size(), 64u);  // r || s
  EXPECT_TRUE(VerifyEcdsaDigest(ec_.certificate_der, digest, *sig));
  EXPECT_FALSE(VerifyEcdsaDigest(ec_.certificate_der, Tampered(digest), *sig));
}

TEST_F(SignTest, UnsupportedMechanism) {
  auto ecdsa_on_rsa = session_->Sign(rsa_, SignRequest{CKM_ECDSA}, Sha256(kDocument));
  EXPECT_TRUE(HasCode(ecdsa_on_rsa.status(), ErrorCode::kMechanismUnsupported))
      << ecdsa_on_rsa.status();
  EXPECT_NE(ecdsa_on_rsa.status().message().find("RSA key"), std::string::npos);
  auto rsa_on_ec = session_->Sign(ec_, SignRequest{CKM_SHA256_RSA_PKCS}, kDocument);
  EXPECT_TRUE(HasCode(rsa_on_ec.status(), ErrorCode::kMechanismUnsupported)) << rsa_on_ec.status();
  auto bogus = session_->Sign(rsa_, SignRequest{0x7ffffff0UL}, kDocument);
  EXPECT_TRUE(HasCode(bogus.status(), ErrorCode::kMechanismUnsupported)) << bogus.status();
  // The session is still usable afterwards.
  auto ok = session_->Sign(rsa_, SignRequest{CKM_SHA256_RSA_PKCS}, kDocument);
  EXPECT_TRUE(ok.ok()) << ok.status();
}

// ---- Token removal --------------------------------------------------------------------------

// Defined last so it runs after every other suite: deletes the "removable" token's directory
// under tokens/ while a logged-in session is open. SoftHSM2 notices at once (it re-reads the
// object store): the objects vanish (C_SignInit -> CKR_OBJECT_HANDLE_INVALID, searches come back
// empty) and C_GetTokenInfo fails with CKR_GENERAL_ERROR; Session turns that into kDeviceRemoved.
class TokenRemovalTest : public Pkcs11Test {};

TEST_F(TokenRemovalTest, TokenRemovedWhileSessionOpen) {
  auto s = OpenAndLogin(kRemovableLabel);
  ASSERT_NE(s, nullptr);
  auto key = s->FindSigningKey(KeySelector{});
  ASSERT_TRUE(key.ok()) << key.status();
  auto before = s->Sign(*key, SignRequest{CKM_SHA256_RSA_PKCS}, kDocument);
  ASSERT_TRUE(before.ok()) << before.status();

  std::error_code ec;
  fs::remove_all(g_env->removable_dir, ec);
  ASSERT_FALSE(ec) << ec.message();

  auto after = s->Sign(*key, SignRequest{CKM_SHA256_RSA_PKCS}, kDocument);
  ASSERT_FALSE(after.ok());
  EXPECT_TRUE(HasCode(after.status(), ErrorCode::kDeviceRemoved)) << after.status();
  auto find = s->FindSigningKey(KeySelector{});
  EXPECT_TRUE(HasCode(find.status(), ErrorCode::kDeviceRemoved)) << find.status();
  auto certs = s->ListCertificates();
  EXPECT_TRUE(certs.ok() ? certs->empty() : HasCode(certs.status(), ErrorCode::kDeviceRemoved))
      << certs.status();

  // The listing survives and no longer offers the token; the other tokens still work.
  auto slots = g_env->module->ListSlots();
  ASSERT_TRUE(slots.ok()) << slots.status();
  for (const TokenInfo& t : *slots) EXPECT_NE(t.label, kRemovableLabel);
  auto reopen = g_env->module->OpenSession(TokenSelector{kRemovableLabel, std::nullopt});
  EXPECT_TRUE(HasCode(reopen.status(), ErrorCode::kTokenNotFound)) << reopen.status();
  s.reset();  // must not crash: C_Logout/C_CloseSession errors are ignored
  auto other = OpenAndLogin(kSecondLabel);
  ASSERT_NE(other, nullptr);
  auto k = other->FindSigningKey(KeySelector{});
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(other->Sign(*k, SignRequest{CKM_SHA256_RSA_PKCS}, kDocument).ok());
}

}  // namespace
}  // namespace taicho::pkcs11
