#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "errors/error.h"
#include "installation/installation.h"

namespace taicho::cli {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "LỖI / ERROR [%s]: %s\n", CodeOf(status).c_str(),
               std::string(status.message()).c_str());
  return ExitCodeOf(status);
}

int ParseAndRun(CLI::App& app, int argc, char** argv, const Runner& run) {
  // Both taicho-cli and taicho-verify answer for `taicho`, the program people run.
  app.set_version_flag("--version", installation::VersionLine("taicho"));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return run ? run() : 2;
}

}  // namespace taicho::cli
