#include "pkcs11/session.h"

#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "pkcs11/ck_errors.h"
#include "pkcs11/module.h"

namespace taicho::pkcs11 {
namespace {

constexpr size_t kMaxPinLength = 64;
constexpr CK_ULONG kFindBatch = 16;
constexpr size_t kMaxObjects = 1024;  // a token never holds more; stops a looping module

using Bytes = std::vector<uint8_t>;

// Runs a callable when the scope ends.
template <typename F>
class ScopeGuard {
 public:
  explicit ScopeGuard(F f) : f_(std::move(f)) {}
  ~ScopeGuard() { f_(); }
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;

 private:
  F f_;
};

CK_FUNCTION_LIST_PTR Fn(const std::shared_ptr<Module>& module) {
  return static_cast<CK_FUNCTION_LIST_PTR>(module->functions());
}

// C_FindObjectsInit .. C_FindObjectsFinal, the final call guaranteed.
absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> FindObjects(CK_FUNCTION_LIST_PTR f,
                                                          CK_SESSION_HANDLE session,
                                                          std::vector<CK_ATTRIBUTE> tmpl) {
  CK_RV rv = f->C_FindObjectsInit(session, tmpl.data(), tmpl.size());
  if (rv != CKR_OK) return CkError("C_FindObjectsInit", rv);
  ScopeGuard final_guard([&] { f->C_FindObjectsFinal(session); });
  std::vector<CK_OBJECT_HANDLE> out;
  for (;;) {
    CK_OBJECT_HANDLE batch[kFindBatch];
    CK_ULONG n = 0;
    rv = f->C_FindObjects(session, batch, kFindBatch, &n);
    if (rv != CKR_OK) return CkError("C_FindObjects", rv);
    if (n == 0) break;
    out.insert(out.end(), batch, batch + std::min(n, kFindBatch));
    if (out.size() > kMaxObjects) {
      return Error(ErrorCode::kTokenError, "C_FindObjects returned too many objects");
    }
  }
  return out;
}

// One attribute's value, or nullopt when the object does not have it / it is sensitive.
absl::StatusOr<std::optional<Bytes>> GetAttribute(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE session,
                                                  CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE attr{type, nullptr, 0};
  CK_RV rv = f->C_GetAttributeValue(session, object, &attr, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) return std::nullopt;
  if (rv != CKR_OK) return CkError("C_GetAttributeValue", rv);
  if (attr.ulValueLen == CK_UNAVAILABLE_INFORMATION) return std::nullopt;
  Bytes value(attr.ulValueLen);
  if (value.empty()) return value;
  attr.pValue = value.data();
  rv = f->C_GetAttributeValue(session, object, &attr, 1);
  if (rv != CKR_OK) return CkError("C_GetAttributeValue", rv);
  if (attr.ulValueLen > value.size()) {
    return Error(ErrorCode::kTokenError, "C_GetAttributeValue grew an attribute between calls");
  }
  value.resize(attr.ulValueLen);
  return value;
}

std::optional<CK_ULONG> AsUlong(const std::optional<Bytes>& v) {
  if (!v || v->size() != sizeof(CK_ULONG)) return std::nullopt;
  CK_ULONG out;
  std::copy(v->begin(), v->end(), reinterpret_cast<uint8_t*>(&out));
  return out;
}

std::string Printable(const Bytes& id) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

// Number of significant bits in a big-endian unsigned integer.
unsigned long BitLength(const Bytes& be) {
  size_t i = 0;
  while (i < be.size() && be[i] == 0) ++i;
  if (i == be.size()) return 0;
  unsigned long bits = (be.size() - i - 1) * 8;
  for (uint8_t top = be[i]; top != 0; top >>= 1) ++bits;
  return bits;
}

Bytes StripLeadingZeros(Bytes v) {
  auto it = std::find_if(v.begin(), v.end(), [](uint8_t b) { return b != 0; });
  v.erase(v.begin(), it);
  return v;
}

bool IsPss(CK_MECHANISM_TYPE m) {
  switch (m) {
    case CKM_RSA_PKCS_PSS:
    case CKM_SHA1_RSA_PKCS_PSS:
    case CKM_SHA224_RSA_PKCS_PSS:
    case CKM_SHA256_RSA_PKCS_PSS:
    case CKM_SHA384_RSA_PKCS_PSS:
    case CKM_SHA512_RSA_PKCS_PSS:
      return true;
    default:
      return false;
  }
}

// SoftHSM2 (and some vendor modules) do not say CKR_DEVICE_REMOVED when the token goes away:
// objects vanish (CKR_OBJECT_HANDLE_INVALID, empty searches) and C_GetTokenInfo fails with
// CKR_GENERAL_ERROR. So after a failure that could mean "gone", ask the slot: if it no longer
// reports a readable token, the failure becomes kDeviceRemoved.
absl::Status ProbeRemoved(Module& module, unsigned long slot_id, absl::Status original) {
  if (original.ok()) return original;
  for (ErrorCode keep :
       {ErrorCode::kDeviceRemoved, ErrorCode::kMechanismUnsupported, ErrorCode::kUsage,
        ErrorCode::kPinIncorrect, ErrorCode::kPinLocked, ErrorCode::kPinInvalid}) {
    if (HasCode(original, keep)) return original;
  }
  absl::StatusOr<TokenInfo> info = module.GetTokenInfo(slot_id);
  if (info.ok() && info->token_present) return original;
  std::string why = info.ok() ? "the slot reports no token" : std::string(info.status().message());
  return Error(ErrorCode::kDeviceRemoved,
               absl::StrCat("token stopped answering (", why, ") after: ", original.message()));
}

enum class Family { kRsa, kEc, kUnknown };

Family FamilyOf(CK_MECHANISM_TYPE m) {
  switch (m) {
    case CKM_RSA_PKCS:
    case CKM_RSA_X_509:
    case CKM_SHA1_RSA_PKCS:
    case CKM_SHA224_RSA_PKCS:
    case CKM_SHA256_RSA_PKCS:
    case CKM_SHA384_RSA_PKCS:
    case CKM_SHA512_RSA_PKCS:
      return Family::kRsa;
    case CKM_ECDSA:
    case CKM_ECDSA_SHA1:
    case CKM_ECDSA_SHA224:
    case CKM_ECDSA_SHA256:
    case CKM_ECDSA_SHA384:
    case CKM_ECDSA_SHA512:
      return Family::kEc;
    default:
      return IsPss(m) ? Family::kRsa : Family::kUnknown;
  }
}

}  // namespace

Session::Session(std::shared_ptr<Module> module, unsigned long slot_id,
                 unsigned long session_handle)
    : module_(std::move(module)), slot_id_(slot_id), handle_(session_handle) {}

Session::~Session() {
  // Errors are ignored: the token may be gone. Note: PKCS#11 login state is per application and
  // token, so C_Logout also logs out other sessions of this process on the same token.
  CK_FUNCTION_LIST_PTR f = Fn(module_);
  if (logged_in_) f->C_Logout(handle_);
  f->C_CloseSession(handle_);
}

absl::Status Session::Login(SecretString& pin) {
  ScopeGuard wipe([&pin] { pin.Wipe(); });
  const std::string_view p = pin.view();
  if (p.empty() || p.size() > kMaxPinLength) {
    return Error(ErrorCode::kPinInvalid,
                 absl::StrCat("PIN length must be 1..", kMaxPinLength,
                              " / độ dài PIN phải từ 1 đến ", kMaxPinLength));
  }
  if (std::any_of(p.begin(), p.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return Error(ErrorCode::kPinInvalid,
                 "PIN contains a control character (newline?) / PIN chứa ký tự điều khiển");
  }
  CK_FUNCTION_LIST_PTR f = Fn(module_);
  // C_Login does not write through the pointer; the API is just not const-correct.
  CK_RV rv = f->C_Login(handle_, CKU_USER,
                        reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(p.data())), p.size());
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
    logged_in_ = true;
    return absl::OkStatus();
  }
  if (rv != CKR_PIN_INCORRECT) return CkError("C_Login", rv);

