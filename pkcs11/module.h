// A PKCS#11 library loaded by path, and the tokens it exposes.
//
// The module is untrusted vendor code: every call may fail, and every CK_RV is turned into an
// absl::Status with a stable taicho::ErrorCode (see errors/error.h). Module is thread-safe (it is
// initialised with CKF_OS_LOCKING_OK); a Session is used by one thread at a time.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pkcs11/session.h"

namespace taicho::pkcs11 {

struct TokenInfo {
  unsigned long slot_id = 0;
  std::string slot_description;
  bool token_present = false;
  bool removable = false;  // CKF_REMOVABLE_DEVICE
  // The fields below are meaningful only when token_present.
  std::string label;  // trailing blanks removed; UTF-8 as the token reports it
  std::string serial;
  std::string manufacturer;
  std::string model;
  bool token_initialized = false;  // CKF_TOKEN_INITIALIZED (SoftHSM always shows a blank one)
  bool login_required = false;
  bool user_pin_initialized = false;
  bool pin_count_low = false;  // CKF_USER_PIN_COUNT_LOW
  bool pin_final_try = false;  // CKF_USER_PIN_FINAL_TRY
  bool pin_locked = false;     // CKF_USER_PIN_LOCKED
};

// Which token to open. Empty fields match anything; at least one must be set when several
// tokens are present. Only initialised tokens (CKF_TOKEN_INITIALIZED) are candidates.
struct TokenSelector {
  std::optional<std::string> label;
  std::optional<std::string> serial;
};

class Module : public std::enable_shared_from_this<Module> {
 public:
  // dlopen()s `path`, calls C_GetFunctionList and C_Initialize (OS locking). Fails with
  // kModuleLoadFailed when the file is missing, is not a PKCS#11 module, or initialisation fails.
  // Loading the same library again while a Module for it is alive returns that same Module
  // (C_Initialize/C_Finalize are process-wide, so two owners would finalize under each other).
  // When the library was already initialised by someone else (CKR_CRYPTOKI_ALREADY_INITIALIZED)
  // it is used as is and not finalised by us.
  static absl::StatusOr<std::shared_ptr<Module>> Load(const std::string& path);

  ~Module();  // C_Finalize (only if we initialised it), then dlclose.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Every slot (present_only=false) or only slots holding a token. A slot whose token info cannot
  // be read (token being pulled out, SoftHSM token files deleted) is listed with
  // token_present=false instead of failing the listing.
  absl::StatusOr<std::vector<TokenInfo>> ListSlots(bool present_only = false);

  // Opens a read-only session on the one token matching `selector`. kTokenNotFound when none
  // matches, kUsage when several match.
  absl::StatusOr<std::unique_ptr<Session>> OpenSession(const TokenSelector& selector);

  // Refreshed info for one slot (e.g. to read the PIN flags after a failed login). Fails with the
  // mapped CK_RV when C_GetSlotInfo/C_GetTokenInfo fail.
  absl::StatusOr<TokenInfo> GetTokenInfo(unsigned long slot_id);

  const std::string& path() const { return path_; }
  // The CK_FUNCTION_LIST_PTR, for Session only.
  void* functions() const { return functions_; }

 private:
  Module() = default;
  absl::StatusOr<TokenInfo> ReadSlot(unsigned long slot_id, bool lenient);
  std::string path_;
  void* handle_ = nullptr;     // dlopen handle
  void* functions_ = nullptr;  // CK_FUNCTION_LIST_PTR
  bool finalize_ = false;      // we called C_Initialize successfully
};

}  // namespace taicho::pkcs11
