// taicho print-station: the desk's printing PC. Watches the desk's print queue on taichod
// (WatchReady), fetches each ready document, verifies it, prints its print rendition (the
// conversion mark of the Law on Electronic Transactions 2023, Art. 12) on a CUPS queue or into
// a folder, and confirms (MarkPrinted) only what the printer finished.
//
// Printed means the printer finished: a CUPS job is followed (printer/cups_queue.h) until it
// completes, is aborted or cancelled, or the wait (--job-wait) runs out; only a completed job is
// confirmed. Any other end is a failed print, reported with the printer's reason
// (ReportPrintFailure): the document is not issued and the server offers the print again as a
// new job, which the station takes up after --retry-delay. A job given up on is cancelled first,
// so that its paper cannot come out later unrecorded.
//
// No document missed or printed twice, across restarts and lost connections:
//  - the cursor advances only after a job is confirmed (or abandoned), so every unconfirmed job
//    comes again after a reconnect or restart — the server resends pending jobs above a cursor;
//  - the print id is chosen and saved before printing, with the stage ("printing" → "printed");
//    a job that comes again with a saved stage is confirmed with the same id (the server's
//    MarkPrinted is idempotent on it) instead of being printed again;
//  - folder output is written through a temporary file and renamed, so after a crash in the
//    "printing" stage the file's presence says whether it was written.
//  - a CUPS job's id is saved before its document is sent: after a restart in the "printing"
//    stage the station follows that job (confirming it, or reporting and cancelling it) instead
//    of submitting again; without a saved id no document reached the scheduler, so it prints.
// A job the scheduler no longer knows cannot be told apart from one that reached the paper: the
// station then prints nothing and says so (the officer checks the tray and asks for a reprint if
// needed) — a second legal copy is worse than a visible missing one.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/print_station_state.h"
#include "cli/print_station_web.h"
#include "cli/service_connection.h"
#include "deskweb/desk_queue.h"
#include "errors/error.h"
#include "pades/pdf_verifier.h"
#include "print/print_rendition.h"
#include "printer/cups_queue.h"
#include "signer/certificate_cache.h"
#include "taicho/v1/document_service.grpc.pb.h"

namespace taicho::cli {
namespace {

namespace v1 = ::taicho::v1;

struct StationArgs {
  ConnectionOptions connection;
  std::string desk;
  std::string state_path;
  std::string out_dir;
  std::string printer;
  int copies = 1;
  std::string officer;
  std::string trust;
  print::ConversionMark mark;  // wording and system name; the rest per document
  std::string url_prefix;
  std::string font_dir = print::PrintOptions().font_dir;
  double idle_exit_s = 0;
  double job_wait_s = 300;    // how long a CUPS job may take before it is a failed print
  double retry_delay_s = 60;  // how long after a failed print it is tried again
  bool web = false;           // serve the queue page (cli/print_station_web.h)
  std::string web_listen = "127.0.0.1:0";
  std::string web_url_file;
};

// How often a CUPS job's state is read while waiting for it.
constexpr std::chrono::milliseconds kJobPoll{250};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Sha256Hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += absl::StrFormat("%02x", md[i]);
  return hex;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string JobKey(int64_t sequence) { return absl::StrCat("job:", sequence); }
std::string PrintKey(const std::string& print_id) { return absl::StrCat("print:", print_id); }

std::string RandomHex(size_t bytes) {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  std::string raw(bytes, '\0');
  urandom.read(raw.data(), static_cast<std::streamsize>(bytes));
  std::string hex;
  for (char c : raw) hex += absl::StrFormat("%02x", static_cast<unsigned char>(c));
  return hex;
}

absl::Status FromGrpc(const grpc::Status& status, const char* what) {
  // The server's message already starts with its stable code.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

bool Transient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded ||
         status.code() == absl::StatusCode::kCancelled ||
         status.code() == absl::StatusCode::kAborted;
}

// Copies `from` into `to` through a temporary file renamed into place, made durable.
absl::Status PublishFile(const std::string& from, const std::string& to) {
  const std::string tmp = to + ".tmp";
  std::error_code ec;
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return Error(ErrorCode::kIo, absl::StrCat("copy ", tmp, ": ", ec.message()));
  if (FILE* f = std::fopen(tmp.c_str(), "rb+")) {
    fsync(fileno(f));
    std::fclose(f);
  }
  std::filesystem::rename(tmp, to, ec);
  if (ec) return Error(ErrorCode::kIo, absl::StrCat("rename ", to, ": ", ec.message()));
  return absl::OkStatus();
}

// Fault injection for tests: dies at the named point (TAICHO_PRINT_STATION_FAULT) as a kill -9
// would there. Points: after-publish, after-create-job, after-submit, before-confirm,
// after-confirm.
void FaultPoint(const char* point) {
  static const char* const fault = std::getenv("TAICHO_PRINT_STATION_FAULT");
  if (fault != nullptr && std::strcmp(fault, point) == 0) _exit(86);
}

class PrintStation {
 public:
  explicit PrintStation(const StationArgs& args) : a_(args) {}

