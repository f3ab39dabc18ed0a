// Small helpers every kind of test needs and each test file used to write for itself: the sample
// PKI's token labels and files, the shell, the taicho command line, a file's bytes, whether a path
// exists.
// Header-only, stateless: any thread.
#pragma once

#include <sys/stat.h>

#include <string>

#include "tests/support/pki_fixture.h"

namespace taicho::testing {

// The sample PKI's tokens (support/make-pki-seed.sh): the officer's and the seal's; and the name
// taichod's configuration gives the seal key.
inline constexpr char kOfficerToken[] = "Nguyễn Văn An";
inline constexpr char kSealToken[] = "Con dấu UBND Châu Đức";
inline constexpr char kSealKey[] = "serverKeys/seal";

// A file of the sample PKI (GetSamplePki().dir).
inline std::string Pki(const std::string& file) { return GetSamplePki().dir + "/" + file; }

// Run(command). Not `Run` itself: inside a TEST body that name is gtest's own Test::Run.
inline CommandResult Sh(const std::string& command) { return Run(command); }

// The shell words that run the taicho command with `args` (quoted by the caller).
inline std::string Taicho(const std::string& args) { return Quote(TAICHO_CLI_PATH) + " " + args; }

inline std::string Slurp(const std::string& path) { return ReadFileBytes(path); }

inline bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace taicho::testing
