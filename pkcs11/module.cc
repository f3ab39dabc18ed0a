#include "pkcs11/module.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "pkcs11/ck_errors.h"

namespace taicho::pkcs11 {
namespace {

// Guards Load() and ~Module() so C_Initialize/C_Finalize of one library never interleave, and
// maps each dlopen handle to its live Module.
std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}
std::map<void*, std::weak_ptr<Module>>& Registry() {
  static auto* registry = new std::map<void*, std::weak_ptr<Module>>;
  return *registry;
}

// Blank- (or NUL-) padded fixed-size field -> std::string without the padding.
template <size_t N>
std::string Trim(const unsigned char (&field)[N]) {
  size_t n = N;
  while (n > 0 && (field[n - 1] == ' ' || field[n - 1] == '\0')) --n;
  return std::string(reinterpret_cast<const char*>(field), n);
}

std::string DlError() {
  const char* e = dlerror();
  return e ? e : "unknown dlerror";
}

}  // namespace

absl::StatusOr<std::shared_ptr<Module>> Module::Load(const std::string& path) {
  if (path.empty()) return Error(ErrorCode::kModuleLoadFailed, "empty module path");
  std::unique_lock<std::mutex> lock(RegistryMutex());
  void* handle = nullptr;
  for (;;) {
    dlerror();
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      return Error(ErrorCode::kModuleLoadFailed, absl::StrCat("dlopen: ", DlError()));
    }
    auto& registry = Registry();
    auto it = registry.find(handle);
    if (it == registry.end()) break;
    if (std::shared_ptr<Module> existing = it->second.lock()) {
      dlclose(handle);  // drop the extra reference; `existing` keeps its own
      return existing;
    }
    // The last owner is being destroyed (its destructor waits for this mutex to C_Finalize):
    // let it finish, then initialise afresh.
    dlclose(handle);
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    lock.lock();
  }

  dlerror();
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
  if (get_list == nullptr) {
    std::string why = DlError();
    dlclose(handle);
    return Error(ErrorCode::kModuleLoadFailed,
                 absl::StrCat(path, " is not a PKCS#11 module (no C_GetFunctionList): ", why));
  }
  CK_FUNCTION_LIST_PTR functions = nullptr;
  CK_RV rv = get_list(&functions);
  if (rv != CKR_OK || functions == nullptr || functions->C_Initialize == nullptr) {
    dlclose(handle);
    return Error(ErrorCode::kModuleLoadFailed,
                 absl::StrCat("C_GetFunctionList returned ", CkrName(rv), " for ", path));
  }

  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  rv = functions->C_Initialize(&args);
  bool finalize = true;
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    finalize = false;  // someone else in this process owns the initialisation
  } else if (rv != CKR_OK) {
    dlclose(handle);
    return Error(ErrorCode::kModuleLoadFailed,
                 absl::StrCat("C_Initialize returned ", CkrName(rv), " for ", path));
  }

  std::shared_ptr<Module> module(new Module());
  module->path_ = path;
  module->handle_ = handle;
  module->functions_ = functions;
  module->finalize_ = finalize;
  Registry()[handle] = module;
  return module;
}

Module::~Module() {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  auto& registry = Registry();
  auto* f = static_cast<CK_FUNCTION_LIST_PTR>(functions_);
  if (finalize_ && f != nullptr && f->C_Finalize != nullptr) f->C_Finalize(nullptr);
  if (handle_ != nullptr) dlclose(handle_);
  // Load() never replaces an expired entry, so this one is ours.
  if (auto it = registry.find(handle_); it != registry.end() && it->second.expired()) {
    registry.erase(it);
  }
}

absl::StatusOr<TokenInfo> Module::GetTokenInfo(unsigned long slot_id) {
  return ReadSlot(slot_id, /*lenient=*/false);
}

