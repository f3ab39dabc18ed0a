// Printed means the printer finished: `taicho print-station --printer` against a private CUPS
// scheduler (Debian's cupsd, started by the test on a loopback port with its own configuration)
// and real queues whose backends are a few lines of shell — one that prints (writes the job into
// a folder), one that jams, one held back until a file appears, one too slow for the station's
// wait — and stopped/resumed queues. Each test reads the server's record back: the document's
// state, its print history and reasons, the job offered again, no second print.
//
// cupsd and the CUPS client programs are required (scripts/install-deps.sh installs them): a
// missing one fails the test, it is not skipped.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "tests/support/commands.h"
#include "tests/support/desk_calls.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/taichod_process.h"

namespace taicho {
namespace {

using namespace taicho::testing;

namespace v1 = ::taicho::v1;
using Stub = v1::DocumentService::Stub;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::vector<std::string> PdfsIn(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".pdf") out.push_back(e.path().string());
  }
  return out;
}

// The backends. Each is given (job, user, title, copies, options[, file]) and DEVICE_URI
// "SCHEME:DIR"; what it prints goes to DIR/job-N.pdf (renamed into place when whole).
constexpr char kBackendHead[] =
    "#!/bin/sh\n"
    "if [ $# -eq 0 ]; then echo \"file $(basename \"$0\") \\\"Unknown\\\" \\\"test\\\"\"; exit 0; "
    "fi\n"
    "dir=\"${DEVICE_URI#*:}\"\n";
constexpr char kBackendWrite[] =
    "if [ -n \"$6\" ]; then cat \"$6\"; else cat; fi > \"$dir/job-$1.tmp\" && "
    "echo \"$4\" > \"$dir/job-$1.copies\" && mv \"$dir/job-$1.tmp\" \"$dir/job-$1.pdf\"\n";

