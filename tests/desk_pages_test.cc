// The desk's local pages (issue 18 §3), end to end: taichod with mutual TLS, documents sealed over
// gRPC on the SoftHSM2 tokens, one print jammed (reported as the print station reports a CUPS job
// the printer aborted) and one sealed behind it; `taicho print-station --web` printing into a
// folder and `taicho desk --web` as the auditor; then tests/python/desk_pages_browser.py drives
// Debian's chromium against both pages. Screenshots go to the build directory
// (desk-pages-screenshots/).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "tests/support/commands.h"
#include "tests/support/desk_calls.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/taichod_process.h"

namespace taicho {
namespace {

namespace v1 = ::taicho::v1;
using namespace taicho::testing;

std::string Connection(const std::string& target, const std::string& client) {
  return " --server " + target + " --ca " + Quote(Pki("root.pem")) + " --cert " +
         Quote(Pki(client + ".chain.pem")) + " --key " + Quote(Pki(client + ".key"));
}

// A program started in the background (its output into `log`), ended with SIGTERM.
struct Background {
  pid_t pid = -1;
  std::string log;
  Background(const std::string& command, const std::string& log_path) : log(log_path) {
    const testing::CommandResult r = testing::Run(command + " > " + Quote(log) + " 2>&1 & echo $!");
    pid = std::atoi(r.output.c_str());
  }
  // The wait status after SIGTERM.
  int Stop() {
    if (pid <= 0) return -1;
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }
  ~Background() { Stop(); }
};

// The opening URL the program wrote, once it is there (the program writes it after it listens).
std::string WaitForUrl(const std::string& file, const Background& program) {
  for (int i = 0; i < 600; ++i) {
    std::ifstream in(file);
    std::string url;
    if (in >> url && !url.empty()) return url;
    if (kill(program.pid, 0) != 0) break;  // it exited
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

int CountHistory(const v1::Document& doc, const std::string& action, const std::string& detail) {
  int n = 0;
  for (const v1::HistoryEvent& e : doc.history()) {
    n += e.action() == action && e.detail().find(detail) != std::string::npos;
  }
  return n;
}

// As testing::SealedOverService, but created without a number and date, so that the seal gives
// them from the register (the sample data carries its own number, which the register skips).
v1::Document SealedWithRegisterNumber(const std::string& target, const std::string& desk,
                                      const std::string& dossier_code) {
  v1::CreateDocumentRequest create = testing::SampleCreateRequest(dossier_code, desk);
  create.mutable_document()->mutable_data()->clear_number();
  create.mutable_document()->mutable_data()->clear_date();
  v1::Document created;
  auto context = CallContext(120);
  grpc::Status status =
      MtlsStub(target, "client-intake")->CreateDocument(context.get(), create, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  testing::SignOverService(target, created.name(), v1::APPROVER, "client-officer-an", "officer-an",
                           "Nguyễn Văn An");
  return testing::SignOverService(target, created.name(), v1::SEAL, "client-seal-clerk", "seal",
                                  "Con dấu UBND Châu Đức")
      .document();
}

TEST(DeskPages, QueueAndStaffPagesInABrowser) {
  GetSamplePki();
  const std::string dir = MakeTempDir("desk-pages");
  testing::TaichodProcess taichod;
  ASSERT_TRUE(taichod.Start(dir + "/store", testing::MtlsServerFlags())) << taichod.log();
  const std::string target = taichod.target();
  const std::string pid = std::to_string(getpid());
  const std::string desk = "Quầy Web";

  // Sealed, then its first print jammed: reported as the station reports an aborted CUPS job.
  const v1::Document jammed = SealedWithRegisterNumber(target, desk, "HS-KET-" + pid);
  {
    const v1::ReportPrintFailureRequest request = JammedPrintReport(jammed, "HP-Quay-Web");
    v1::ReportPrintFailureResponse response;
    auto context = CallContext();
    grpc::Status status = MtlsStub(target, "client-print-station")
                              ->ReportPrintFailure(context.get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  // Sealed after it: waits behind the jammed one's retry.
  const v1::Document waiting = SealedWithRegisterNumber(target, desk, "HS-CHO-" + pid);
  // A draft, for the documents-by-state page.
  {
    v1::Document created;
    auto context = CallContext();
    grpc::Status status =
        MtlsStub(target, "client-intake")
            ->CreateDocument(context.get(), testing::SampleCreateRequest("HS-NHAP-" + pid, desk),
                             &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::filesystem::create_directories(dir + "/station");
  // The station, printing into a folder. The first one's retry of the jam is an hour away, so the
  // browser sees it failed with the other one waiting however long chromium takes to start; once
  // it has, the test restarts the station with no delay (same state file) and both print.
  auto start_station = [&](const std::string& retry_delay, const std::string& url_file) {
    return std::make_unique<Background>(
        Quote(TAICHO_CLI_PATH) + " print-station" + Connection(target, "client-print-station") +
            " --desk " + Quote(desk) + " --state " + Quote(dir + "/station/state.json") +
            " --out-dir " + Quote(dir + "/out") + " --officer " + Quote("Trần Thị Bích") +
            " --trust " + Quote(Pki("ca-bundle.pem")) + " --retry-delay " + retry_delay +
            " --web --web-url-file " + Quote(url_file),
        url_file + ".log");
  };
  std::unique_ptr<Background> station = start_station("3600", dir + "/queue.url");
  Background staff(Quote(TAICHO_CLI_PATH) + " desk" + Connection(target, "client-auditor") +
                       " --desk " + Quote(desk) + " --web --web-url-file " +
                       Quote(dir + "/desk.url"),
                   dir + "/desk.log");
  const std::string queue_url = WaitForUrl(dir + "/queue.url", *station);
  ASSERT_FALSE(queue_url.empty()) << ReadFileBytes(station->log);
  const std::string desk_url = WaitForUrl(dir + "/desk.url", staff);
  ASSERT_FALSE(desk_url.empty()) << ReadFileBytes(staff.log);
  // The URL file is for its owner only: it holds the key to the page.
  EXPECT_EQ(std::filesystem::status(dir + "/queue.url").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  const std::string reason = "Bản in bị rách khi giao cho công dân";
  const std::string screenshots = std::string(TAICHO_BUILD_DIR) + "/desk-pages-screenshots";
  const std::string jam_seen = dir + "/jam-seen";
  const std::string restarted_url = dir + "/restarted-queue.url";
  testing::CommandResult result;
  std::atomic<bool> browser_done{false};
  std::thread browser([&] {
    result = testing::Run(
        "/usr/bin/python3 " + Quote(testing::SourceDir() + "/tests/python/desk_pages_browser.py") +
        " --queue-url " + Quote(queue_url) + " --desk-url " + Quote(desk_url) + " --failed " +
        Quote(jammed.dossier_code()) + " --waiting " + Quote(waiting.dossier_code()) +
        " --reprint-reason " + Quote(reason) + " --screenshots " + Quote(screenshots) +
        " --downloads " + Quote(dir + "/downloads") + " --jam-seen " + Quote(jam_seen) +
        " --restarted-queue-url-file " + Quote(restarted_url) + " 2>&1");
    browser_done = true;
  });
  // Sync point: the browser has seen the jam (or gave up, and says why below).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!std::filesystem::exists(jam_seen) && !browser_done &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string first_station_log, restarted_queue_url;
  if (std::filesystem::exists(jam_seen)) {
    station->Stop();
    first_station_log = ReadFileBytes(station->log);
    station = start_station("0", dir + "/queue-restarted.url");
    restarted_queue_url = WaitForUrl(dir + "/queue-restarted.url", *station);
    EXPECT_FALSE(restarted_queue_url.empty()) << ReadFileBytes(station->log);
    // Whole or not at all for the browser, which waits for the file to appear.
    std::ofstream(restarted_url + ".tmp") << restarted_queue_url << "\n";
    std::filesystem::rename(restarted_url + ".tmp", restarted_url);
  }
  browser.join();
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- station:\n"
                                 << first_station_log << ReadFileBytes(station->log)
                                 << "\n--- desk:\n"
                                 << ReadFileBytes(staff.log);
  std::cout << result.output;

  // What the pages did is what the service recorded: the jam, then a print; the reprint with
  // its reason, then a second print.
  const v1::Document a = testing::FetchDocument(target, jammed.name());
  EXPECT_EQ(a.state(), v1::Document::ISSUED);
  EXPECT_EQ(CountHistory(a, "printed", ""), 1);
  const v1::Document b = testing::FetchDocument(target, waiting.name());
  EXPECT_EQ(CountHistory(b, "reprint_requested", reason), 1);
  EXPECT_EQ(CountHistory(b, "printed", ""), 2);
  // On paper (the folder here): the first print of each and the reprint.
  size_t printed_files = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/out", ec)) {
    printed_files += entry.path().extension() == ".pdf";
  }
  EXPECT_EQ(printed_files, 3u);

  const int staff_status = staff.Stop();
  EXPECT_TRUE(WIFEXITED(staff_status) && WEXITSTATUS(staff_status) == 0)
      << ReadFileBytes(staff.log);
  station->Stop();
  // The secret stays out of the programs' logs beyond the one line that gives it to the user.
  const std::string key = queue_url.substr(queue_url.find("khoa=") + 5);
  EXPECT_EQ(first_station_log.find(key), first_station_log.rfind(key)) << first_station_log;
  if (!restarted_queue_url.empty()) {
    const std::string restarted_key =
        restarted_queue_url.substr(restarted_queue_url.find("khoa=") + 5);
    const std::string restarted_log = ReadFileBytes(station->log);
    EXPECT_EQ(restarted_log.find(restarted_key), restarted_log.rfind(restarted_key))
        << restarted_log;
  }
  EXPECT_EQ(taichod.Stop(SIGTERM), 0) << taichod.log();
}

}  // namespace
}  // namespace taicho