  int Run() {
    if (a_.officer.empty() || a_.state_path.empty() || a_.connection.server.empty() ||
        a_.out_dir.empty() == a_.printer.empty()) {
      return Fail(Error(ErrorCode::kUsage,
                        "cần --server, --officer, --state và đúng một trong --out-dir / --printer "
                        "/ --server, --officer, --state and exactly one of --out-dir, --printer "
                        "are required"));
    }
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(a_.connection);
    if (!channel.ok()) return Fail(channel.status());
    absl::StatusOr<StationState> state = LoadStationState(a_.state_path);
    if (!state.ok()) return Fail(state.status());
    state_ = *std::move(state);
    std::error_code ec;
    work_dir_ =
        (std::filesystem::path(a_.state_path).parent_path() / "print-station-work").string();
    std::filesystem::create_directories(work_dir_, ec);
    if (!a_.out_dir.empty()) std::filesystem::create_directories(a_.out_dir, ec);
    if (ec) return Fail(Error(ErrorCode::kIo, "mkdir: " + ec.message()));
    stub_ = v1::DocumentService::NewStub(*channel);
    if (a_.web) {
      QueuePagesOptions options;
      options.site.listen = a_.web_listen;
      options.site.url_file = a_.web_url_file;
      options.site.log_name = "print station page";
      options.desk = a_.desk;
      options.printer = a_.printer.empty() ? "folder:" + a_.out_dir : a_.printer;
      absl::StatusOr<std::unique_ptr<localweb::LocalSite>> site =
          OpenQueuePages(options, *stub_, queue_view_);
      if (!site.ok()) return Fail(site.status());
      site_ = *std::move(site);
    }
    std::printf(
        "Trạm in quầy \"%s\" bắt đầu từ vị trí %lld / print station for desk \"%s\" "
        "starting after %lld\n",
        a_.desk.c_str(), static_cast<long long>(state_.cursor), a_.desk.c_str(),
        static_cast<long long>(state_.cursor));
    int backoff_s = 1;
    for (;;) {
      bool got_any = false;
      absl::Status st = WatchOnce(&got_any);
      if (deferred_) {
        std::printf(
            "Lệnh in lỗi sẽ được thử lại sau / a failed print is due again later; stopping\n");
        return 0;
      }
      if (st.code() == absl::StatusCode::kDeadlineExceeded && a_.idle_exit_s > 0 && !got_any) {
        std::printf("Không còn văn bản chờ in / nothing more to print\n");
        return 0;
      }
      if (!st.ok() && !Transient(st)) return Fail(st);
      if (got_any) backoff_s = 1;
      if (!st.ok() && st.code() != absl::StatusCode::kDeadlineExceeded) {
        std::printf("Mất kết nối, thử lại sau %d giây / connection lost, retrying in %d s: %s\n",
                    backoff_s, backoff_s, std::string(st.message()).c_str());
        std::this_thread::sleep_for(std::chrono::seconds(backoff_s));
        backoff_s = std::min(backoff_s * 2, 10);
      }
    }
  }

 private:
  std::unique_ptr<grpc::ClientContext> Context(int seconds) const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return context;
  }

