// `taicho verify` on this machine: what both taicho-cli and the lean taicho-verify register.
// taicho-cli adds --online and --server on top (cli/verify_network_command.cc).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "revocation/evidence.h"

namespace taicho::cli {

struct LocalVerifyArgs {
  std::string file;
  std::string trust;
  bool json = false;
  int max_revisions = 1000;  // more: PDF_TOO_MANY_REVISIONS
};

// Adds the "verify" subcommand with FILE, --trust and --json bound to `args`.
CLI::App* AddLocalVerifyOptions(CLI::App& app, LocalVerifyArgs& args);

// Verifies, prints the report and returns the exit code; `online` (may be null) is asked for
// revocation data the DSS lacks.
int RunLocalVerify(const LocalVerifyArgs& a, const revocation::StatusSource* online);

}  // namespace taicho::cli
