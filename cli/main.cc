// taicho-cli: every taicho command (render, sign, verify, print, the service clients). Users run
// `taicho`, which starts this program or, for an offline verify, taicho-verify (launcher_main.cc).
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "errors/error.h"

int main(int argc, char** argv) {
  CLI::App app{
      "taicho — tạo, ký số và kiểm tra văn bản PDF (PAdES) / render, sign and verify PDF documents "
      "(PAdES)"};
  app.require_subcommand(1);
  taicho::cli::Runner run;
  taicho::cli::AddTokenCommands(app, run);
  taicho::cli::AddSignCommands(app, run);
  taicho::cli::AddNetworkVerifyCommand(app, run);
  taicho::cli::AddRenderCommand(app, run);
  taicho::cli::AddPrintCopyCommand(app, run);
  taicho::cli::AddPrintStationCommand(app, run);
  taicho::cli::AddRegisterCommand(app, run);
  taicho::cli::AddDeskCommand(app, run);
  taicho::cli::AddLevelsCommand(app, run);
  taicho::cli::AddExtendCommand(app, run);
  return taicho::cli::ParseAndRun(app, argc, argv, run);
}
