// The print station over the wire: taichod as a real process with mutual TLS, the sample client
// certificates for each role, real SoftHSM2 tokens for the officer's approval and the agency's
// seal; WatchReady, MarkPrinted and RequestReprint, then `taicho print-station` printing into a
// folder, killed and restarted (through CUPS: print_cups_test.cc).
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <set>
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

// One taichod with mutual TLS for the whole suite, and a stub per role.
class PrintStation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    GetSamplePki();
    process_ = new testing::TaichodProcess();
    store_ = MakeTempDir("print-station-store");
    ASSERT_TRUE(process_->Start(store_, testing::MtlsServerFlags())) << process_->log();
  }
  static void TearDownTestSuite() {
    process_->Stop(SIGTERM);
    delete process_;
    process_ = nullptr;
  }

  static std::unique_ptr<Stub> As(const std::string& client) {
    return testing::MtlsStub(process_->target(), client);
  }

  // A document created at `desk`, approved by the officer and sealed by the clerk.
  static v1::Document Sealed(const std::string& desk) {
    return SealedOverService(process_->target(), desk, NewDossierCode("HS-IN"));
  }

  // Reads a watch until `count` jobs came or `seconds` passed.
  // `on_read` (optional) runs on each document as it arrives, on the calling thread.
  static std::vector<v1::ReadyDocument> Watch(
      const std::string& desk, int64_t after, size_t count, int seconds,
      const std::function<void(const v1::ReadyDocument&)>& on_read = {}) {
    auto stub = As("client-print-station");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    v1::WatchReadyRequest request;
    request.set_desk(desk);
    request.set_after_sequence(after);
    auto reader = stub->WatchReady(&context, request);
    std::vector<v1::ReadyDocument> out;
    v1::ReadyDocument ready;
    while (out.size() < count && reader->Read(&ready)) {
      out.push_back(ready);
      if (on_read) on_read(ready);
    }
    context.TryCancel();
    reader->Finish();
    return out;
  }

  static grpc::Status MarkPrinted(const v1::Document& doc, const std::string& print_id,
                                  v1::MarkPrintedResponse* out, std::string* code = nullptr,
                                  const std::string& client = "client-print-station") {
    v1::MarkPrintedRequest request;
    request.set_name(doc.name());
    request.set_print_id(print_id);
    request.set_revision(doc.revisions(doc.revisions_size() - 1).name());
    request.set_printer("Quầy-1-HP");
    request.set_copies(2);
    request.set_officer("Trần Thị Bích");
    auto context = CallContext();
    grpc::Status status = As(client)->MarkPrinted(context.get(), request, out);
    if (code) *code = ErrorCodeOf(*context);
    return status;
  }

  static v1::Document Get(const std::string& name) {
    return testing::FetchDocument(process_->target(), name);
  }

  static int CountHistory(const v1::Document& doc, const std::string& action) {
    int n = 0;
    for (const v1::HistoryEvent& e : doc.history()) n += e.action() == action;
    return n;
  }

  static testing::TaichodProcess* process_;
  static std::string store_;
};
testing::TaichodProcess* PrintStation::process_ = nullptr;
std::string PrintStation::store_;

TEST_F(PrintStation, WatchDeliversADocumentWhenItIsSealed) {
  const std::string desk = "Quầy W1";
  // The watch is open before the seal: the job is pushed on the open stream, not found by a
  // later call. The sync point is the stream's first document (one sealed before): once it has
  // arrived, the stream is open and the server is watching.
  const v1::Document earlier = Sealed(desk);
  std::promise<void> open;
  std::future<void> opened = open.get_future();
  std::vector<v1::ReadyDocument> got;
  std::thread watcher([&] {
    got = Watch(desk, 0, 2, 60, [&](const v1::ReadyDocument& ready) {
      if (ready.document().name() == earlier.name()) open.set_value();
    });
  });
  const bool watching = opened.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  EXPECT_TRUE(watching) << "the watch did not deliver the earlier document";
  const v1::Document sealed = Sealed(desk);
  watcher.join();
  ASSERT_TRUE(watching);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].document().name(), earlier.name());
  EXPECT_EQ(got[1].document().name(), sealed.name());
  EXPECT_EQ(got[1].document().state(), v1::Document::SEALED);
  EXPECT_EQ(got[1].revision(), sealed.name() + "/revisions/3");
  EXPECT_TRUE(got[1].reprint_reason().empty());
  EXPECT_GT(got[1].sequence(), got[0].sequence());
  // Another desk's watch does not see it.
  EXPECT_TRUE(Watch("Quầy khác", 0, 1, 2).empty());
}