  // One WatchReady stream, until it ends. A job's permanent failure is reported and skipped; a
  // transient one ends the stream (the job comes again after the reconnect).
  absl::Status WatchOnce(bool* got_any) {
    grpc::ClientContext context;
    if (a_.idle_exit_s > 0) {
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::milliseconds(static_cast<int64_t>(a_.idle_exit_s * 1000)));
    }
    v1::WatchReadyRequest request;
    request.set_desk(a_.desk);
    request.set_after_sequence(state_.cursor);
    auto reader = stub_->WatchReady(&context, request);
    v1::ReadyDocument ready;
    while (reader->Read(&ready)) {
      *got_any = true;
      absl::Status st = Handle(ready);
      if (!st.ok() && !Transient(st)) {
        // Not printed (a signature that does not verify, a refused confirmation…): the page
        // shows why.
        ShowJob(ready, deskweb::JobStage::kFailed, std::string(st.message()));
      }
      if (deferred_) {
        context.TryCancel();
        reader->Finish();
        return absl::OkStatus();
      }
      if (!st.ok() && Transient(st)) {
        context.TryCancel();
        reader->Finish();
        return st;
      }
      if (!st.ok()) {
        Fail(st);  // reported; the job is skipped (Handle moved the cursor past it)
      }
      if (a_.idle_exit_s > 0) {
        // Restart the idle clock: reconnect with a fresh deadline after this job.
        context.TryCancel();
        reader->Finish();
        return absl::OkStatus();
      }
    }
    return FromGrpc(reader->Finish(), "WatchReady");
  }

  absl::Status Save() { return SaveStationState(a_.state_path, state_); }

  // The page's row for a job (cli/print_station_web.h), one per queue sequence.
  deskweb::QueueJob JobRow(const v1::ReadyDocument& ready, deskweb::JobStage stage) const {
    deskweb::QueueJob row;
    row.key = JobKey(ready.sequence());
    row.document = ready.document().name();
    row.dossier_code = ready.document().dossier_code();
    row.title = ready.document().title();
    row.stage = stage;
    row.reprint_reason = ready.reprint_reason();
    row.time_ms = NowMs();
    return row;
  }
  void ShowJob(const v1::ReadyDocument& ready, deskweb::JobStage stage,
               const std::string& reason = "") {
    deskweb::QueueJob row = JobRow(ready, stage);
    row.reason = reason;
    queue_view_.Put(row);
  }
  // A print the printer did not finish, one row per print id (the station's own report, and the
  // same failure read back from the job that offers it again, are one row).
  void ShowFailure(const v1::ReadyDocument& ready, const std::string& print_id,
                   const std::string& reason, int64_t time_ms) {
    deskweb::QueueJob row = JobRow(ready, deskweb::JobStage::kFailed);
    row.key = PrintKey(print_id);
    row.reason = reason;
    row.time_ms = time_ms;
    queue_view_.Put(row);
  }

  // Moves the cursor past a job that is done with (confirmed or abandoned).
  absl::Status Done(const std::string& name, int64_t sequence) {
    state_.in_flight.erase(name);
    state_.cursor = std::max(state_.cursor, sequence);
    return Save();
  }

