// taicho-local: the commands that work on local files and tokens only — render, sign (also
// prepare/complete), token, extend — without gRPC and protobuf, which taicho-cli links for the
// service clients and whose ~45 shared libraries cost more to load than rendering or signing a
// small PDF takes (pdfsig and mutool start in ~10 ms). The launcher (launcher_main.cc) starts it.
// `extend` and `sign --tsa` need libcurl, which http/ opens only when a TSA or OCSP/CRL server is
// asked: signing or rendering without the network never maps it.
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "taicho — tạo và ký số văn bản PDF (PAdES) trên máy này / render and sign PDF documents "
      "(PAdES) on this machine"};
  app.require_subcommand(1);
  taicho::cli::Runner run;
  taicho::cli::AddTokenCommands(app, run);
  taicho::cli::AddSignCommands(app, run);
  taicho::cli::AddRenderCommand(app, run);
  taicho::cli::AddExtendCommand(app, run);
  return taicho::cli::ParseAndRun(app, argc, argv, run);
}
