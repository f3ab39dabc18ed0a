// Private to pkcs11/: turns a CK_RV into a taicho status.
#pragma once

#include <p11-kit/pkcs11.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace taicho::pkcs11 {

// "CKR_PIN_INCORRECT", or "CKR_VENDOR_DEFINED+0x12" / "CKR_0x1234" for unknown values.
std::string CkrName(CK_RV rv);

// Maps the CK_RV returned by `function` (e.g. "C_Sign") to a taicho::Error. OK for CKR_OK.
// The detail always names the function and the CKR value; `context` (never a secret) is appended.
//
//   CKR_PIN_INCORRECT                                   -> kPinIncorrect
//   CKR_PIN_LOCKED, CKR_PIN_EXPIRED,
//   CKR_USER_PIN_NOT_INITIALIZED                        -> kPinLocked (the user PIN cannot be used
//                                                          until the SO re-initialises/unblocks it)
//   CKR_PIN_LEN_RANGE, CKR_PIN_INVALID                  -> kPinInvalid
//   CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_RECOGNIZED     -> kTokenAbsent
//   CKR_DEVICE_REMOVED, CKR_SESSION_CLOSED,
//   CKR_SESSION_HANDLE_INVALID                          -> kDeviceRemoved (we only use handles we
//                                                          opened, so an invalid handle means the
//                                                          module dropped the session: token gone)
//   CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID,
//   CKR_KEY_TYPE_INCONSISTENT,
//   CKR_KEY_FUNCTION_NOT_PERMITTED                      -> kMechanismUnsupported
//   anything else                                       -> kTokenError
absl::Status CkError(std::string_view function, CK_RV rv, std::string_view context = {});

}  // namespace taicho::pkcs11