  absl::Status Handle(const v1::ReadyDocument& ready) {
    const std::string& name = ready.document().name();
    std::printf("Văn bản sẵn sàng in / ready: %s (%s, hồ sơ / dossier %s)%s\n", name.c_str(),
                ready.revision().c_str(), ready.document().dossier_code().c_str(),
                ready.reprint_reason().empty()
                    ? ""
                    : absl::StrCat(" — in lại / reprint: ", ready.reprint_reason()).c_str());
    ShowJob(ready, deskweb::JobStage::kPrinting);
    if (ready.has_last_failure()) {
      std::printf("  Lần in trước lỗi / the last print failed: %s\n",
                  ready.last_failure().failure_reason().c_str());
      ShowFailure(ready, ready.last_failure().print_id(), ready.last_failure().failure_reason(),
                  google::protobuf::util::TimeUtil::TimestampToMilliseconds(
                      ready.last_failure().print_time()));
      if (!WaitBeforeRetry(ready)) return absl::OkStatus();  // deferred
      ShowJob(ready, deskweb::JobStage::kPrinting);
    }
    auto it = state_.in_flight.find(name);
    if (it != state_.in_flight.end() && it->second.revision == ready.revision() &&
        it->second.sequence == ready.sequence()) {
      InFlightPrint& f = it->second;
      if (f.stage == InFlightPrint::Stage::kPrinting && !a_.out_dir.empty()) {
        struct stat st {};
        if (::stat(f.output.c_str(), &st) == 0) f.stage = InFlightPrint::Stage::kPrinted;
      }
      if (f.stage == InFlightPrint::Stage::kPrinted) {
        std::printf(
            "  Đã in trước khi dừng, chỉ xác nhận / printed before the restart, "
            "confirming only (%s)\n",
            f.print_id.c_str());
        return Confirm(ready);
      }
      if (!a_.printer.empty() && f.cups_job != 0) {
        // A job was created for this print before the restart: follow it, never submit again.
        absl::StatusOr<printer::CupsQueue*> queue = Queue();
        if (!queue.ok()) return queue.status();
        absl::StatusOr<printer::JobStatus> job = (*queue)->Status(f.cups_job);
        if (!job.ok() && HasCode(job.status(), ErrorCode::kPrintFailed)) {
          std::printf(
              "  CẢNH BÁO / WARNING: lệnh in %s (CUPS %d) bị ngắt giữa chừng và máy in không còn "
              "biết nó; không in lại để tránh in hai lần. Kiểm tra máy in và yêu cầu in lại nếu "
              "cần / the print was interrupted and the scheduler no longer knows its job; not "
              "printing again to avoid a double print. Check the printer and ask for a reprint "
              "if needed\n",
              f.print_id.c_str(), f.cups_job);
          ShowJob(ready, deskweb::JobStage::kFailed,
                  "lệnh in bị ngắt, không in lại; kiểm tra máy in / interrupted, not printed "
                  "again: check the printer");
          state_.cursor = std::max(state_.cursor, ready.sequence());
          return Save();
        }
        if (!job.ok()) return job.status();
        if (!job->incoming) {
          std::printf(
              "  Theo dõi lệnh in CUPS %d từ trước / following CUPS job %d from before the "
              "restart (%s)\n",
              f.cups_job, f.cups_job, printer::JobStateName(job->state));
          return FollowJob(ready, f);
        }
        // Its document never fully reached the scheduler: nothing of it can print. Cancel it
        // and print now with the same print id.
        if (absl::StatusOr<printer::JobStatus> c = (*queue)->Cancel(f.cups_job); !c.ok()) {
          return c.status();
        }
        f.cups_job = 0;
      }
      // No document reached the printer or the folder: print it now with the same print id.
    } else {
      InFlightPrint f;
      f.print_id = RandomHex(16);
      f.revision = ready.revision();
      f.sequence = ready.sequence();
      it = state_.in_flight.insert_or_assign(name, f).first;
    }
    return PrintAndConfirm(ready, it->second);
  }

