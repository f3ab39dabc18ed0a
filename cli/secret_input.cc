#include "cli/secret_input.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "errors/error.h"

namespace taicho::cli {

absl::StatusOr<pkcs11::SecretString> ReadSecret(bool from_stdin, const char* prompt) {
  std::string line;
  if (from_stdin) {
    std::getline(std::cin, line);
  } else {
    if (!::isatty(STDIN_FILENO)) {
      return Error(ErrorCode::kUsage, "no terminal to ask the PIN: use --pin-stdin");
    }
    std::fputs(prompt, stderr);
    termios old_mode{};
    ::tcgetattr(STDIN_FILENO, &old_mode);
    termios silent = old_mode;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &silent);
    std::getline(std::cin, line);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old_mode);
    std::fputs("\n", stderr);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  pkcs11::SecretString secret(std::move(line));
  return secret;
}

}  // namespace taicho::cli
