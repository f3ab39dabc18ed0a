// Test support: a sample PKI and SoftHSM2 tokens made fresh for each test process.
#pragma once

#include <string>

namespace taicho::testing {

// Made once per process (thread-safe) under a new temp dir by certs-sample/make-pki.sh and
// certs-sample/make-tokens.sh; sets SOFTHSM2_CONF in the environment to the tokens' own config.
// Aborts the test process when the scripts fail.
struct SamplePki {
  std::string dir;           // the PKI files (see certs-sample/README.md)
  std::string token_dir;     // SoftHSM2 token store + softhsm2.conf
  std::string softhsm_conf;  // path of the softhsm2.conf written for these tokens
  std::string module_path;   // libsofthsm2.so
};
const SamplePki& GetSamplePki();

// A fresh empty directory under the process's temp root, removed at exit.
std::string MakeTempDir(const std::string& prefix);

// The source tree (for scripts and sample files).
std::string SourceDir();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs `command` through /bin/sh, capturing output.
CommandResult Run(const std::string& command);

// The whole content of a file ("" when it cannot be read).
std::string ReadFileBytes(const std::string& path);

// The file's SHA-256 in lowercase hex, as coreutils' sha256sum gives it ("" when it fails).
std::string Sha256sum(const std::string& path);

// Shell-quotes one argument.
std::string Quote(const std::string& arg);

}  // namespace taicho::testing
