#include "cli/secret_input.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>

#include "errors/error.h"

namespace taicho::cli {

absl::StatusOr<pkcs11::SecretString> ReadSecret(bool from_stdin, const char* prompt) {
  // read(2) on descriptor 0, not std::cin: stdio would keep the PIN (and whatever followed it) in
  // a buffer of its own that nobody wipes, for the life of the process.
  if (from_stdin) return pkcs11::ReadSecretLine(STDIN_FILENO);
  if (!::isatty(STDIN_FILENO)) {
    return Error(ErrorCode::kUsage, "no terminal to ask the PIN: use --pin-stdin");
  }
  std::fputs(prompt, stderr);
  termios old_mode{};
  ::tcgetattr(STDIN_FILENO, &old_mode);
  termios silent = old_mode;
  silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &silent);
  absl::StatusOr<pkcs11::SecretString> secret = pkcs11::ReadSecretLine(STDIN_FILENO);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &old_mode);
  std::fputs("\n", stderr);
  return secret;
}

}  // namespace taicho::cli
