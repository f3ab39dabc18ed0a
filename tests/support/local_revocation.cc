#include "tests/support/local_revocation.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/support/pki_fixture.h"

extern char** environ;

namespace taicho::testing {
namespace {

pid_t Spawn(std::vector<std::string> args, const std::string& cwd, const std::string& log_path) {
  // posix_spawn has no portable chdir action on bookworm's glibc 2.36: go through sh.
  std::string command = "cd " + Quote(cwd) + " && exec";
  for (const std::string& a : args) command += " " + Quote(a);
  std::vector<std::string> sh = {"/bin/sh", "-c", command};
  std::vector<char*> argv;
  for (std::string& a : sh) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

bool Listening(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

bool WaitListening(pid_t pid, int port) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    if (Listening(port)) return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void Stop(pid_t& pid) {
  if (pid > 0) {
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
  }
}

int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

LocalRevocation::LocalRevocation(const std::string& pki_dir, const std::string& ocsp_path)
    : dir_(MakeTempDir("revocation")), pki_dir_(pki_dir), ocsp_path_(ocsp_path) {
  const int ocsp_port = FreeLoopbackPort();
  if (StartOcsp(ocsp_port)) ocsp_port_ = ocsp_port;
  const int crl_port = FreeLoopbackPort();
  if (StartCrl(crl_port)) crl_port_ = crl_port;
}

bool LocalRevocation::StartOcsp(int port) {
  // The responder reads the `openssl ca` database; -nmin gives its answers a nextUpdate so
  // they can be cached. Requests are logged ("Received request"), which the tests count.
  const std::string log = dir_ + "/ocsp.log";
  const int waiting_before = CountLines(ReadFileBytes(log), "waiting for OCSP client");
  ocsp_pid_ =
      Spawn({"openssl", "ocsp", "-index", pki_dir_ + "/index.txt", "-port", std::to_string(port),
             "-rsigner", pki_dir_ + "/ocsp.pem", "-rkey", pki_dir_ + "/ocsp.key", "-CA",
             pki_dir_ + "/subca.pem", "-nmin", "10", "-ignore_err"},
            pki_dir_, log);
  if (ocsp_pid_ <= 0) return false;
  // OpenSSL's responder serves one connection at a time and a connection that closes without a
  // request wedges it: wait for its own "waiting" line (one more than before: a restarted
  // responder appends to the same log) instead of probing the port.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    if (CountLines(ReadFileBytes(log), "waiting for OCSP client") > waiting_before) return true;
    int status = 0;
    if (waitpid(ocsp_pid_, &status, WNOHANG) == ocsp_pid_) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool LocalRevocation::StartCrl(int port) {
  crl_pid_ =
      Spawn({"python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", std::to_string(port)},
            pki_dir_, dir_ + "/crl.log");
  return crl_pid_ > 0 && WaitListening(crl_pid_, port);
}

LocalRevocation::~LocalRevocation() {
  Stop(ocsp_pid_);
  Stop(crl_pid_);
}

void LocalRevocation::StopOcsp() { Stop(ocsp_pid_); }

void LocalRevocation::StopAll() {
  Stop(ocsp_pid_);
  Stop(crl_pid_);
}

bool LocalRevocation::Restart() {
  StopAll();
  return StartOcsp(ocsp_port_) && StartCrl(crl_port_);
}

std::string LocalRevocation::log() const {
  return ReadFileBytes(dir_ + "/ocsp.log") + ReadFileBytes(dir_ + "/crl.log");
}

std::string LocalRevocation::ocsp_url() const {
  return "http://127.0.0.1:" + std::to_string(ocsp_port_);
}

std::vector<std::pair<std::string, std::string>> LocalRevocation::rewrites() const {
  return {{"http://127.0.0.1:18080/ocsp", ocsp_url() + ocsp_path_},
          {"http://127.0.0.1:18081", "http://127.0.0.1:" + std::to_string(crl_port_)}};
}

int LocalRevocation::ocsp_requests() const {
  return CountLines(ReadFileBytes(dir_ + "/ocsp.log"), "Received request");
}

int LocalRevocation::crl_requests() const {
  return CountLines(ReadFileBytes(dir_ + "/crl.log"), "\"GET /");
}

}  // namespace taicho::testing