  // A print that failed is tried again --retry-delay after the failure (a jammed printer needs a
  // person first). Returns false when the station should stop instead (with --idle-exit, a retry
  // due after the idle time): the cursor stays before the job, so the next run takes it up.
  bool WaitBeforeRetry(const v1::ReadyDocument& ready) {
    const v1::PrintRecord& failure = ready.last_failure();
    const auto failed_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(
        google::protobuf::util::TimeUtil::TimestampToMilliseconds(failure.print_time())));
    const auto due =
        failed_at + std::chrono::milliseconds(static_cast<int64_t>(a_.retry_delay_s * 1000));
    const auto now = std::chrono::system_clock::now();
    if (due <= now) return true;
    const double wait_s = std::chrono::duration<double>(due - now).count();
    if (a_.idle_exit_s > 0 && wait_s > a_.idle_exit_s) {
      deferred_ = true;
      return false;
    }
    std::printf("  Thử lại sau %.0f giây / retrying in %.0f s\n", wait_s, wait_s);
    deskweb::QueueJob row = JobRow(ready, deskweb::JobStage::kRetryDue);
    row.retry_at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(due.time_since_epoch()).count();
    queue_view_.Put(row);
    std::this_thread::sleep_until(due);
    return true;
  }

  absl::StatusOr<printer::CupsQueue*> Queue() {
    if (queue_ == nullptr) {
      absl::StatusOr<std::unique_ptr<printer::CupsQueue>> opened =
          printer::CupsQueue::Open(a_.printer);
      if (!opened.ok()) return opened.status();
      queue_ = *std::move(opened);
    }
    return queue_.get();
  }

  absl::StatusOr<std::string> Download(const v1::ReadyDocument& ready) {
    auto context = Context(120);
    v1::DownloadRevisionRequest request;
    request.set_name(ready.revision());
    auto reader = stub_->DownloadRevision(context.get(), request);
    std::string bytes;
    v1::DownloadRevisionChunk chunk;
    std::string sha256;
    while (reader->Read(&chunk)) {
      if (chunk.has_revision()) sha256 = chunk.revision().sha256();
      if (chunk.offset() != static_cast<int64_t>(bytes.size())) {
        return Error(ErrorCode::kIo, "DownloadRevision: chunk out of order");
      }
      bytes += chunk.data();
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) return FromGrpc(status, "DownloadRevision");
    if (sha256.empty() || Sha256Hex(bytes) != sha256) {
      return Error(ErrorCode::kIo,
                   "tệp tải về không khớp SHA-256 / download does not match its "
                   "SHA-256");
    }
    const std::string path = work_dir_ + "/" + RandomHex(8) + ".pdf";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    return path;
  }

  // Verified before printing: with the local verifier and --trust, else by the service.
  absl::Status Verify(const std::string& path, const std::string& revision) {
    if (!a_.trust.empty()) {
      pades::VerifyOptions options;
      options.trust_anchors_pem = Slurp(a_.trust);
      options.certificates = &verified_certificates_;
      absl::StatusOr<pades::VerificationReport> report = pades::VerifyPdf(path, options);
      if (!report.ok()) return report.status();
      if (!report->all_passed()) {
        return Error(ErrorCode::kSignatureValueInvalid,
                     "chữ ký không hợp lệ, không in / signatures do not verify, not printing:\n" +
                         report->ToText());
      }
      return absl::OkStatus();
    }
    auto context = Context(60);
    v1::VerifyDocumentRequest request;
    request.set_name(revision);
    v1::VerificationReport report;
    grpc::Status status = stub_->VerifyDocument(context.get(), request, &report);
    if (!status.ok()) return FromGrpc(status, "VerifyDocument");
    if (!report.all_passed()) {
      return Error(ErrorCode::kSignatureValueInvalid,
                   "chữ ký không hợp lệ, không in / signatures do not verify, not printing:\n" +
                       report.text());
    }
    return absl::OkStatus();
  }

  absl::Status PrintAndConfirm(const v1::ReadyDocument& ready, InFlightPrint& f) {
    const std::string name = ready.document().name();
    absl::StatusOr<std::string> signed_pdf = Download(ready);
    if (!signed_pdf.ok()) return signed_pdf.status();
    if (absl::Status st = Verify(*signed_pdf, ready.revision()); !st.ok()) {
      std::remove(signed_pdf->c_str());
      if (Transient(st)) return st;
      // Never printed; skipped until someone looks (the job stays pending on the server).
      if (absl::Status saved = Done(name, ready.sequence()); !saved.ok()) return saved;
      return st;
    }
    // The reference and QR come from the document's own verification data, as on the draft.
    auto context = Context(60);
    v1::GetDocumentRequest get;
    get.set_name(name);
    v1::Document document;
    grpc::Status status = stub_->GetDocument(context.get(), get, &document);
    if (!status.ok()) return FromGrpc(status, "GetDocument");
    print::ConversionMark mark = a_.mark;
    mark.officer = a_.officer;
    mark.reference = document.data().verification().code();
    if (mark.reference.empty()) mark.reference = name;
    mark.url = document.data().verification().url();
    if (mark.url.empty() && !a_.url_prefix.empty()) mark.url = a_.url_prefix + mark.reference;
    print::PrintOptions options;
    options.font_dir = a_.font_dir;
    const std::string rendition = *signed_pdf + ".print.pdf";
    absl::StatusOr<print::PrintRendition> made =
        print::MakePrintRendition(*signed_pdf, rendition, mark, options);
    std::remove(signed_pdf->c_str());
    if (!made.ok()) return made.status();

    const std::string id = name.substr(name.find('/') + 1);
    if (!a_.out_dir.empty()) {
      f.output = absl::StrCat(a_.out_dir, "/", ready.document().dossier_code(), "_",
                              id.substr(0, 8), "_", f.print_id.substr(0, 8), ".pdf");
    }
    f.stage = InFlightPrint::Stage::kPrinting;
    f.cups_job = 0;
    if (absl::Status st = Save(); !st.ok()) return st;
    if (!a_.printer.empty()) {
      absl::Status submitted = Submit(ready, f, rendition);
      std::remove(rendition.c_str());
      if (!submitted.ok()) {
        // No document reached the scheduler: forget this attempt, try again next time.
        state_.in_flight.erase(name);
        if (absl::Status st = Save(); !st.ok()) return st;
        return submitted;
      }
      FaultPoint("after-submit");
      return FollowJob(ready, f);
    }
    absl::Status printed = PublishFile(rendition, f.output);
    if (printed.ok()) FaultPoint("after-publish");
    std::remove(rendition.c_str());
    if (!printed.ok()) {
      // Nothing reached the folder: forget this attempt, try again next time.
      state_.in_flight.erase(name);
      if (absl::Status st = Save(); !st.ok()) return st;
      return printed;
    }
    f.stage = InFlightPrint::Stage::kPrinted;
    if (absl::Status st = Save(); !st.ok()) return st;
    FaultPoint("before-confirm");
    std::printf("  Đã in / printed: %s\n", f.output.c_str());
    return Confirm(ready);
  }

  // Creates the CUPS job, saves its id, then sends the rendition. On failure the job (if any)
  // holds no complete document and is cancelled.
  absl::Status Submit(const v1::ReadyDocument& ready, InFlightPrint& f,
                      const std::string& rendition) {
    absl::StatusOr<printer::CupsQueue*> queue = Queue();
    if (!queue.ok()) return queue.status();
    absl::StatusOr<int> job = (*queue)->CreateJob(
        absl::StrCat("taicho ", ready.document().dossier_code(), " ", f.print_id.substr(0, 8)),
        a_.copies);
    if (!job.ok()) {
      queue_.reset();  // reconnect next time
      return job.status();
    }
    f.cups_job = *job;
    if (absl::Status st = Save(); !st.ok()) return st;
    FaultPoint("after-create-job");
    if (absl::Status sent = (*queue)->SendDocument(*job, rendition); !sent.ok()) {
      (void)(*queue)->Cancel(*job);
      queue_.reset();
      return sent;
    }
    std::printf("  Đã gửi máy in / sent to %s: CUPS job %d\n", a_.printer.c_str(), *job);
    return absl::OkStatus();
  }

  // Waits (bounded) for the print's CUPS job to end; confirms a completed job, reports any other
  // end as a failed print after cancelling the job.
  absl::Status FollowJob(const v1::ReadyDocument& ready, InFlightPrint& f) {
    const std::string name = ready.document().name();
    absl::StatusOr<printer::CupsQueue*> queue = Queue();
    if (!queue.ok()) return queue.status();
    absl::StatusOr<printer::JobStatus> job = (*queue)->WaitUntilFinished(
        f.cups_job, std::chrono::milliseconds(static_cast<int64_t>(a_.job_wait_s * 1000)),
        kJobPoll);
    // Unreachable scheduler: the job comes again after the reconnect and is followed again.
    if (!job.ok()) {
      queue_.reset();
      return job.status();
    }
    std::string job_state = printer::JobStateName(job->state);
    std::string reason = job->reason;
    if (!job->Finished()) {
      // Given up on: cancelled, so that it cannot come out later unrecorded.
      job_state =
          job->state == printer::JobState::kStopped || job->printer_stopped ? "stopped" : "timeout";
      reason = absl::StrCat(reason, reason.empty() ? "" : "; ", "not done within ", a_.job_wait_s,
                            " s (", printer::JobStateName(job->state), "), cancelled");
      absl::StatusOr<printer::JobStatus> after = (*queue)->Cancel(f.cups_job);
      if (!after.ok()) {
        queue_.reset();
        return after.status();  // not reported: the job may still print; followed again
      }
      if (after->state == printer::JobState::kCompleted) job = after;  // finished meanwhile
    }
    if (job->state == printer::JobState::kCompleted) {
      f.stage = InFlightPrint::Stage::kPrinted;
      if (absl::Status st = Save(); !st.ok()) return st;
      FaultPoint("before-confirm");
      std::printf("  Đã in / printed: máy in / printer %s, CUPS job %d\n", a_.printer.c_str(),
                  f.cups_job);
      return Confirm(ready);
    }
    return ReportFailure(ready, f, job_state, reason);
  }

  absl::Status ReportFailure(const v1::ReadyDocument& ready, const InFlightPrint& f,
                             const std::string& job_state, const std::string& reason) {
    const std::string name = ready.document().name();
    std::printf(
        "  LỖI / ERROR [%s]: lệnh in CUPS %d không xong / CUPS job %d did not finish: "
        "%s%s%s\n",
        std::string(CodeName(ErrorCode::kPrintFailed)).c_str(), f.cups_job, f.cups_job,
        job_state.c_str(), reason.empty() ? "" : ": ", reason.c_str());
    auto context = Context(60);
    v1::ReportPrintFailureRequest request;
    request.set_name(name);
    request.set_print_id(f.print_id);
    request.set_revision(f.revision);
    request.set_printer(a_.printer.size() > 128 ? a_.printer.substr(0, 128) : a_.printer);
    request.set_copies(a_.copies);
    request.set_officer(a_.officer);
    request.set_job_state(job_state);
    request.set_reason(reason.size() > 1024 ? reason.substr(0, 1024) : reason);
    v1::ReportPrintFailureResponse response;
    grpc::Status status = stub_->ReportPrintFailure(context.get(), request, &response);
    if (!status.ok()) {
      absl::Status st = FromGrpc(status, "ReportPrintFailure");
      if (Transient(st)) return st;  // reported after the reconnect (the job is followed again)
      if (absl::Status saved = Done(name, ready.sequence()); !saved.ok()) return saved;
      return st;
    }
    queue_view_.Remove(JobKey(ready.sequence()));
    ShowFailure(ready, f.print_id, response.failure().failure_reason(), NowMs());
    std::printf(
        "  Đã báo lỗi in, văn bản chưa được trả / print failure reported, not issued "
        "(trạng thái / state %s); in lại ở lệnh / offered again as job %lld\n",
        v1::Document::State_Name(response.document().state()).c_str(),
        static_cast<long long>(response.retry().sequence()));
    return Done(name, ready.sequence());
  }

  absl::Status Confirm(const v1::ReadyDocument& ready) {
    const std::string& name = ready.document().name();
    const int64_t sequence = ready.sequence();
    const InFlightPrint& f = state_.in_flight.at(name);
    auto context = Context(60);
    v1::MarkPrintedRequest request;
    request.set_name(name);
    request.set_print_id(f.print_id);
    request.set_revision(f.revision);
    std::string printer = a_.printer.empty() ? "folder:" + a_.out_dir : a_.printer;
    if (printer.size() > 128) printer = printer.substr(printer.size() - 128);
    request.set_printer(printer);
    request.set_copies(a_.copies);
    request.set_officer(a_.officer);
    v1::MarkPrintedResponse response;
    grpc::Status status = stub_->MarkPrinted(context.get(), request, &response);
    if (!status.ok()) {
      absl::Status st = FromGrpc(status, "MarkPrinted");
      if (Transient(st)) return st;  // confirmed after the reconnect, same print id
      std::printf("  Không xác nhận được / could not confirm: %s\n",
                  std::string(st.message()).c_str());
      if (absl::Status saved = Done(name, sequence); !saved.ok()) return saved;
      return st;
    }
    FaultPoint("after-confirm");
    ShowJob(ready, deskweb::JobStage::kPrinted);
    std::printf("  Đã xác nhận / confirmed: %s, trạng thái / state %s%s\n", f.print_id.c_str(),
                v1::Document::State_Name(response.document().state()).c_str(),
                response.already_recorded() ? " (đã ghi trước đó / already recorded)" : "");
    return Done(name, sequence);
  }

  const StationArgs& a_;
  StationState state_;
  std::string work_dir_;
  std::unique_ptr<v1::DocumentService::Stub> stub_;
  std::unique_ptr<printer::CupsQueue> queue_;  // opened on first use, reopened after an error
  bool deferred_ = false;          // a retry is due after the idle time: stop (see WaitBeforeRetry)
  deskweb::DeskQueue queue_view_;  // what the page shows of this station's jobs
  // The agency's chains, parsed once for every document this station verifies before printing.
  signer::CertificateCache verified_certificates_;
  // Declared last: stopped first, its handlers use stub_ and queue_view_.
  std::unique_ptr<localweb::LocalSite> site_;
};

