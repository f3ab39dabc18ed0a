// taicho: the command people and scripts run. It only chooses the program that does the work and
// execs it, as git does with its git-* programs: an offline, local `verify` runs taicho-verify,
// which links just what verification needs and so starts in a few milliseconds (pdfsig-like);
// `render`, `sign`, `token` and `extend`, which work on local files and tokens, run taicho-local
// (no gRPC or protobuf); every other command runs taicho-cli, which also links gRPC and protobuf.
// All sit beside this program. `taicho --help` and `taicho --version` are answered here, with the
// text taicho-cli printed when it was built (launcher_text.cmake), so that they start as fast as
// `mutool -v`. Only the C library is used here, and it is linked statically (see CMakeLists.txt),
// so the choice costs no dynamic loading: loading the C++ library alone was ~1.4 ms of CPU, an
// eighth of a whole `taicho verify` of a small file.
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <initializer_list>

#include "cli/launcher_text.h"

namespace {

bool IsOfflineVerify(int argc, char** argv) {
  if (argc < 2 || strcmp(argv[1], "verify") != 0) return false;
  for (int i = 2; i < argc; ++i) {
    if (strncmp(argv[i], "--online", 8) == 0 || strncmp(argv[i], "--server", 8) == 0) {
      return false;  // needs libcurl or gRPC: taicho-cli
    }
  }
  return true;
}

// The commands cli/local_main.cc registers: none of them talks to taichod.
bool IsLocalCommand(int argc, char** argv) {
  if (argc < 2) return false;
  for (const char* name : {"render", "sign", "token", "extend"}) {
    if (strcmp(argv[1], name) == 0) return true;
  }
  return false;
}

// `out` := this program's directory + `name` (which starts with '/'); false when too long.
bool BesideThisProgram(const char* name, char (&out)[PATH_MAX]) {
  const ssize_t n = readlink("/proc/self/exe", out, sizeof out - 1);
  out[n > 0 ? n : 0] = '\0';
  char* slash = strrchr(out, '/');
  if (slash == nullptr) {  // not known: the working directory
    strcpy(out, ".");
    slash = out + 1;
  }
  if (static_cast<size_t>(slash - out) + strlen(name) + 1 > sizeof out) return false;
  strcpy(slash, name);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  namespace text = taicho::cli::launcher_text;
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    std::printf("%s%s%s", text::kHelpBeforeProgram, argv[0], text::kHelpAfterProgram);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    std::fputs(text::kVersion, stdout);
    return 0;
  }
  const char* name = IsOfflineVerify(argc, argv)  ? "/taicho-verify"
                     : IsLocalCommand(argc, argv) ? "/taicho-local"
                                                  : "/taicho-cli";
  char program[PATH_MAX];
  if (BesideThisProgram(name, program)) {
    execv(program, argv);
  } else {
    errno = ENAMETOOLONG;
  }
  std::fprintf(stderr,
               "LỖI / ERROR [INSTALL_INCOMPLETE]: không chạy được %s (cài đặt thiếu?) / cannot run "
               "%s (incomplete installation?): %s\n",
               program, program, strerror(errno));
  return 127;
}