// A private CUPS scheduler in its own directory (under /tmp, so that the scheduler's
// unprivileged user, which runs the backends when the scheduler runs as root, can enter it).
class PrivateCups {
 public:
  bool Start() {
    char pattern[] = "/tmp/taicho-cups-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return false;
    dir_ = pattern;
    namespace fs = std::filesystem;
    const fs::perms readable = fs::perms::owner_all | fs::perms::group_read |
                               fs::perms::group_exec | fs::perms::others_read |
                               fs::perms::others_exec;
    fs::permissions(dir_, readable);
    port_ = 20000 + (getpid() * 7) % 20000;
    for (const char* sub : {"spool/tmp", "tmp", "state", "cache", "out", "bin/backend"}) {
      fs::create_directories(dir_ + "/" + sub);
    }
    fs::permissions(dir_ + "/out", fs::perms::all);
    // The scheduler starts every backend through its own daemon/cups-exec; the rest of
    // ServerBin is Debian's.
    for (const char* sub : {"daemon", "filter", "notifier", "monitor"}) {
      if (fs::exists(std::string("/usr/lib/cups/") + sub)) {
        fs::create_directory_symlink(std::string("/usr/lib/cups/") + sub, dir_ + "/bin/" + sub);
      }
    }
    // cupsd runs a backend only when root owns it and nobody else may write it; 0755 (not
    // 0700) runs it as the unprivileged user, like a real printer's.
    auto backend = [&](const std::string& name, const std::string& body) {
      const std::string path = dir_ + "/bin/backend/" + name;
      WriteFile(path, kBackendHead + body);
      fs::permissions(path, readable);
    };
    backend("taichofile", kBackendWrite);
    // A paper jam: the printer says so and the backend fails.
    backend("taichojam",
            "echo 'STATE: +media-jam-error' >&2\n"
            "echo 'ERROR: Paper jam in tray 2' >&2\n"
            "exit 1\n");
    // Held until the test lets it go (a file appears), then prints.
    backend("taichogate",
            "while [ ! -e \"$dir/gate\" ]; do sleep 0.1; done\n" + std::string(kBackendWrite));
    // Slower than any wait the tests give it.
    backend("taichoslow", "sleep 120\n" + std::string(kBackendWrite));
    WriteFile(dir_ + "/cupsd.conf",
              "Listen 127.0.0.1:" + std::to_string(port_) +
                  "\nWebInterface No\nLogLevel debug\n<Location />\n Order allow,deny\n Allow "
                  "all\n</Location>\n<Policy default>\n <Limit All>\n  Order deny,allow\n "
                  "</Limit>\n</Policy>\n");
    WriteFile(dir_ + "/cups-files.conf",
              "ServerRoot " + dir_ + "\nRequestRoot " + dir_ + "/spool\nTempDir " + dir_ +
                  "/tmp\nStateDir " + dir_ + "/state\nCacheDir " + dir_ + "/cache\nErrorLog " +
                  dir_ + "/error_log\nAccessLog " + dir_ + "/access_log\nPageLog " + dir_ +
                  "/page_log\nServerBin " + dir_ + "/bin\nDataDir /usr/share/cups\n");
    auto r =
        Sh("/usr/sbin/cupsd -f -c " + Quote(dir_ + "/cupsd.conf") + " -s " +
           Quote(dir_ + "/cups-files.conf") + " > " + Quote(dir_ + "/stdout") + " 2>&1 & echo $!");
    pid_ = std::atoi(r.output.c_str());
    // Polls the scheduler's own answer: there is no other sign that it listens.
    for (int i = 0; i < 100; ++i) {
      if (Sh(Env() + "lpstat -r").output.find("is running") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // A queue whose backend is `scheme`, printing into its own folder; `options` go to lpadmin.
  bool AddQueue(const std::string& name, const std::string& scheme,
                const std::string& options = "") {
    const std::string out = Out(name);
    std::filesystem::create_directories(out);
    std::filesystem::permissions(out, std::filesystem::perms::all);
    return Sh(Env() + "lpadmin -p " + name + " -E -v " + scheme + ":" + out + " " + options)
               .exit_code == 0;
  }

  ~PrivateCups() {
    if (pid_ > 0) {
      // Not our child (started through the shell): wait for it to be gone before cleaning up,
      // it writes its state on the way out.
      kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && kill(pid_, 0) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    std::error_code ec;
    for (int i = 0; i < 20 && !dir_.empty() && std::filesystem::exists(dir_, ec); ++i) {
      std::filesystem::remove_all(dir_, ec);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::string Out(const std::string& queue) const { return dir_ + "/out/" + queue; }
  std::string Env() const { return "CUPS_SERVER=127.0.0.1:" + std::to_string(port_) + " "; }
  std::string log() const { return ReadFileBytes(dir_ + "/error_log"); }
  // The queue's jobs not finished yet (lpstat's lines; empty when none).
  std::string Unfinished(const std::string& queue) const {
    return Sh(Env() + "lpstat -W not-completed -o " + queue).output;
  }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// One taichod with mutual TLS and one scheduler for the whole suite.
class PrintCups : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Required, not optional: CI installs them (scripts/install-deps.sh).
    for (const char* program : {"/usr/sbin/cupsd", "/usr/bin/lpstat", "/usr/sbin/lpadmin",
                                "/usr/sbin/cupsdisable", "/usr/sbin/cupsenable"}) {
      ASSERT_EQ(access(program, X_OK), 0)
          << program << " missing: install cups-daemon and cups-client";
    }
    GetSamplePki();
    process_ = new testing::TaichodProcess();
    store_ = MakeTempDir("print-cups-store");
    ASSERT_TRUE(process_->Start(store_, testing::MtlsServerFlags())) << process_->log();
    cups_ = new PrivateCups();
    ASSERT_TRUE(cups_->Start()) << cups_->log();
    ASSERT_TRUE(cups_->AddQueue("ok", "taichofile"));
    // A failing backend aborts its job (the default policy would stop the queue and keep it).
    ASSERT_TRUE(cups_->AddQueue("jam", "taichojam", "-o printer-error-policy=abort-job"));
    ASSERT_TRUE(cups_->AddQueue("gate", "taichogate"));
    ASSERT_TRUE(cups_->AddQueue("slow", "taichoslow"));
    ASSERT_TRUE(cups_->AddQueue("stopped", "taichofile"));
    ASSERT_TRUE(cups_->AddQueue("resumed", "taichofile"));
    ASSERT_TRUE(cups_->AddQueue("mended", "taichofile"));
    ASSERT_TRUE(cups_->AddQueue("created", "taichofile"));
  }
  static void TearDownTestSuite() {
    delete cups_;
    cups_ = nullptr;
    if (process_ != nullptr) process_->Stop(SIGTERM);
    delete process_;
    process_ = nullptr;
  }

  static std::unique_ptr<Stub> As(const std::string& client) {
    return testing::MtlsStub(process_->target(), client);
  }

  // A document created at `desk`, approved by the officer and sealed by the clerk.
  static v1::Document Sealed(const std::string& desk) {
    return SealedOverService(process_->target(), desk, NewDossierCode("HS-CUPS"));
  }

  static v1::Document Get(const std::string& name) {
    return testing::FetchDocument(process_->target(), name);
  }

  static std::vector<const v1::HistoryEvent*> History(const v1::Document& doc,
                                                      const std::string& action) {
    std::vector<const v1::HistoryEvent*> out;
    for (const v1::HistoryEvent& e : doc.history()) {
      if (e.action() == action) out.push_back(&e);
    }
    return out;
  }

  // The desk's pending jobs now (a watch from the start, read until `seconds` of quiet).
  static std::vector<v1::ReadyDocument> Pending(const std::string& desk, int seconds = 2) {
    auto stub = As("client-print-station");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    v1::WatchReadyRequest request;
    request.set_desk(desk);
    auto reader = stub->WatchReady(&context, request);
    std::vector<v1::ReadyDocument> out;
    v1::ReadyDocument ready;
    while (reader->Read(&ready)) out.push_back(ready);
    reader->Finish();
    return out;
  }

  static v1::ProcedureStatistics Statistics(const std::string& desk) {
    v1::GetDeskStatisticsRequest request;
    request.set_desk(desk);
    v1::DeskStatistics stats;
    auto context = CallContext();
    grpc::Status status = As("client-auditor")->GetDeskStatistics(context.get(), request, &stats);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return stats.total();
  }

  // `taicho print-station` on `queue` until it has been idle for `idle_s`.
  static std::string Station(const std::string& desk, const std::string& dir,
                             const std::string& queue, const std::string& more = "",
                             double idle_s = 3) {
    return cups_->Env() + Quote(TAICHO_CLI_PATH) + " print-station --server " + process_->target() +
           " --desk " + Quote(desk) + " --ca " + Quote(Pki("root.pem")) + " --cert " +
           Quote(Pki("client-print-station.chain.pem")) + " --key " +
           Quote(Pki("client-print-station.key")) + " --state " + Quote(dir + "/state.json") +
           " --printer " + queue + " --officer " + Quote("Trần Thị Bích") + " --trust " +
           Quote(Pki("ca-bundle.pem")) + " --idle-exit " + std::to_string(idle_s) + " " + more +
           " 2>&1";
  }

  static testing::TaichodProcess* process_;
  static PrivateCups* cups_;
  static std::string store_;
};
testing::TaichodProcess* PrintCups::process_ = nullptr;
PrivateCups* PrintCups::cups_ = nullptr;
std::string PrintCups::store_;

TEST_F(PrintCups, ACompletedJobIssuesTheDocument) {
  const std::string desk = "Quầy CUPS OK";
  const std::string dir = MakeTempDir("cups-ok");
  const v1::Document doc = Sealed(desk);
  auto r = Sh(Station(desk, dir, "ok", "--copies 2"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The station confirmed only after the job completed: the file is there, whole.
  const std::vector<std::string> jobs = PdfsIn(cups_->Out("ok"));
  ASSERT_EQ(jobs.size(), 1u) << r.output << cups_->log();
  EXPECT_EQ(Sh("qpdf --check " + Quote(jobs[0])).exit_code, 0);
  auto text = Sh("pdftotext " + Quote(jobs[0]) + " -");
  EXPECT_NE(text.output.find("Bản in từ văn bản điện tử"), std::string::npos) << text.output;
  // The backend is told the copies (argv[4]), as a printer would be.
  EXPECT_EQ(ReadFileBytes(jobs[0].substr(0, jobs[0].size() - 4) + ".copies"), "2\n");
  const v1::Document now = Get(doc.name());
  EXPECT_EQ(now.state(), v1::Document::ISSUED);
  ASSERT_EQ(History(now, "printed").size(), 1u);
  EXPECT_NE(History(now, "printed")[0]->detail().find("2 copies on ok"), std::string::npos);
  EXPECT_TRUE(History(now, "print_failed").empty());
  EXPECT_TRUE(Pending(desk).empty());
  EXPECT_EQ(Statistics(desk).issued(), 1);
}

TEST_F(PrintCups, AJamIsAFailedPrintOfferedAgainNotIssued) {
  const std::string desk = "Quầy CUPS kẹt giấy";
  const std::string dir = MakeTempDir("cups-jam");
  const v1::Document doc = Sealed(desk);
  // The retry is due in an hour: the station stops instead of printing again.
  auto r = Sh(Station(desk, dir, "jam", "--job-wait 60 --retry-delay 3600"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("PRINT_FAILED"), std::string::npos) << r.output;
  EXPECT_TRUE(PdfsIn(cups_->Out("jam")).empty());

  v1::Document now = Get(doc.name());
  EXPECT_EQ(now.state(), v1::Document::SEALED) << r.output;
  EXPECT_TRUE(History(now, "printed").empty());
  ASSERT_EQ(History(now, "print_failed").size(), 1u) << r.output;
  const std::string detail = History(now, "print_failed")[0]->detail();
  EXPECT_NE(detail.find("aborted"), std::string::npos) << detail;
  EXPECT_NE(detail.find("Paper jam in tray 2"), std::string::npos) << detail;
  EXPECT_NE(detail.find("on jam"), std::string::npos) << detail;
  // Not returned, let alone on the spot.
  const v1::ProcedureStatistics stats = Statistics(desk);
  EXPECT_EQ(stats.received(), 1);
  EXPECT_EQ(stats.issued(), 0);
  EXPECT_EQ(stats.issued_on_the_spot(), 0);

  // The desk is offered the print again, with the failure's reason.
  std::vector<v1::ReadyDocument> pending = Pending(desk);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].document().name(), doc.name());
  ASSERT_TRUE(pending[0].has_last_failure());
  EXPECT_EQ(pending[0].last_failure().status(), v1::FAILED);
  EXPECT_NE(pending[0].last_failure().failure_reason().find("Paper jam in tray 2"),
            std::string::npos)
      << pending[0].last_failure().failure_reason();
  EXPECT_EQ(pending[0].last_failure().printer(), "jam");

  // Run again before the retry is due: nothing is printed or reported a second time.
  r = Sh(Station(desk, dir, "jam", "--job-wait 60 --retry-delay 3600"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(History(Get(doc.name()), "print_failed").size(), 1u) << r.output;

  // The printer mended (another queue here), the retry prints once and issues the document.
  r = Sh(Station(desk, dir, "mended", "--retry-delay 0"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  now = Get(doc.name());
  EXPECT_EQ(now.state(), v1::Document::ISSUED) << r.output;
  EXPECT_EQ(History(now, "printed").size(), 1u);
  EXPECT_EQ(History(now, "print_failed").size(), 1u);
  EXPECT_EQ(PdfsIn(cups_->Out("mended")).size(), 1u);
  EXPECT_TRUE(Pending(desk).empty());
}

TEST_F(PrintCups, AStoppedQueuePastTheWaitIsCancelledAndReported) {
  const std::string desk = "Quầy CUPS dừng";
  const std::string dir = MakeTempDir("cups-stopped");
  const v1::Document doc = Sealed(desk);
  ASSERT_EQ(Sh(cups_->Env() + "cupsdisable -r 'Hết mực / out of toner' stopped").exit_code, 0);
  auto r = Sh(Station(desk, dir, "stopped", "--job-wait 2 --retry-delay 3600"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  v1::Document now = Get(doc.name());
  EXPECT_EQ(now.state(), v1::Document::SEALED);
  ASSERT_EQ(History(now, "print_failed").size(), 1u) << r.output;
  const std::string detail = History(now, "print_failed")[0]->detail();
  EXPECT_NE(detail.find("stopped"), std::string::npos) << detail;
  EXPECT_NE(detail.find("paused"), std::string::npos) << detail;
  EXPECT_NE(detail.find("cancelled"), std::string::npos) << detail;
  // The job given up on was cancelled: resuming the queue prints nothing behind our back.
  EXPECT_EQ(cups_->Unfinished("stopped"), "");
  ASSERT_EQ(Sh(cups_->Env() + "cupsenable stopped").exit_code, 0);
  // The retry prints exactly once.
  r = Sh(Station(desk, dir, "stopped", "--retry-delay 0 --job-wait 60"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  now = Get(doc.name());
  EXPECT_EQ(now.state(), v1::Document::ISSUED) << r.output;
  EXPECT_EQ(History(now, "printed").size(), 1u);
  EXPECT_EQ(PdfsIn(cups_->Out("stopped")).size(), 1u);
}

TEST_F(PrintCups, AStoppedQueueResumedWithinTheWaitPrintsOnce) {
  const std::string desk = "Quầy CUPS tiếp tục";
  const std::string dir = MakeTempDir("cups-resumed");
  const v1::Document doc = Sealed(desk);
  ASSERT_EQ(Sh(cups_->Env() + "cupsdisable resumed").exit_code, 0);
  testing::CommandResult station;
  std::thread run([&] { station = Sh(Station(desk, dir, "resumed", "--job-wait 120")); });
  // The job is in the stopped queue (the scheduler's own list says so), then the queue resumes.
  bool queued = false;
  for (int i = 0; i < 600 && !queued; ++i) {
    queued = !cups_->Unfinished("resumed").empty();
    if (!queued) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(queued);
  ASSERT_EQ(Sh(cups_->Env() + "cupsenable resumed").exit_code, 0);
  run.join();
  ASSERT_EQ(station.exit_code, 0) << station.output;
  const v1::Document now = Get(doc.name());
  EXPECT_EQ(now.state(), v1::Document::ISSUED) << station.output;
  EXPECT_EQ(History(now, "printed").size(), 1u);
  EXPECT_TRUE(History(now, "print_failed").empty());
  EXPECT_EQ(PdfsIn(cups_->Out("resumed")).size(), 1u);
}

TEST_F(PrintCups, ASlowJobPastTheWaitIsCancelledAndReported) {
  const std::string desk = "Quầy CUPS chậm";
  const std::string dir = MakeTempDir("cups-slow");
  const v1::Document doc = Sealed(desk);
  auto r = Sh(Station(desk, dir, "slow", "--job-wait 2 --retry-delay 3600"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const v1::Document now = Get(doc.name());
  EXPECT_EQ(now.state(), v1::Document::SEALED);
  ASSERT_EQ(History(now, "print_failed").size(), 1u) << r.output;
  const std::string detail = History(now, "print_failed")[0]->detail();
  EXPECT_NE(detail.find("timeout"), std::string::npos) << detail;
  EXPECT_NE(detail.find("processing"), std::string::npos) << detail;
  // Cancelled: the backend was stopped, nothing comes out later.
  EXPECT_EQ(cups_->Unfinished("slow"), "");
  EXPECT_TRUE(PdfsIn(cups_->Out("slow")).empty());
  std::vector<v1::ReadyDocument> pending = Pending(desk);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_NE(pending[0].last_failure().failure_reason().find("timeout"), std::string::npos);
}

TEST_F(PrintCups, ARestartFollowsTheSubmittedJobInsteadOfPrintingAgain) {
  const std::string desk = "Quầy CUPS khởi động lại";
  const std::string dir = MakeTempDir("cups-restart");
  const v1::Document doc = Sealed(desk);
  // Killed right after the job reached the scheduler, before it printed.
  auto r = Sh("TAICHO_PRINT_STATION_FAULT=after-submit " + Station(desk, dir, "gate"));
  ASSERT_EQ(r.exit_code, 86) << r.output;
  EXPECT_NE(ReadFileBytes(dir + "/state.json").find("\"cups_job\""), std::string::npos);
  EXPECT_EQ(Get(doc.name()).state(), v1::Document::SEALED);
  // The printer goes on; the restarted station finds its job and confirms it.
  WriteFile(cups_->Out("gate") + "/gate", "");
  r = Sh(Station(desk, dir, "gate", "--job-wait 60"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("following CUPS job"), std::string::npos) << r.output;
  const v1::Document now = Get(doc.name());
  EXPECT_EQ(now.state(), v1::Document::ISSUED);
  EXPECT_EQ(History(now, "printed").size(), 1u);
  EXPECT_EQ(PdfsIn(cups_->Out("gate")).size(), 1u);
}

TEST_F(PrintCups, ARestartBeforeTheDocumentWasSentPrintsOnce) {
  const std::string desk = "Quầy CUPS chưa gửi";
  const std::string dir = MakeTempDir("cups-created");
  const v1::Document doc = Sealed(desk);
  // Killed after the job was created, before its document was sent: nothing can print.
  auto r = Sh("TAICHO_PRINT_STATION_FAULT=after-create-job " + Station(desk, dir, "created"));
  ASSERT_EQ(r.exit_code, 86) << r.output;
  EXPECT_EQ(Get(doc.name()).state(), v1::Document::SEALED);
  r = Sh(Station(desk, dir, "created", "--job-wait 60"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const v1::Document now = Get(doc.name());
  EXPECT_EQ(now.state(), v1::Document::ISSUED) << r.output;
  EXPECT_EQ(History(now, "printed").size(), 1u);
  EXPECT_TRUE(History(now, "print_failed").empty());
  EXPECT_EQ(PdfsIn(cups_->Out("created")).size(), 1u) << r.output;
  EXPECT_EQ(cups_->Unfinished("created"), "");
}

}  // namespace
}  // namespace taicho