TEST_F(PrintStation, ResumeFromCursorMissesNothingAndRepeatsNothing) {
  const std::string desk = "Quầy R1";
  const v1::Document a = Sealed(desk);
  std::vector<v1::ReadyDocument> first = Watch(desk, 0, 1, 30);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].document().name(), a.name());
  const int64_t cursor = first[0].sequence();
  // Disconnected: two more are sealed meanwhile.
  const v1::Document b = Sealed(desk);
  const v1::Document c = Sealed(desk);
  std::vector<v1::ReadyDocument> resumed = Watch(desk, cursor, 10, 3);
  ASSERT_EQ(resumed.size(), 2u);
  EXPECT_EQ(resumed[0].document().name(), b.name());
  EXPECT_EQ(resumed[1].document().name(), c.name());
  EXPECT_LT(cursor, resumed[0].sequence());
  EXPECT_LT(resumed[0].sequence(), resumed[1].sequence());
  // From the start, every unconfirmed one; a confirmed one is not sent again.
  v1::MarkPrintedResponse printed;
  ASSERT_TRUE(MarkPrinted(a, "print-a", &printed).ok());
  std::vector<v1::ReadyDocument> all = Watch(desk, 0, 10, 3);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].document().name(), b.name());
  EXPECT_EQ(all[1].document().name(), c.name());
}

TEST_F(PrintStation, MarkPrintedTwiceIsOnePrintAndReprintNeedsAReason) {
  const std::string desk = "Quầy M1";
  const v1::Document doc = Sealed(desk);
  v1::MarkPrintedResponse first, second;
  ASSERT_TRUE(MarkPrinted(doc, "p-1", &first).ok());
  EXPECT_FALSE(first.already_recorded());
  EXPECT_EQ(first.document().state(), v1::Document::ISSUED);
  EXPECT_EQ(first.print().copies(), 2);
  EXPECT_EQ(first.print().revision(), doc.name() + "/revisions/3");
  EXPECT_NE(first.print().actor().find("print-station"), std::string::npos)
      << first.print().actor();
  // The same print again: the same record, nothing new.
  ASSERT_TRUE(MarkPrinted(doc, "p-1", &second).ok());
  EXPECT_TRUE(second.already_recorded());
  EXPECT_EQ(second.print().print_time().seconds(), first.print().print_time().seconds());
  // Another print id without a reprint asked for: refused.
  v1::MarkPrintedResponse third;
  std::string code;
  grpc::Status status = MarkPrinted(doc, "p-2", &third, &code);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(code, "STATE_TRANSITION_INVALID");
  v1::Document now = Get(doc.name());
  EXPECT_EQ(now.state(), v1::Document::ISSUED);
  EXPECT_EQ(CountHistory(now, "printed"), 1);

  // A reprint: the reason is required, recorded, and the desk's watch delivers it.
  auto stub = As("client-print-station");
  v1::RequestReprintRequest reprint;
  reprint.set_name(doc.name());
  v1::ReadyDocument job;
  auto context = CallContext();
  status = stub->RequestReprint(context.get(), reprint, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  reprint.set_reason("Bản in bị rách khi giao cho công dân");
  context = CallContext();
  status = stub->RequestReprint(context.get(), reprint, &job);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(job.reprint_reason(), reprint.reason());
  std::vector<v1::ReadyDocument> got = Watch(desk, 0, 5, 3);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].sequence(), job.sequence());
  v1::MarkPrintedResponse reprinted;
  ASSERT_TRUE(MarkPrinted(doc, "p-2", &reprinted).ok());
  EXPECT_FALSE(reprinted.already_recorded());
  now = Get(doc.name());
  EXPECT_EQ(now.state(), v1::Document::ISSUED);
  EXPECT_EQ(CountHistory(now, "printed"), 2);
  ASSERT_EQ(CountHistory(now, "reprint_requested"), 1);
  for (const v1::HistoryEvent& e : now.history()) {
    if (e.action() == "reprint_requested") {
      EXPECT_EQ(e.detail(), reprint.reason());
    }
  }
  EXPECT_TRUE(Watch(desk, 0, 5, 2).empty());
}