absl::StatusOr<TokenInfo> Module::ReadSlot(unsigned long slot_id, bool lenient) {
  auto* f = static_cast<CK_FUNCTION_LIST_PTR>(functions_);
  CK_SLOT_INFO slot{};
  CK_RV rv = f->C_GetSlotInfo(slot_id, &slot);
  if (rv != CKR_OK) return CkError("C_GetSlotInfo", rv, absl::StrCat("slot ", slot_id));
  TokenInfo info;
  info.slot_id = slot_id;
  info.slot_description = Trim(slot.slotDescription);
  info.removable = (slot.flags & CKF_REMOVABLE_DEVICE) != 0;
  info.token_present = (slot.flags & CKF_TOKEN_PRESENT) != 0;
  if (!info.token_present) return info;

  CK_TOKEN_INFO token{};
  rv = f->C_GetTokenInfo(slot_id, &token);
  if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED) {
    info.token_present = false;  // pulled between the two calls
    return info;
  }
  if (rv != CKR_OK) {
    if (lenient) {
      // E.g. SoftHSM answers CKR_GENERAL_ERROR once the token's files are gone: list the slot
      // as holding no usable token rather than failing the whole listing.
      info.token_present = false;
      return info;
    }
    return CkError("C_GetTokenInfo", rv, absl::StrCat("slot ", slot_id));
  }
  info.label = Trim(token.label);
  info.serial = Trim(token.serialNumber);
  info.manufacturer = Trim(token.manufacturerID);
  info.model = Trim(token.model);
  info.token_initialized = (token.flags & CKF_TOKEN_INITIALIZED) != 0;
  info.login_required = (token.flags & CKF_LOGIN_REQUIRED) != 0;
  info.user_pin_initialized = (token.flags & CKF_USER_PIN_INITIALIZED) != 0;
  info.pin_count_low = (token.flags & CKF_USER_PIN_COUNT_LOW) != 0;
  info.pin_final_try = (token.flags & CKF_USER_PIN_FINAL_TRY) != 0;
  info.pin_locked = (token.flags & CKF_USER_PIN_LOCKED) != 0;
  return info;
}

absl::StatusOr<std::vector<TokenInfo>> Module::ListSlots(bool present_only) {
  auto* f = static_cast<CK_FUNCTION_LIST_PTR>(functions_);
  std::vector<CK_SLOT_ID> slots;
  // Two-call pattern; the slot count may change in between (CKR_BUFFER_TOO_SMALL), so loop.
  for (int attempt = 0;; ++attempt) {
    CK_ULONG count = 0;
    CK_RV rv = f->C_GetSlotList(present_only ? CK_TRUE : CK_FALSE, nullptr, &count);
    if (rv != CKR_OK) return CkError("C_GetSlotList", rv);
    slots.resize(count);
    if (count == 0) break;
    rv = f->C_GetSlotList(present_only ? CK_TRUE : CK_FALSE, slots.data(), &count);
    if (rv == CKR_BUFFER_TOO_SMALL && attempt < 3) continue;
    if (rv != CKR_OK) return CkError("C_GetSlotList", rv);
    slots.resize(count);
    break;
  }
  std::vector<TokenInfo> out;
  out.reserve(slots.size());
  for (CK_SLOT_ID slot : slots) {
    absl::StatusOr<TokenInfo> info = ReadSlot(slot, /*lenient=*/true);
    if (!info.ok()) {
      // A slot vanishing while we enumerate is not fatal for the listing.
      if (HasCode(info.status(), ErrorCode::kTokenError)) return info.status();
      continue;
    }
    if (present_only && !info->token_present) continue;
    out.push_back(*std::move(info));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Session>> Module::OpenSession(const TokenSelector& selector) {
  absl::StatusOr<std::vector<TokenInfo>> slots = ListSlots(/*present_only=*/true);
  if (!slots.ok()) return slots.status();
  std::vector<const TokenInfo*> matches;
  for (const TokenInfo& t : *slots) {
    if (!t.token_present || !t.token_initialized) continue;
    if (selector.label && t.label != *selector.label) continue;
    if (selector.serial && t.serial != *selector.serial) continue;
    matches.push_back(&t);
  }
  auto describe = [&] {
    std::string want;
    if (selector.label) absl::StrAppend(&want, "label \"", *selector.label, "\"");
    if (selector.serial)
      absl::StrAppend(&want, want.empty() ? "" : ", ", "serial ", *selector.serial);
    return want.empty() ? std::string("any token") : want;
  };
  if (matches.empty()) {
    return Error(ErrorCode::kTokenNotFound,
                 absl::StrCat("no initialised token matches ", describe()));
  }
  if (matches.size() > 1) {
    std::vector<std::string> names;
    for (const TokenInfo* t : matches) {
      names.push_back(
          absl::StrCat("\"", t->label, "\" (serial ", t->serial, ", slot ", t->slot_id, ")"));
    }
    return Error(ErrorCode::kUsage,
                 absl::StrCat("several tokens match ", describe(),
                              "; choose one by label or serial: ", absl::StrJoin(names, ", ")));
  }
  auto* f = static_cast<CK_FUNCTION_LIST_PTR>(functions_);
  CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
  CK_RV rv = f->C_OpenSession(matches[0]->slot_id, CKF_SERIAL_SESSION, nullptr, nullptr, &handle);
  if (rv != CKR_OK) {
    return CkError("C_OpenSession", rv, absl::StrCat("slot ", matches[0]->slot_id));
  }
  return std::make_unique<Session>(shared_from_this(), matches[0]->slot_id, handle);
}

}  // namespace taicho::pkcs11
