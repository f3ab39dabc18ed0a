#include "keyring/key_ring.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iterator>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "keyring/pin_file.h"
#include "pkcs11/module.h"
#include "pkcs11/session.h"
#include "signer/certificate_info.h"
#include "signer/token_signer.h"

namespace taicho::keyring {

// The sessions of one activated key. The first entry made the login.
struct ActiveKey::Pool {
  struct Entry {
    std::unique_ptr<pkcs11::Session> session;
    std::unique_ptr<signer::KeySigner> signer;  // uses `session`: declared after, destroyed first
  };
  std::vector<Entry> entries;
  std::mutex mu;
  std::condition_variable idle_cv;
  std::vector<size_t> idle;  // indexes into entries
};

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

pkcs11::TokenSelector TokenOf(const KeyConfig& config) {
  pkcs11::TokenSelector selector;
  if (!config.token_label.empty()) selector.label = config.token_label;
  if (!config.token_serial.empty()) selector.serial = config.token_serial;
  return selector;
}

absl::StatusOr<pkcs11::KeySelector> KeyOf(const KeyConfig& config) {
  pkcs11::KeySelector selector;
  if (!config.key_id_hex.empty()) {
    if (config.key_id_hex.size() % 2 != 0 ||
        config.key_id_hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return Error(ErrorCode::kConfigInvalid, absl::StrCat("key ", config.name, ": key_id: hex"));
    }
    const std::string raw = absl::HexStringToBytes(config.key_id_hex);
    selector.id = std::vector<uint8_t>(raw.begin(), raw.end());
  }
  if (!config.key_label.empty()) selector.label = config.key_label;
  return selector;
}

// Not an activation failure when unreadable: the status is kept and returned to each seal (as
// when the file was read per seal), and the key stays usable for invisible signatures.
absl::StatusOr<std::shared_ptr<const std::string>> ReadSealImage(const KeyConfig& config) {
  if (config.seal_image.empty()) return std::shared_ptr<const std::string>();
  std::ifstream in(config.seal_image, std::ios::binary);
  auto bytes = std::make_shared<const std::string>(std::istreambuf_iterator<char>(in),
                                                   std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    return Error(ErrorCode::kIo, "the configured seal image cannot be read");
  }
  return bytes;
}

bool TokenGone(const absl::Status& status) {
  return HasCode(status, ErrorCode::kDeviceRemoved) || HasCode(status, ErrorCode::kTokenAbsent);
}

}  // namespace

ActiveKey::ActiveKey()
    : pool_(std::make_unique<Pool>()),
      certificates_(std::make_unique<signer::CertificateCache>()) {}
ActiveKey::~ActiveKey() = default;

const std::vector<Bytes>& ActiveKey::CertificateChain() const { return chain_; }
signer::SignatureScheme ActiveKey::scheme() const { return scheme_; }

absl::StatusOr<Bytes> ActiveKey::Sign(ByteSpan data, signer::DigestAlgorithm md) {
  size_t index = 0;
  {
    std::unique_lock<std::mutex> lock(pool_->mu);
    pool_->idle_cv.wait(lock, [this] { return !pool_->idle.empty(); });
    index = pool_->idle.back();
    pool_->idle.pop_back();
  }
  absl::StatusOr<Bytes> value = pool_->entries[index].signer->Sign(data, md);
  {
    std::lock_guard<std::mutex> lock(pool_->mu);
    pool_->idle.push_back(index);
  }
  pool_->idle_cv.notify_one();
  return value;
}

KeyRing::KeyRing(std::vector<KeyConfig> keys) {
  for (KeyConfig& key : keys) {
    std::string name = key.name;
    slots_[name].config = std::move(key);
  }
}

KeyRing::~KeyRing() = default;

const KeyConfig* KeyRing::Find(const std::string& name) const {
  auto it = slots_.find(name);
  return it == slots_.end() ? nullptr : &it->second.config;
}