int RunStation(const StationArgs& a) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return PrintStation(a).Run();
}

}  // namespace

void AddPrintStationCommand(CLI::App& app, Runner& run) {
  auto [cmd, args] = AddCommand<StationArgs>(
      app, run, "print-station",
      "Trạm in tại quầy: nhận văn bản đã đóng dấu, kiểm tra chữ ký, in bản in có dấu chuyển đổi "
      "và xác nhận / desk print station: watch sealed documents, verify, print the rendition, "
      "confirm",
      RunStation);
  AddConnectionOptions(*cmd, args->connection);
  cmd->add_option("--desk", args->desk, "Quầy / desk (rỗng: mọi quầy / empty: every desk)");
  cmd->add_option("--state", args->state_path,
                  "Tệp trạng thái (vị trí, lệnh in dở) / state file (cursor, prints in flight)")
      ->required();
  cmd->add_option("--out-dir", args->out_dir, "In ra thư mục / print into this folder");
  cmd->add_option("--printer", args->printer, "Máy in (hàng đợi CUPS) / CUPS queue");
  cmd->add_option("--job-wait", args->job_wait_s,
                  "Chờ máy in in xong tối đa chừng ấy giây, quá thì hủy và báo lỗi / wait at most "
                  "this many seconds for the printer to finish a job, then cancel and report it")
      ->capture_default_str();
  cmd->add_option("--retry-delay", args->retry_delay_s,
                  "Thử in lại sau lần lỗi chừng ấy giây / retry a failed print after this many "
                  "seconds")
      ->capture_default_str();
  cmd->add_option("--copies", args->copies, "Số bản / copies")->capture_default_str();
  cmd->add_option("--officer", args->officer,
                  "Họ tên người chuyển đổi (in trên bản in) / converting officer's name")
      ->required();
  cmd->add_option("--trust", args->trust,
                  "Kiểm tra chữ ký tại chỗ với các chứng thư gốc này (PEM); mặc định nhờ máy chủ "
                  "kiểm tra / verify locally against these roots; default: ask the service");
  cmd->add_option("--wording", args->mark.wording, "Lời dấu chuyển đổi / the mark's wording")
      ->capture_default_str();
  cmd->add_option("--system", args->mark.system_name,
                  "Tên hệ thống lưu bản gốc / the system holding the original")
      ->capture_default_str();
  cmd->add_option("--url-prefix", args->url_prefix,
                  "Tiền tố địa chỉ tra cứu cho mã QR khi văn bản không có / verification URL "
                  "prefix for the QR code when the document has none");
  cmd->add_option("--font-dir", args->font_dir, "Thư mục phông / font directory")
      ->capture_default_str();
  cmd->add_option("--idle-exit", args->idle_exit_s,
                  "Thoát khi không có văn bản mới trong chừng ấy giây / exit after this many idle "
                  "seconds (0: run until stopped)");
  cmd->add_flag("--web", args->web,
                "Hiện hàng đợi in trên một trang web tại máy này (127.0.0.1) / serve the queue as "
                "a local page (127.0.0.1)");
  cmd->add_option("--web-listen", args->web_listen,
                  "Địa chỉ của trang (127.0.0.1:CỔNG, 0: cổng bất kỳ) / the page's address "
                  "(127.0.0.1:PORT, 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--web-url-file", args->web_url_file,
                  "Ghi địa chỉ mở trang (có khóa) vào tệp này, chỉ chủ đọc được / write the "
                  "opening URL (with its key) to this file, readable by its owner only");
}

}  // namespace taicho::cli