  // Wrong PIN: never retried. Tell the officer how many tries the token says are left.
  absl::StatusOr<TokenInfo> info = module_->GetTokenInfo(slot_id_);
  if (info.ok() && info->pin_locked) {
    return Error(ErrorCode::kPinLocked,
                 "C_Login returned CKR_PIN_INCORRECT (0xa0); mã PIN đã bị khóa / the PIN is now "
                 "locked");
  }
  std::string hint;
  if (info.ok() && info->pin_final_try) {
    hint = "lần thử cuối / final try";
  } else if (info.ok() && info->pin_count_low) {
    hint = "còn ít lần thử / few tries left";
  }
  return CkError("C_Login", rv, hint);
}

absl::StatusOr<KeyInfo> Session::FindSigningKey(const KeySelector& selector) {
  absl::StatusOr<KeyInfo> key = FindSigningKeyImpl(selector);
  if (key.ok()) return key;
  return ProbeRemoved(*module_, slot_id_, key.status());
}

absl::StatusOr<KeyInfo> Session::FindSigningKeyImpl(const KeySelector& selector) {
  CK_FUNCTION_LIST_PTR f = Fn(module_);
  CK_OBJECT_CLASS key_class = CKO_PRIVATE_KEY;
  CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
  CK_BBOOL yes = CK_TRUE;

  std::optional<Bytes> want_id = selector.id;
  std::optional<Bytes> want_modulus;  // when the certificate is not on the token
  if (selector.certificate_der) {
    Bytes der = *selector.certificate_der;
    absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> certs = FindObjects(
        f, handle_,
        {{CKA_CLASS, &cert_class, sizeof cert_class}, {CKA_VALUE, der.data(), der.size()}});
    if (!certs.ok()) return certs.status();
    std::optional<Bytes> cert_id;
    for (CK_OBJECT_HANDLE c : *certs) {
      absl::StatusOr<std::optional<Bytes>> id = GetAttribute(f, handle_, c, CKA_ID);
      if (!id.ok()) return id.status();
      if (*id && !(*id)->empty()) {
        cert_id = **id;
        break;
      }
    }
    if (cert_id) {
      if (want_id && *want_id != *cert_id) {
        return Error(ErrorCode::kKeyNotFound,
                     "the given certificate belongs to a different key id than the one asked for");
      }
      want_id = cert_id;
    } else {
      // Not on the token (or without CKA_ID): match RSA keys by the modulus the caller read from
      // the certificate.
      if (selector.rsa_modulus) want_modulus = StripLeadingZeros(*selector.rsa_modulus);
      if (!want_modulus || want_modulus->empty()) {
        return Error(ErrorCode::kKeyNotFound,
                     "the certificate is not on the token and its key cannot be matched");
      }
    }
  }

  std::vector<CK_ATTRIBUTE> tmpl = {{CKA_CLASS, &key_class, sizeof key_class},
                                    {CKA_SIGN, &yes, sizeof yes}};
  if (want_id) tmpl.push_back({CKA_ID, want_id->data(), want_id->size()});
  if (selector.label) {
    tmpl.push_back({CKA_LABEL, const_cast<char*>(selector.label->data()), selector.label->size()});
  }
  absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> keys = FindObjects(f, handle_, std::move(tmpl));
  if (!keys.ok()) return keys.status();

  std::vector<KeyInfo> found;
  for (CK_OBJECT_HANDLE k : *keys) {
    KeyInfo key;
    key.handle = k;
    absl::StatusOr<std::optional<Bytes>> type = GetAttribute(f, handle_, k, CKA_KEY_TYPE);
    if (!type.ok()) return type.status();
    std::optional<CK_ULONG> kt = AsUlong(*type);
    key.type = kt == CKK_RSA ? KeyType::kRsa : kt == CKK_EC ? KeyType::kEc : KeyType::kOther;
    absl::StatusOr<std::optional<Bytes>> id = GetAttribute(f, handle_, k, CKA_ID);
    if (!id.ok()) return id.status();
    if (*id) key.id = **id;
    absl::StatusOr<std::optional<Bytes>> label = GetAttribute(f, handle_, k, CKA_LABEL);
    if (!label.ok()) return label.status();
    if (*label) key.label.assign((*label)->begin(), (*label)->end());
    if (key.type == KeyType::kRsa) {
      // SoftHSM2 does not expose CKA_MODULUS_BITS on private keys; CKA_MODULUS is public.
      absl::StatusOr<std::optional<Bytes>> modulus = GetAttribute(f, handle_, k, CKA_MODULUS);
      if (!modulus.ok()) return modulus.status();
      absl::StatusOr<std::optional<Bytes>> bits = GetAttribute(f, handle_, k, CKA_MODULUS_BITS);
      if (!bits.ok()) return bits.status();
      if (std::optional<CK_ULONG> b = AsUlong(*bits)) {
        key.modulus_bits = *b;
      } else if (*modulus) {
        key.modulus_bits = BitLength(**modulus);
      }
      if (want_modulus && (!*modulus || StripLeadingZeros(**modulus) != *want_modulus)) continue;
    } else if (want_modulus) {
      continue;
    }
    found.push_back(std::move(key));
  }

  if (found.empty()) {
    std::vector<std::string> what;
    if (want_id) what.push_back(absl::StrCat("id ", Printable(*want_id)));
    if (selector.label) what.push_back(absl::StrCat("label \"", *selector.label, "\""));
    if (selector.certificate_der) what.push_back("the given certificate");
    return Error(
        ErrorCode::kKeyNotFound,
        absl::StrCat("no private signing key",
                     what.empty() ? "" : " with " + absl::StrJoin(what, ", "), " on the token"));
  }
  if (found.size() > 1) {
    std::vector<std::string> names;
    for (const KeyInfo& k : found) {
      names.push_back(absl::StrCat("\"", k.label, "\" (id ", Printable(k.id), ")"));
    }
    return Error(
        ErrorCode::kUsage,
        absl::StrCat("several signing keys match; choose one by id, label or certificate: ",
                     absl::StrJoin(names, ", ")));
  }

  KeyInfo key = std::move(found[0]);
  if (selector.certificate_der) {
    // Either found on the token by value, or matched to the key by RSA modulus.
    key.certificate_der = *selector.certificate_der;
  } else if (!key.id.empty()) {
    CK_CERTIFICATE_TYPE x509 = CKC_X_509;
    absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> certs =
        FindObjects(f, handle_,
                    {{CKA_CLASS, &cert_class, sizeof cert_class},
                     {CKA_CERTIFICATE_TYPE, &x509, sizeof x509},
                     {CKA_ID, key.id.data(), key.id.size()}});
    if (!certs.ok()) return certs.status();
    for (CK_OBJECT_HANDLE c : *certs) {
      absl::StatusOr<std::optional<Bytes>> value = GetAttribute(f, handle_, c, CKA_VALUE);
      if (!value.ok()) return value.status();
      if (*value && !(*value)->empty()) {
        key.certificate_der = **value;
        break;
      }
    }
  }
  return key;
}

