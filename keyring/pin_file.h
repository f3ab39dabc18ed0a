// Reading an operator's PIN from a file at start-up, only when nobody but its owner can read it.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "pkcs11/secret.h"

namespace taicho::keyring {

// The PIN in `path` (one line; a trailing newline is dropped). Refused with kPinFileInsecure
// unless it is a regular file (not a symbolic link) owned by this process's user with no group or
// other permission bits (e.g. mode 0400 or 0600); kIo when it cannot be read; kPinInvalid when it
// is empty. The buffers read are wiped.
absl::StatusOr<pkcs11::SecretString> ReadPinFile(const std::string& path);

}  // namespace taicho::keyring
