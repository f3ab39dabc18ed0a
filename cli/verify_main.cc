// taicho-verify: `taicho verify` without --online or --server. It links only what offline
// verification needs (PoDoFo, OpenSSL, ICU): no gRPC, protobuf or libcurl, whose ~45 shared
// libraries cost more time to load than verifying a small signed PDF takes. The launcher
// (launcher_main.cc) starts it.
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"taicho — kiểm tra chữ ký số trong PDF (PAdES) / verify the signatures of a PDF"};
  app.require_subcommand(1);
  taicho::cli::Runner run;
  taicho::cli::AddVerifyCommand(app, run);
  return taicho::cli::ParseAndRun(app, argc, argv, run);
}
