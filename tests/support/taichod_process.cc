#include "tests/support/taichod_process.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "signer/certificate_info.h"
#include "tests/support/pki_fixture.h"

namespace taicho::testing {

TaichodProcess::TaichodProcess() : dir_(MakeTempDir("taichod")) {}

TaichodProcess::~TaichodProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

bool TaichodProcess::Start(const std::string& store_dir, const std::vector<std::string>& extra) {
  const std::string port_file = dir_ + "/port";
  unlink(port_file.c_str());
  log_ = dir_ + "/taichod-" + std::to_string(++starts_) + ".log";
  std::vector<std::string> args = {TAICHOD_PATH,
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--port-file",
                                   port_file,
                                   "--store-dir",
                                   store_dir,
                                   "--trust",
                                   GetSamplePki().dir + "/ca-bundle.pem",
                                   "--shutdown-grace-seconds",
                                   "1"};
  // /metrics only when the test asks (its default port would be shared by every test server);
  // taichod writes its port before it listens for gRPC: known once the port file is.
  const std::string metrics_port_file = dir_ + "/metrics-port";
  unlink(metrics_port_file.c_str());
  metrics_port_ = 0;
  args.insert(args.end(), {"--metrics-port-file", metrics_port_file});
  if (std::find(extra.begin(), extra.end(), "--metrics-listen") == extra.end()) {
    args.insert(args.end(), {"--metrics-listen", ""});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    FILE* log = fopen(log_.c_str(), "w");
    if (log != nullptr) {
      dup2(fileno(log), 1);
      dup2(fileno(log), 2);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string port = ReadFileBytes(port_file);
    if (!port.empty() && port.back() == '\n') {
      port_ = std::stoi(port);
      const std::string metrics_port = ReadFileBytes(metrics_port_file);
      if (!metrics_port.empty()) metrics_port_ = std::stoi(metrics_port);
      return true;
    }
    if (waitpid(pid_, &exit_status_, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int TaichodProcess::Stop(int signal) {
  if (pid_ <= 0) return exit_status_;
  kill(pid_, signal);
  waitpid(pid_, &exit_status_, 0);
  pid_ = -1;
  return exit_status_;
}

std::string TaichodProcess::log() const { return ReadFileBytes(log_); }

::taicho::v1::DocumentData SampleDocumentData() {
  static const std::set<std::string> kBuiltIn = {"agency", "number",     "symbol",  "place",
                                                 "date",   "type",       "summary", "articles",
                                                 "fields", "recipients", "signer",  "verification"};
  nlohmann::json in =
      nlohmann::json::parse(ReadFileBytes(SourceDir() + "/render/samples/quyet-dinh-ubnd.json"));
  nlohmann::json out = nlohmann::json::object();
  for (auto& [key, value] : in.items()) {
    if (kBuiltIn.count(key) != 0) {
      out[key] = value;
    } else if (value.is_string()) {
      out["texts"][key] = value;
    } else {
      out["lists"][key]["values"] = value;
    }
  }
  ::taicho::v1::DocumentData data;
  auto st = google::protobuf::util::JsonStringToMessage(out.dump(), &data);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return data;
}

std::vector<std::string> SampleChainDer(const std::string& name) {
  auto certs = signer::ReadCertificates(GetSamplePki().dir + "/" + name + ".chain.pem");
  EXPECT_TRUE(certs.ok()) << certs.status();
  std::vector<std::string> out;
  if (certs.ok()) {
    for (const auto& der : *certs) out.emplace_back(der.begin(), der.end());
  }
  return out;
}

std::string SignOnToken(const std::string& token, const std::string& to_be_signed) {
  const std::string dir = MakeTempDir("tbs");
  std::ofstream(dir + "/tbs.bin", std::ios::binary) << to_be_signed;
  const CommandResult r =
      Run("pkcs11-tool --module " + Quote(GetSamplePki().module_path) + " --token-label " +
          Quote(token) +
          " --login --pin 123456 --sign --mechanism SHA256-RSA-PKCS --id 01 --input-file " +
          Quote(dir + "/tbs.bin") + " --output-file " + Quote(dir + "/sig.bin"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return ReadFileBytes(dir + "/sig.bin");
}

}  // namespace taicho::testing
