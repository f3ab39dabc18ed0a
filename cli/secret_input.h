// Reading a PIN or password without echo, or from standard input for scripts.
#pragma once

#include "absl/status/statusor.h"
#include "pkcs11/secret.h"

namespace taicho::cli {

// From stdin (first line, newline removed) when `from_stdin`, else from the terminal with echo
// off after printing `prompt` to stderr. kUsage when there is no terminal to ask.
absl::StatusOr<pkcs11::SecretString> ReadSecret(bool from_stdin, const char* prompt);

}  // namespace taicho::cli