absl::StatusOr<std::vector<std::vector<uint8_t>>> Session::ListCertificates() {
  CK_FUNCTION_LIST_PTR f = Fn(module_);
  CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE x509 = CKC_X_509;
  absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> certs = FindObjects(
      f, handle_,
      {{CKA_CLASS, &cert_class, sizeof cert_class}, {CKA_CERTIFICATE_TYPE, &x509, sizeof x509}});
  if (!certs.ok()) return ProbeRemoved(*module_, slot_id_, certs.status());
  std::vector<Bytes> out;
  for (CK_OBJECT_HANDLE c : *certs) {
    absl::StatusOr<std::optional<Bytes>> value = GetAttribute(f, handle_, c, CKA_VALUE);
    if (!value.ok()) return ProbeRemoved(*module_, slot_id_, value.status());
    if (*value && !(*value)->empty()) out.push_back(**value);
  }
  return out;
}

absl::StatusOr<std::vector<unsigned long>> Session::SigningMechanisms() {
  CK_FUNCTION_LIST_PTR f = Fn(module_);
  CK_ULONG count = 0;
  CK_RV rv = f->C_GetMechanismList(slot_id_, nullptr, &count);
  if (rv != CKR_OK) return CkError("C_GetMechanismList", rv);
  std::vector<CK_MECHANISM_TYPE> all(count);
  if (count > 0) {
    rv = f->C_GetMechanismList(slot_id_, all.data(), &count);
    if (rv != CKR_OK) return CkError("C_GetMechanismList", rv);
    all.resize(std::min<size_t>(count, all.size()));
  }
  std::vector<unsigned long> out;
  for (CK_MECHANISM_TYPE m : all) {
    CK_MECHANISM_INFO info{};
    rv = f->C_GetMechanismInfo(slot_id_, m, &info);
    if (rv == CKR_MECHANISM_INVALID) continue;
    if (rv != CKR_OK) return CkError("C_GetMechanismInfo", rv);
    if (info.flags & CKF_SIGN) out.push_back(m);
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> Session::Sign(const KeyInfo& key, const SignRequest& request,
                                                   const std::vector<uint8_t>& data) {
  absl::StatusOr<std::vector<uint8_t>> signature = SignImpl(key, request, data);
  if (signature.ok()) return signature;
  return ProbeRemoved(*module_, slot_id_, signature.status());
}

absl::StatusOr<std::vector<uint8_t>> Session::SignImpl(const KeyInfo& key,
                                                       const SignRequest& request,
                                                       const std::vector<uint8_t>& data) {
  CK_FUNCTION_LIST_PTR f = Fn(module_);
  CK_RSA_PKCS_PSS_PARAMS pss{};
  CK_MECHANISM mechanism{request.mechanism, nullptr, 0};
  if (IsPss(request.mechanism)) {
    if (request.pss_hash == 0 || request.pss_mgf == 0) {
      return Error(ErrorCode::kUsage, "a PSS mechanism needs pss_hash and pss_mgf");
    }
    pss.hashAlg = request.pss_hash;
    pss.mgf = request.pss_mgf;
    pss.sLen = request.pss_salt_length;
    mechanism.pParameter = &pss;
    mechanism.ulParameterLen = sizeof pss;
  }
  char mech_hex[32];
  std::snprintf(mech_hex, sizeof mech_hex, "mechanism 0x%lx", request.mechanism);

  // Checked before C_SignInit: SoftHSM2 accepts e.g. CKM_ECDSA on an RSA key in C_SignInit and
  // only fails (CKR_GENERAL_ERROR) in C_Sign, and other modules are no better.
  const Family family = FamilyOf(request.mechanism);
  if ((family == Family::kRsa && key.type == KeyType::kEc) ||
      (family == Family::kEc && key.type == KeyType::kRsa)) {
    return Error(ErrorCode::kMechanismUnsupported,
                 absl::StrCat(mech_hex, " cannot be used with ",
                              key.type == KeyType::kRsa ? "an RSA" : "an EC", " key"));
  }
  CK_MECHANISM_INFO info{};
  CK_RV rv = f->C_GetMechanismInfo(slot_id_, request.mechanism, &info);
  if (rv != CKR_OK) return CkError("C_GetMechanismInfo", rv, mech_hex);
  if ((info.flags & CKF_SIGN) == 0) {
    return Error(ErrorCode::kMechanismUnsupported,
                 absl::StrCat(mech_hex, " is not a signing mechanism of this token"));
  }

  rv = f->C_SignInit(handle_, &mechanism, key.handle);
  if (rv != CKR_OK) return CkError("C_SignInit", rv, mech_hex);

  // Two-call pattern. C_Sign with a NULL buffer keeps the operation active; any error ends it.
  // C_Sign takes a non-const pointer but does not modify the input.
  CK_BYTE_PTR in = const_cast<CK_BYTE_PTR>(data.data());
  CK_ULONG len = 0;
  rv = f->C_Sign(handle_, in, data.size(), nullptr, &len);
  if (rv != CKR_OK) return CkError("C_Sign", rv, mech_hex);
  // Never pass a NULL buffer the second time (that would be another size query and leave the
  // operation active): a module answering length 0 then gets a real call that ends the operation.
  Bytes signature(std::max<CK_ULONG>(len, 1));
  rv = f->C_Sign(handle_, in, data.size(), signature.data(), &len);
  if (rv != CKR_OK) return CkError("C_Sign", rv, mech_hex);
  if (len == 0 || len > signature.size()) {
    return Error(ErrorCode::kTokenError,
                 absl::StrCat("C_Sign returned a signature of ", len, " bytes; ", mech_hex));
  }
  signature.resize(len);
  return signature;
}

}  // namespace taicho::pkcs11