TEST_F(PrintStation, OnlyThePrintStationRoleMayWatchConfirmOrReprint) {
  const v1::Document doc = Sealed("Quầy P1");
  for (const std::string client : {"client-intake", "client-officer-an", "client-seal-clerk",
                                   "client-auditor", "client-operator"}) {
    SCOPED_TRACE(client);
    auto stub = As(client);
    grpc::ClientContext watch_context;
    watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::WatchReadyRequest watch;
    watch.set_desk("Quầy P1");
    auto reader = stub->WatchReady(&watch_context, watch);
    v1::ReadyDocument ready;
    EXPECT_FALSE(reader->Read(&ready));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(ErrorCodeOf(watch_context), "ROLE_NOT_ALLOWED");

    v1::MarkPrintedResponse printed;
    std::string code;
    EXPECT_EQ(MarkPrinted(doc, "x", &printed, &code, client).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(code, "ROLE_NOT_ALLOWED");

    v1::RequestReprintRequest reprint;
    reprint.set_name(doc.name());
    reprint.set_reason("x");
    auto context = CallContext();
    EXPECT_EQ(stub->RequestReprint(context.get(), reprint, &ready).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(Get(doc.name()).state(), v1::Document::SEALED);
}

// --- taicho print-station, end to end ----------------------------------------------------------

std::string StationCommand(const std::string& target, const std::string& desk,
                           const std::string& dir, double idle_s) {
  return Quote(TAICHO_CLI_PATH) + " print-station --server " + target + " --desk " + Quote(desk) +
         " --ca " + Quote(Pki("root.pem")) + " --cert " +
         Quote(Pki("client-print-station.chain.pem")) + " --key " +
         Quote(Pki("client-print-station.key")) + " --state " + Quote(dir + "/state.json") +
         " --out-dir " + Quote(dir + "/out") + " --officer " + Quote("Trần Thị Bích") +
         " --trust " + Quote(Pki("ca-bundle.pem")) + " --idle-exit " + std::to_string(idle_s);
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    out.push_back(e.path().string());
  }
  return out;
}

TEST_F(PrintStation, StationPrintsIntoAFolderAndConfirms) {
  const std::string desk = "Quầy CLI1";
  const std::string dir = MakeTempDir("station");
  const v1::Document a = Sealed(desk), b = Sealed(desk);
  auto r = Sh(StationCommand(process_->target(), desk, dir, 4) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::string> files = FilesIn(dir + "/out");
  ASSERT_EQ(files.size(), 2u) << r.output;
  for (const std::string& f : files) {
    auto text = Sh("pdftotext " + Quote(f) + " -");
    EXPECT_NE(text.output.find("Bản in từ văn bản điện tử"), std::string::npos);
    EXPECT_NE(text.output.find("Người chuyển đổi: Trần Thị Bích"), std::string::npos);
    EXPECT_EQ(Sh("qpdf --check " + Quote(f)).exit_code, 0);
  }
  for (const v1::Document& d : {a, b}) {
    const v1::Document now = Get(d.name());
    EXPECT_EQ(now.state(), v1::Document::ISSUED);
    EXPECT_EQ(CountHistory(now, "printed"), 1);
  }
  // Run again: nothing left, nothing printed twice.
  r = Sh(StationCommand(process_->target(), desk, dir, 2) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(FilesIn(dir + "/out").size(), 2u) << r.output;
}

TEST_F(PrintStation, StationKilledAfterPrintingConfirmsOnRestartWithoutPrintingAgain) {
  const std::string desk = "Quầy CLI2";
  const std::string dir = MakeTempDir("station");
  const v1::Document a = Sealed(desk);
  // Dies right after the rendition reached the folder, before it saved that or confirmed.
  auto r = Sh("TAICHO_PRINT_STATION_FAULT=after-publish " +
              StationCommand(process_->target(), desk, dir, 4) + " 2>&1");
  EXPECT_NE(r.exit_code, 0) << r.output;
  ASSERT_EQ(FilesIn(dir + "/out").size(), 1u) << r.output;
  EXPECT_EQ(Get(a.name()).state(), v1::Document::SEALED);
  // Restarted: confirms the print it finds, prints nothing new.
  r = Sh(StationCommand(process_->target(), desk, dir, 3) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("chỉ xác nhận / printed before the restart"), std::string::npos)
      << r.output;
  EXPECT_EQ(FilesIn(dir + "/out").size(), 1u) << r.output;
  v1::Document now = Get(a.name());
  EXPECT_EQ(now.state(), v1::Document::ISSUED);
  EXPECT_EQ(CountHistory(now, "printed"), 1);

  // Dies after saving "printed", before confirming; and once after confirming but before saving
  // the cursor: neither prints twice.
  const v1::Document b = Sealed(desk);
  r = Sh("TAICHO_PRINT_STATION_FAULT=before-confirm " +
         StationCommand(process_->target(), desk, dir, 4) + " 2>&1");
  EXPECT_NE(r.exit_code, 0) << r.output;
  const v1::Document c = Sealed(desk);
  r = Sh("TAICHO_PRINT_STATION_FAULT=after-confirm " +
         StationCommand(process_->target(), desk, dir, 4) + " 2>&1");
  EXPECT_NE(r.exit_code, 0) << r.output;
  r = Sh(StationCommand(process_->target(), desk, dir, 3) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(FilesIn(dir + "/out").size(), 3u) << r.output;
  for (const v1::Document& d : {b, c}) {
    now = Get(d.name());
    EXPECT_EQ(now.state(), v1::Document::ISSUED);
    EXPECT_EQ(CountHistory(now, "printed"), 1);
  }
}

TEST_F(PrintStation, StationSurvivesTheServerRestarting) {
  const std::string desk = "Quầy CLI3";
  const std::string dir = MakeTempDir("station");
  const v1::Document a = Sealed(desk);
  // A station running without an idle exit, killed -9 by the test once the first file is there.
  const std::string log = dir + "/station.log";
  auto r =
      Sh(StationCommand(process_->target(), desk, dir, 0) + " > " + Quote(log) + " 2>&1 & echo $!");
  const pid_t pid = std::atoi(r.output.c_str());
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 300 && FilesIn(dir + "/out").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(FilesIn(dir + "/out").size(), 1u) << ReadFileBytes(log);
  // The server goes away and comes back on the same store and port range; the station reconnects.
  process_->Stop(SIGTERM);
  ASSERT_TRUE(process_->Start(store_, testing::MtlsServerFlags())) << process_->log();
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  const v1::Document b = Sealed(desk);
  // The server's port changed with the restart: a new station process on the same state.
  r = Sh(StationCommand(process_->target(), desk, dir, 3) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(FilesIn(dir + "/out").size(), 2u) << r.output << ReadFileBytes(log);
  for (const v1::Document& d : {a, b}) {
    const v1::Document now = Get(d.name());
    EXPECT_EQ(now.state(), v1::Document::ISSUED);
    EXPECT_EQ(CountHistory(now, "printed"), 1);
  }
}

TEST_F(PrintStation, AFailedPrintIsTriedAgainAfterTheRetryDelay) {
  const std::string desk = "Quầy CLI4";
  const std::string dir = MakeTempDir("station");
  const v1::Document a = Sealed(desk);
  // Its first print jammed, reported as the station reports an aborted CUPS job.
  const v1::ReportPrintFailureRequest request = JammedPrintReport(a, "Quầy-4-HP");
  v1::ReportPrintFailureResponse response;
  auto context = CallContext();
  grpc::Status status =
      As("client-print-station")->ReportPrintFailure(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The delay is what is tested here, so the test waits it out (2 s, within the idle exit).
  auto r = Sh(StationCommand(process_->target(), desk, dir, 3) + " --retry-delay 2 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("retrying in"), std::string::npos) << r.output;
  EXPECT_EQ(FilesIn(dir + "/out").size(), 1u) << r.output;
  const v1::Document now = Get(a.name());
  EXPECT_EQ(now.state(), v1::Document::ISSUED);
  EXPECT_EQ(CountHistory(now, "printed"), 1);
  // Printed no earlier than the delay after the failure (both times are the server's).
  int64_t failed_ms = -1, printed_ms = -1;
  for (const v1::HistoryEvent& e : now.history()) {
    const int64_t ms = google::protobuf::util::TimeUtil::TimestampToMilliseconds(e.time());
    if (e.action() == "print_failed") failed_ms = ms;
    if (e.action() == "printed") printed_ms = ms;
  }
  ASSERT_GE(failed_ms, 0);
  EXPECT_GE(printed_ms - failed_ms, 2000) << r.output;
}

// Printing through CUPS is tested in print_cups_test.cc.

}  // namespace
}  // namespace taicho
