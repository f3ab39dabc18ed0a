// The officer's approval page (`taicho-agent --web`, issue 18 §2), end to end: taichod over
// mutual TLS, three drafts made at one desk by the intake client, the agent with officer An's
// SoftHSM2 token reached through OpenSC's pkcs11-spy (which logs every PKCS#11 call the agent
// makes: the count of C_Login is the test's measure of "one login per typed PIN, never retried"),
// then tests/python/agent_page_browser.py drives Debian's chromium on the page. The two drafts
// approved there are checked with pdfsig, qpdf --check and our verifier; the third stays a draft.
// Screenshots go to the build directory (agent-page-screenshots/).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "tests/support/commands.h"
#include "tests/support/desk_calls.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_images.h"
#include "tests/support/signed_pdf_checks.h"
#include "tests/support/taichod_process.h"

namespace taicho {
namespace {

using namespace taicho::testing;

constexpr char kSpyModule[] = "/usr/lib/x86_64-linux-gnu/pkcs11-spy.so";
constexpr char kDesk[] = "Quầy 9";

// The agent's process, started by the shell in the background with its own PID.
class AgentProcess {
 public:
  ~AgentProcess() { Stop(); }
  bool Start(const std::string& command, const std::string& pid_file) {
    if (testing::Run("(" + command + ") & echo $! > " + Quote(pid_file)).exit_code != 0) {
      return false;
    }
    std::ifstream(pid_file) >> pid_;
    return pid_ > 0;
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    pid_ = -1;
  }
  bool alive() const { return pid_ > 0 && kill(pid_, 0) == 0; }

 private:
  pid_t pid_ = -1;
};

TEST(AgentPage, TheOfficerReadsAndApprovesInABrowserWithOneLoginPerTypedPin) {
  GetSamplePki();
  const std::string dir = MakeTempDir("agent-page");
  testing::TaichodProcess taichod;
  ASSERT_TRUE(taichod.Start(dir + "/store", testing::MtlsServerFlags())) << taichod.log();
  const std::string target = taichod.target();
  const std::string pid = std::to_string(getpid());
  std::vector<v1::Document> drafts;
  for (int i = 1; i <= 3; ++i) {
    v1::CreateDocumentRequest create =
        testing::SampleCreateRequest("HS-DUYET-" + std::to_string(i) + "-" + pid, kDesk);
    v1::Document created;
    auto context = CallContext();
    grpc::Status status =
        MtlsStub(target, "client-intake")->CreateDocument(context.get(), create, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
    drafts.push_back(created);
  }
  {
    std::ofstream png(dir + "/chu-ky.png", std::ios::binary);
    png << testing::ReadFileBytes(testing::SampleImages().signature);
  }

  const std::string url_file = dir + "/url";
  const std::string spy_log = dir + "/pkcs11-spy.log";
  const std::string agent_log = dir + "/agent.log";
  const std::string command =
      "export PKCS11SPY=" + Quote(GetSamplePki().module_path) +
      " PKCS11SPY_OUTPUT=" + Quote(spy_log) + "; exec " + Quote(TAICHO_AGENT_PATH) + " --server " +
      target + " --ca " + Quote(Pki("root.pem")) + " --cert " +
      Quote(Pki("client-officer-an.chain.pem")) + " --key " + Quote(Pki("client-officer-an.key")) +
      " --server-name localhost --module " + kSpyModule + " --token " + Quote("Nguyễn Văn An") +
      " --desk " + Quote(kDesk) + " --image " + Quote(dir + "/chu-ky.png") +
      " --web --web-url-file " + Quote(url_file) + " > " + Quote(agent_log) + " 2>&1";
  AgentProcess agent;
  ASSERT_TRUE(agent.Start(command, dir + "/agent.pid"));
  // The URL file is written once the page listens.
  std::string url;
  for (int i = 0; i < 1200 && url.empty() && agent.alive(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    url = testing::ReadFileBytes(url_file);
  }
  ASSERT_FALSE(url.empty()) << testing::ReadFileBytes(agent_log);
  EXPECT_EQ(std::filesystem::status(url_file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  const std::string screenshots = std::string(TAICHO_BUILD_DIR) + "/agent-page-screenshots";
  std::string titles;
  const std::string browser =
      "/usr/bin/python3 " + Quote(testing::SourceDir() + "/tests/python/agent_page_browser.py") +
      " --url " + Quote(url) + " --spy-log " + Quote(spy_log) + " --screenshots " +
      Quote(screenshots) + " --dossier " + Quote(drafts[0].dossier_code()) + " --dossier " +
      Quote(drafts[1].dossier_code()) + " --dossier " + Quote(drafts[2].dossier_code());
  const testing::CommandResult result = testing::Run(browser);
  const std::string log = testing::ReadFileBytes(agent_log);
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- agent:\n" << log;
  std::cout << result.output;
  agent.Stop();

  // Approved on the page: the first two; the third still waits.
  for (int i = 0; i < 2; ++i) {
    const v1::Document doc = testing::FetchDocument(target, drafts[i].name());
    ASSERT_EQ(doc.state(), v1::Document::APPROVED) << doc.name();
    const v1::Revision& last = doc.revisions(doc.revisions_size() - 1);
    const std::string file = dir + "/approved-" + std::to_string(i) + ".pdf";
    std::ofstream(file, std::ios::binary)
        << testing::DownloadBytes(*MtlsStub(target, "client-auditor"), last.name());
    testing::ExpectAllSignaturesValid(file, 1, 1);  // pdfsig, qpdf --check, openssl, ours
  }
  EXPECT_EQ(testing::FetchDocument(target, drafts[2].name()).state(), v1::Document::DRAFT);
  // The agent logged neither PIN nor the page's secret.
  const std::string secret = url.substr(url.find("khoa=") + 5);
  ASSERT_GE(secret.size(), 32u);
  EXPECT_EQ(log.find(secret), std::string::npos);
  EXPECT_EQ(log.find("123456"), std::string::npos);
  EXPECT_EQ(log.find("000000"), std::string::npos);
  EXPECT_EQ(taichod.Stop(SIGTERM), 0) << taichod.log();
}

}  // namespace
}  // namespace taicho
