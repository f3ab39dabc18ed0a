// The taicho command line: each subcommand registers itself on the CLI11 app and runs from a
// callback that returns the process exit code (see README.md for the codes).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"

namespace taicho::cli {

// Set by a subcommand's callback; main() returns it.
using Runner = std::function<int()>;

// A subcommand of `app` whose options fill one `Args`, shared with its run: when the command line
// names it, `run` becomes `body(args)`. Returns the subcommand (to declare the options on) and the
// Args they fill.
template <typename Args>
std::pair<CLI::App*, std::shared_ptr<Args>> AddCommand(CLI::App& app, Runner& run,
                                                       const std::string& name,
                                                       const std::string& about,
                                                       int (*body)(const Args&)) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(name, about);
  cmd->callback([args, &run, body] { run = [args, body] { return body(*args); }; });
  return {cmd, args};
}

void AddTokenCommands(CLI::App& app, Runner& run);
void AddSignCommands(CLI::App& app, Runner& run);
// Offline verify (taicho-verify and taicho-cli alike).
void AddVerifyCommand(CLI::App& app, Runner& run);
// The same plus --online and --server (taicho-cli only: it needs libcurl and gRPC).
void AddNetworkVerifyCommand(CLI::App& app, Runner& run);  // cli/verify_network_command.cc

void AddRenderCommand(CLI::App& app, Runner& run);
void AddPrintCopyCommand(CLI::App& app, Runner& run);
void AddPrintStationCommand(CLI::App& app, Runner& run);
void AddRegisterCommand(CLI::App& app, Runner& run);
// `taicho desk --web`: the staff's local pages (cli/desk_command.cc).
void AddDeskCommand(CLI::App& app, Runner& run);
void AddLevelsCommand(CLI::App& app, Runner& run);
void AddExtendCommand(CLI::App& app, Runner& run);  // cli/ltv_options.cc

// Prints "LỖI / ERROR [CODE]: message" to stderr and returns the documented exit code.
int Fail(const absl::Status& status);

// Parses the command line and runs what the chosen subcommand set; 2 for a usage error, 0 after
// --help. (cli/command_line.cc)
int ParseAndRun(CLI::App& app, int argc, char** argv, const Runner& run);

}  // namespace taicho::cli
