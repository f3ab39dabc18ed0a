#include "cli/key_source.h"

#include <functional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cli/secret_input.h"
#include "errors/error.h"
#include "signer/certificate_info.h"
#include "signer/token_signer.h"

namespace taicho::cli {
namespace {

struct TokenKey {
  std::shared_ptr<pkcs11::Module> module;
  std::unique_ptr<pkcs11::Session> session;
};

absl::StatusOr<TokenKey> OpenToken(const KeyOptions& o) {
  absl::StatusOr<std::shared_ptr<pkcs11::Module>> module = pkcs11::Module::Load(o.module);
  if (!module.ok()) return module.status();
  pkcs11::TokenSelector selector;
  if (!o.token.empty()) selector.label = o.token;
  if (!o.serial.empty()) selector.serial = o.serial;
  absl::StatusOr<std::unique_ptr<pkcs11::Session>> session = (*module)->OpenSession(selector);
  if (!session.ok()) return session.status();
  return TokenKey{*module, *std::move(session)};
}

absl::StatusOr<pkcs11::KeySelector> MakeKeySelector(const KeyOptions& o) {
  pkcs11::KeySelector selector;
  if (!o.key_id.empty()) {
    const bool hex = o.key_id.size() % 2 == 0 &&
                     o.key_id.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
    if (!hex) {
      return Error(ErrorCode::kUsage, "--key-id must be hex");
    }
    const std::string raw = absl::HexStringToBytes(o.key_id);
    selector.id = std::vector<uint8_t>(raw.begin(), raw.end());
  }
  if (!o.key_label.empty()) selector.label = o.key_label;
  return selector;
}

absl::StatusOr<std::vector<Bytes>> ChainFor(const Bytes& leaf, pkcs11::Session* session,
                                            const std::string& extra_path) {
  std::vector<Bytes> pool;
  if (session != nullptr) {
    absl::StatusOr<std::vector<std::vector<uint8_t>>> on_token = session->ListCertificates();
    if (!on_token.ok()) return on_token.status();
    pool = *std::move(on_token);
  }
  if (!extra_path.empty()) {
    absl::StatusOr<std::vector<Bytes>> extra = signer::ReadCertificates(extra_path);
    if (!extra.ok()) return extra.status();
    pool.insert(pool.end(), extra->begin(), extra->end());
  }
  return signer::BuildChain(leaf, pool);
}

// The token's key after exactly one C_Login with the PIN `read_pin` gives (wiped by Login).
absl::StatusOr<OpenKey> OpenTokenKey(
    const KeyOptions& o, const std::function<absl::StatusOr<pkcs11::SecretString>()>& read_pin) {
  OpenKey key;
  if (o.module.empty()) return Error(ErrorCode::kUsage, "give --module (or --p12)");
  absl::StatusOr<TokenKey> token = OpenToken(o);
  if (!token.ok()) return token.status();
  key.module = token->module;
  key.session = std::move(token->session);
  absl::StatusOr<pkcs11::SecretString> pin = read_pin();
  if (!pin.ok()) return pin.status();
  absl::Status st = key.session->Login(*pin);  // wipes the PIN
  if (!st.ok()) return st;
  absl::StatusOr<pkcs11::KeySelector> selector = MakeKeySelector(o);
  if (!selector.ok()) return selector.status();
  absl::StatusOr<pkcs11::KeyInfo> info = key.session->FindSigningKey(*selector);
  if (!info.ok()) return info.status();
  if (info->certificate_der.empty()) {
    return Error(ErrorCode::kCertificateNotFound, absl::StrCat("key ", info->label));
  }
  absl::StatusOr<std::vector<Bytes>> chain =
      ChainFor(info->certificate_der, key.session.get(), o.chain);
  if (!chain.ok()) return chain.status();
  absl::StatusOr<std::unique_ptr<signer::KeySigner>> s =
      signer::MakeTokenSigner(*key.session, *info, *std::move(chain), o.pss);
  if (!s.ok()) return s.status();
  key.signer = *std::move(s);
  return key;
}

}  // namespace

void KeyOptions::Register(CLI::App& cmd) {
  cmd.add_option("--module", module, "Thư viện PKCS#11 / PKCS#11 module path");
  cmd.add_option("--token", token, "Nhãn token / token label");
  cmd.add_option("--serial", serial, "Số sê-ri token / token serial");
  cmd.add_option("--key-id", key_id, "CKA_ID của khóa (hex) / key id (hex)");
  cmd.add_option("--key-label", key_label, "Nhãn khóa / key label");
  cmd.add_option("--p12", p12, "Tệp PKCS#12 thay cho token / PKCS#12 file instead of a token");
  cmd.add_option("--chain", chain, "Chứng thư trung gian (PEM) / extra chain certificates (PEM)");
  cmd.add_flag("--pin-stdin", pin_stdin,
               "Đọc PIN/mật khẩu từ stdin / read the PIN or password from stdin");
  cmd.add_flag("--pss", pss, "Ký RSASSA-PSS / sign with RSASSA-PSS");
}

absl::StatusOr<OpenKey> OpenSigningKey(const KeyOptions& o) {
  OpenKey key;
  if (!o.p12.empty()) {
    absl::StatusOr<pkcs11::SecretString> password =
        ReadSecret(o.pin_stdin, "Mật khẩu tệp PKCS#12 / PKCS#12 password: ");
    if (!password.ok()) return password.status();
    // The SecretString's own buffer, not a copy: PKCS12_parse keeps nothing, so the Wipe below
    // leaves the password nowhere in our memory.
    absl::StatusOr<std::unique_ptr<signer::KeySigner>> s =
        signer::LoadPkcs12Signer(o.p12, password->str(), o.pss);
    password->Wipe();
    if (!s.ok()) return s.status();
    key.signer = *std::move(s);
    return key;
  }
  return OpenTokenKey(o, [&o]() {
    return ReadSecret(o.pin_stdin, "Nhập mã PIN của token / Enter the token PIN: ");
  });
}

absl::StatusOr<OpenKey> OpenSigningKeyWithPin(const KeyOptions& options,
                                              pkcs11::SecretString& pin) {
  if (!options.p12.empty()) {
    pin.Wipe();
    return Error(ErrorCode::kUsage, "a PIN given by the page opens a token, not --p12");
  }
  absl::StatusOr<OpenKey> key = OpenTokenKey(
      options, [&pin]() -> absl::StatusOr<pkcs11::SecretString> { return std::move(pin); });
  pin.Wipe();  // when the token could not be opened, the PIN was never taken
  return key;
}

}  // namespace taicho::cli
