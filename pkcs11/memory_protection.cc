#include "pkcs11/memory_protection.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::pkcs11 {

absl::Status ProtectProcessMemory() {
  const rlimit no_core{0, 0};
  if (setrlimit(RLIMIT_CORE, &no_core) != 0) {
    return Error(ErrorCode::kInternal,
                 absl::StrCat("setrlimit(RLIMIT_CORE, 0): ", std::strerror(errno)));
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return Error(ErrorCode::kInternal,
                 absl::StrCat("prctl(PR_SET_DUMPABLE, 0): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace taicho::pkcs11
