// The taicho command line: each subcommand registers itself on the CLI11 app and runs from a
// callback that returns the process exit code (see README.md for the codes).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "revocation/evidence.h"

namespace taicho::cli {

// Set by a subcommand's callback; main() returns it.
using Runner = std::function<int()>;

void AddTokenCommands(CLI::App& app, Runner& run);
void AddSignCommands(CLI::App& app, Runner& run);

// Where online revocation questions go (verify --online, and signing's checks).
struct OnlineArgs {
  std::string ocsp_url;                   // override of the certificates' AIA
  std::vector<std::string> url_rewrites;  // FROM=TO prefix rewrites
  int timeout_s = 10;
};
// Makes the source `verify --online` asks. taicho-verify, the lean program for offline
// verification, has none (it links no HTTP client) and does not offer --online.
using OnlineSourceFactory =
    std::function<absl::StatusOr<std::unique_ptr<revocation::StatusSource>>(const OnlineArgs&)>;
void AddVerifyCommand(CLI::App& app, Runner& run, OnlineSourceFactory make_online);

void AddRenderCommand(CLI::App& app, Runner& run);
void AddPrintCopyCommand(CLI::App& app, Runner& run);
void AddPrintStationCommand(CLI::App& app, Runner& run);
void AddRegisterCommand(CLI::App& app, Runner& run);
void AddExtendCommand(CLI::App& app, Runner& run);  // cli/ltv_options.cc

// Prints "LỖI / ERROR [CODE]: message" to stderr and returns the documented exit code.
int Fail(const absl::Status& status);

}  // namespace taicho::cli
