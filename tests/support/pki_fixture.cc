#include "tests/support/pki_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <string>
#include <system_error>

namespace taicho::testing {
namespace {

// Heap-allocated and never freed: the atexit handler reads it, and a function-local static
// string could already be destroyed by then (atexit handlers and static destructors interleave).
std::string* temp_root = nullptr;

void RemoveTempRoot() {
  if (temp_root == nullptr || std::getenv("TAICHO_KEEP_TMP") != nullptr) return;
  std::error_code ignored;  // best effort: nothing useful to do at exit if it fails
  std::filesystem::remove_all(*temp_root, ignored);
}

const std::string& TempRoot() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = (tmpdir != nullptr && *tmpdir != '\0') ? tmpdir : "/tmp";
    pattern += "/taicho-test-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      perror("taicho test support: mkdtemp");
      abort();
    }
    temp_root = new std::string(pattern);
    atexit(RemoveTempRoot);
    if (std::getenv("TAICHO_KEEP_TMP") != nullptr) {
      std::cerr << "taicho test support: keeping temp files in " << *temp_root << "\n";
    }
  });
  return *temp_root;
}

void RunOrAbort(const std::string& command) {
  CommandResult result = Run(command);
  if (result.exit_code != 0) {
    std::cerr << "taicho test support: `" << command << "` failed with exit code "
              << result.exit_code << ":\n"
              << result.output << std::endl;
    abort();
  }
}

// ctest makes one PKI + token set per run (the test_pki fixture) and names it in
// TAICHO_TEST_PKI_SEED; each test process copies it (milliseconds) instead of generating a dozen
// keys (seconds), and still gets tokens of its own to change or delete.
bool CopySeed(const SamplePki& pki) {
  const char* seed = std::getenv("TAICHO_TEST_PKI_SEED");
  if (seed == nullptr || *seed == '\0') return false;
  const std::string from = seed;
  std::error_code ec;
  if (!std::filesystem::exists(from + "/tokens/softhsm2.conf", ec) ||
      !std::filesystem::exists(from + "/pki/ca-bundle.pem", ec)) {
    std::cerr << "taicho test support: no PKI seed in " << from << ", making one\n";
    return false;
  }
  const auto options = std::filesystem::copy_options::recursive;
  std::filesystem::copy(from + "/pki", pki.dir, options, ec);
  if (!ec) std::filesystem::copy(from + "/tokens", pki.token_dir, options, ec);
  if (ec) {
    std::cerr << "taicho test support: cannot copy the PKI seed: " << ec.message() << "\n";
    abort();
  }
  // The copied configuration must name the copied tokens, not the seed's.
  std::ifstream in(pki.softhsm_conf);
  std::string conf, line;
  while (std::getline(in, line)) {
    if (line.rfind("directories.tokendir", 0) == 0)
      line = "directories.tokendir = " + pki.token_dir + "/tokens";
    conf += line + "\n";
  }
  in.close();
  std::ofstream(pki.softhsm_conf, std::ios::trunc) << conf;
  return true;
}

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  std::string pattern = TempRoot() + "/" + prefix + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    perror("taicho test support: mkdtemp");
    abort();
  }
  return pattern;
}

std::string SourceDir() { return TAICHO_SOURCE_DIR; }

CommandResult Run(const std::string& command) {
  CommandResult result;
  // Braces group the command so the redirection covers all of it (pipelines, lists).
  const std::string full = "{ " + command + "\n} 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) {
    result.output = "popen failed";
    return result;
  }
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  if (status == -1) {
    result.exit_code = -1;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);  // as the shell reports it
  }
  return result;
}

std::string Quote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  quoted += "'";
  return quoted;
}

const SamplePki& GetSamplePki() {
  static std::once_flag once;
  static SamplePki* pki = nullptr;
  std::call_once(once, [] {
    const std::string root = MakeTempDir("pki");
    auto* made = new SamplePki;
    made->dir = root + "/pki";
    made->token_dir = root + "/tokens";
    made->softhsm_conf = made->token_dir + "/softhsm2.conf";
    made->module_path = TAICHO_SOFTHSM_MODULE;
    if (!CopySeed(*made)) {
      const std::string scripts = SourceDir() + "/certs-sample/";
      RunOrAbort(Quote(scripts + "make-pki.sh") + " " + Quote(made->dir));
      RunOrAbort("TAICHO_SOFTHSM_MODULE=" + Quote(made->module_path) + " " +
                 Quote(scripts + "make-tokens.sh") + " " + Quote(made->dir) + " " +
                 Quote(made->token_dir));
    }
    // Before anything in this process loads SoftHSM2, which reads the variable once.
    setenv("SOFTHSM2_CONF", made->softhsm_conf.c_str(), 1);
    pki = made;
  });
  return *pki;
}

std::string Sha256sum(const std::string& path) {
  const CommandResult r = Run("sha256sum " + Quote(path));
  return r.exit_code == 0 && r.output.size() >= 64 ? r.output.substr(0, 64) : "";
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace taicho::testing
