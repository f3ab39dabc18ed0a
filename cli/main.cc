// taicho: sign and verify PDFs with PKCS#11 tokens (PAdES). See README.md.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "errors/error.h"

namespace taicho::cli {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "LỖI / ERROR [%s]: %s\n", CodeOf(status).c_str(),
               std::string(status.message()).c_str());
  return ExitCodeOf(status);
}

}  // namespace taicho::cli

int main(int argc, char** argv) {
  CLI::App app{
      "taicho — tạo, ký số và kiểm tra văn bản PDF (PAdES) / render, sign and verify PDF documents "
      "(PAdES)"};
  app.require_subcommand(1);
  taicho::cli::Runner run;
  taicho::cli::AddTokenCommands(app, run);
  taicho::cli::AddSignCommands(app, run);
  taicho::cli::AddVerifyCommand(app, run);
  taicho::cli::AddRenderCommand(app, run);
  taicho::cli::AddPrintCopyCommand(app, run);
  taicho::cli::AddPrintStationCommand(app, run);
  taicho::cli::AddRegisterCommand(app, run);
  taicho::cli::AddExtendCommand(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return run ? run() : 2;
}