absl::Status KeyRing::Activate(const std::string& name, pkcs11::SecretString& pin_in) {
  // Taken out of the caller's object first, so every path below wipes it.
  pkcs11::SecretString pin(std::move(pin_in));
  pin_in.Wipe();
  const KeyConfig* config = Find(name);
  if (config == nullptr) {
    return Error(ErrorCode::kKeyNotFound, absl::StrCat("no server key named '", name, "'"));
  }
  std::lock_guard<std::mutex> activation(activation_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (slots_[name].active) {
      spdlog::info("key {}: already activated; the PIN given was not used", name);
      return Error(ErrorCode::kKeyAlreadyActivated,
                   absl::StrCat("key '", name, "': the PIN given was not used"));
    }
  }
  const auto start = std::chrono::steady_clock::now();
  auto key = std::shared_ptr<ActiveKey>(new ActiveKey());
  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<std::shared_ptr<pkcs11::Module>> module = pkcs11::Module::Load(config->module);
    if (!module.ok()) return module.status();
    absl::StatusOr<std::unique_ptr<pkcs11::Session>> login =
        (*module)->OpenSession(TokenOf(*config));
    if (!login.ok()) return login.status();
    // Once: a wrong PIN is reported, never tried again (tokens lock after a few).
    absl::Status st = (*login)->Login(pin);
    if (!st.ok()) return st;
    absl::StatusOr<pkcs11::KeySelector> selector = KeyOf(*config);
    if (!selector.ok()) return selector.status();
    absl::StatusOr<pkcs11::KeyInfo> info = (*login)->FindSigningKey(*selector);
    if (!info.ok()) return info.status();
    if (info->certificate_der.empty()) {
      return Error(ErrorCode::kCertificateNotFound, absl::StrCat("key ", info->label));
    }
    absl::StatusOr<std::vector<std::vector<uint8_t>>> pool = (*login)->ListCertificates();
    if (!pool.ok()) return pool.status();
    if (!config->chain_file.empty()) {
      absl::StatusOr<std::vector<Bytes>> extra = signer::ReadCertificates(config->chain_file);
      if (!extra.ok()) return extra.status();
      pool->insert(pool->end(), extra->begin(), extra->end());
    }
    key->chain_ = signer::BuildChain(info->certificate_der, *pool);
    absl::StatusOr<signer::CertificateInfo> cert =
        signer::DescribeCertificate(key->chain_.front(), key->certificates_.get());
    if (!cert.ok()) return cert.status();
    key->subject_ = cert->subject;

    ActiveKey::Pool::Entry first;
    first.session = *std::move(login);
    absl::StatusOr<std::unique_ptr<signer::KeySigner>> signer =
        signer::MakeTokenSigner(*first.session, *info, key->chain_, config->pss);
    if (!signer.ok()) return signer.status();
    first.signer = *std::move(signer);
    key->scheme_ = first.signer->scheme();
    key->pool_->entries.push_back(std::move(first));
    // The login above covers these sessions too (login state is per application and token).
    for (int i = 1; i < std::max(config->sessions, 1); ++i) {
      ActiveKey::Pool::Entry entry;
      absl::StatusOr<std::unique_ptr<pkcs11::Session>> session =
          (*module)->OpenSession(TokenOf(*config));
      if (!session.ok()) return session.status();
      entry.session = *std::move(session);
      absl::StatusOr<pkcs11::KeyInfo> same = entry.session->FindSigningKey(*selector);
      if (!same.ok()) return same.status();
      signer = signer::MakeTokenSigner(*entry.session, *same, key->chain_, config->pss);
      if (!signer.ok()) return signer.status();
      entry.signer = *std::move(signer);
      key->pool_->entries.push_back(std::move(entry));
    }
    for (size_t i = key->pool_->entries.size(); i > 0; --i) key->pool_->idle.push_back(i - 1);
    return absl::OkStatus();
  }();
  pin.Wipe();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard<std::mutex> lock(mu_);
  Slot& slot = slots_[name];
  if (!status.ok()) {
    slot.last_error = CodeOf(status);
    // The status names codes and token/key labels, never the PIN.
    spdlog::warn("key {}: activation failed: {} ({:.1f} ms)", name, std::string(status.message()),
                 ms);
    return status;
  }
  key->seal_image_ = ReadSealImage(*config);
  if (!key->seal_image_.ok()) {
    spdlog::warn("key {}: {}: {}", name, std::string(key->seal_image_.status().message()),
                 config->seal_image);
  }
  slot.active = std::move(key);
  slot.activate_time_ms = NowMs();
  slot.last_error.clear();
  spdlog::info("key {}: activated on token '{}' for {} ({} sessions, {:.1f} ms)", name,
               config->token_label, slot.active->subject(), slot.active->pool_->entries.size(), ms);
  return absl::OkStatus();
}

absl::Status KeyRing::ActivateFromPinFiles() {
  for (const auto& [name, slot] : slots_) {
    if (slot.config.pin_file.empty()) continue;
    absl::StatusOr<pkcs11::SecretString> pin = ReadPinFile(slot.config.pin_file);
    if (!pin.ok()) {
      spdlog::error("key {}: PIN file refused: {}", name, std::string(pin.status().message()));
      return pin.status();
    }
    absl::Status st = Activate(name, *pin);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<ActiveKey>> KeyRing::Get(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = slots_.find(name);
  if (it == slots_.end()) {
    return Error(ErrorCode::kKeyNotFound, absl::StrCat("no server key named '", name, "'"));
  }
  if (!it->second.active) {
    return Error(ErrorCode::kKeyNotActivated,
                 absl::StrCat("key '", name, "': an operator must activate it (ActivateKey)",
                              it->second.last_error.empty() ? "" : "; last failure ",
                              it->second.last_error));
  }
  return it->second.active;
}

void KeyRing::ReportFailure(const std::string& name, const ActiveKey* key,
                            const absl::Status& failure) {
  if (!TokenGone(failure)) return;
  std::shared_ptr<ActiveKey> closing;  // closed outside the lock: the module may be slow
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = slots_.find(name);
    if (it == slots_.end() || it->second.active.get() != key) return;
    closing = std::move(it->second.active);
    it->second.last_error = CodeOf(failure);
  }
  spdlog::warn("key {}: token gone ({}); the key is no longer activated", name, CodeOf(failure));
}

std::vector<KeyStatus> KeyRing::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<KeyStatus> out;
  for (const auto& [name, slot] : slots_) {
    KeyStatus status;
    status.name = name;
    status.token_label = slot.config.token_label;
    status.activated = slot.active != nullptr;
    if (slot.active) {
      status.signer = slot.active->subject();
      status.activate_time_ms = slot.activate_time_ms;
    }
    status.last_error = slot.last_error;
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace taicho::keyring
