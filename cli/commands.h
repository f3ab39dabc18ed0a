// The taicho command line: each subcommand registers itself on the CLI11 app and runs from a
// callback that returns the process exit code (see README.md for the codes).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "absl/status/status.h"

namespace taicho::cli {

// Set by a subcommand's callback; main() returns it.
using Runner = std::function<int()>;

void AddTokenCommands(CLI::App& app, Runner& run);
void AddSignCommands(CLI::App& app, Runner& run);
void AddVerifyCommand(CLI::App& app, Runner& run);
void AddRenderCommand(CLI::App& app, Runner& run);
void AddPrintCopyCommand(CLI::App& app, Runner& run);
void AddPrintStationCommand(CLI::App& app, Runner& run);
void AddRegisterCommand(CLI::App& app, Runner& run);
void AddExtendCommand(CLI::App& app, Runner& run);  // cli/ltv_options.cc

// Prints "LỖI / ERROR [CODE]: message" to stderr and returns the documented exit code.
int Fail(const absl::Status& status);

}  // namespace taicho::cli
