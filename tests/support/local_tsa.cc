#include "tests/support/local_tsa.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/support/pki_fixture.h"

extern char** environ;

namespace taicho::testing {
namespace {

// Debian's interpreter, not whatever a developer's PATH puts first (pyenv shims…).
std::string Python() {
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

struct Stats {
  int requests = 0, max_in_flight = 0, connections = 0;
};
Stats ReadStats(const std::string& dir) {
  std::istringstream in(ReadFileBytes(dir + "/stats"));
  Stats s;
  double answer_ms = 0;
  in >> s.requests >> s.max_in_flight >> answer_ms >> s.connections;
  return s;
}

}  // namespace

LocalTsa::LocalTsa(const LocalTsaOptions& options) {
  const SamplePki& pki = GetSamplePki();
  dir_ = MakeTempDir("tsa-" + options.mode);
  const std::string port_file = dir_ + "/port";
  std::vector<std::string> args = {Python(),       SourceDir() + "/tests/support/tsa_server.py",
                                   "--workdir",    dir_,
                                   "--port-file",  port_file,
                                   "--signer",     pki.dir + "/tsa.pem",
                                   "--inkey",      pki.dir + "/tsa.key",
                                   "--chain",      pki.dir + "/subca.pem",
                                   "--mode",       options.mode,
                                   "--signer-bin", TAICHO_TSA_SIGNER};
  if (options.cpp_front) {
    args = {TAICHO_TSA_SIGNER,
            "--http-port-file",
            port_file,
            "--workdir",
            dir_,
            pki.dir + "/tsa.pem",
            pki.dir + "/tsa.key",
            pki.dir + "/subca.pem",
            "0x10000000001",
            "sha256,sha384,sha512"};
  }
  if (options.delay_seconds >= 0) {
    args.push_back("--delay");
    args.push_back(std::to_string(options.delay_seconds));
  }
  if (!options.resign_cert.empty()) {
    args.insert(args.end(),
                {"--resign-cert", options.resign_cert, "--resign-key", options.resign_key});
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log_path = dir_ + "/log";
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return;
  }
  // Python starts in about 0.1 s, its tsa_signer workers as fast.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    const std::string text = ReadFileBytes(port_file);
    if (!text.empty()) {
      port_ = std::stoi(text);
      url_ = "http://127.0.0.1:" + std::to_string(port_) + "/tsa";
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {  // died before listening
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

LocalTsa::~LocalTsa() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::string LocalTsa::log() const { return ReadFileBytes(dir_ + "/log"); }
int LocalTsa::requests() const { return ReadStats(dir_).requests; }
int LocalTsa::max_in_flight() const { return ReadStats(dir_).max_in_flight; }
int LocalTsa::connections() const { return ReadStats(dir_).connections; }

void LocalTsa::SetMode(const std::string& mode) const {
  // Renamed into place: the server reads either the old mode or the new one, never half of it.
  { std::ofstream(dir_ + "/mode.tmp", std::ios::trunc) << mode << "\n"; }
  std::rename((dir_ + "/mode.tmp").c_str(), (dir_ + "/mode").c_str());
}

std::string UnusedLoopbackUrl() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 9;  // discard: closed on any test machine, if the kernel cannot give one
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return "http://127.0.0.1:" + std::to_string(port) + "/tsa";
}

}  // namespace taicho::testing
