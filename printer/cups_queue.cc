#include "printer/cups_queue.h"

#include <cups/cups.h>
#include <fcntl.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"

namespace taicho::printer {

struct CupsQueue::Connection {
  http_t* http = nullptr;
  ~Connection() {
    if (http != nullptr) httpClose(http);
  }
};

namespace {

constexpr std::chrono::milliseconds kCancelSettle{10000};

// Owns one IPP message.
struct IppDeleter {
  void operator()(ipp_t* ipp) const { ippDelete(ipp); }
};
using IppPtr = std::unique_ptr<ipp_t, IppDeleter>;

absl::Status CupsError(const std::string& what) {
  return Error(ErrorCode::kIo, absl::StrCat("CUPS ", what, ": ", cupsLastErrorString()));
}

std::string Uri(const char* path_format, const std::string& value) {
  char uri[HTTP_MAX_URI];
  httpAssembleURIf(HTTP_URI_CODING_ALL, uri, sizeof uri, "ipp", nullptr, "localhost", ippPort(),
                   path_format, value.c_str());
  return uri;
}

std::string Text(ipp_t* response, const char* name) {
  ipp_attribute_t* a = ippFindAttribute(response, name, IPP_TAG_ZERO);
  const char* s = a != nullptr ? ippGetString(a, 0, nullptr) : nullptr;
  return s != nullptr ? s : "";
}

std::vector<std::string> Keywords(ipp_t* response, const char* name) {
  std::vector<std::string> out;
  ipp_attribute_t* a = ippFindAttribute(response, name, IPP_TAG_ZERO);
  for (int i = 0; a != nullptr && i < ippGetCount(a); ++i) {
    const char* s = ippGetString(a, i, nullptr);
    if (s != nullptr && std::string_view(s) != "none") out.emplace_back(s);
  }
  return out;
}

}  // namespace

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kPending:
      return "pending";
    case JobState::kHeld:
      return "held";
    case JobState::kProcessing:
      return "processing";
    case JobState::kStopped:
      return "stopped";
    case JobState::kCancelled:
      return "cancelled";
    case JobState::kAborted:
      return "aborted";
    case JobState::kCompleted:
      return "completed";
  }
  return "unknown";
}

CupsQueue::CupsQueue(std::string name, std::unique_ptr<Connection> connection)
    : name_(std::move(name)), connection_(std::move(connection)) {}

CupsQueue::~CupsQueue() = default;

absl::StatusOr<std::unique_ptr<CupsQueue>> CupsQueue::Open(const std::string& name) {
  if (name.empty()) return Error(ErrorCode::kUsage, "CUPS queue name");
  auto connection = std::make_unique<Connection>();
  connection->http = httpConnect2(cupsServer(), ippPort(), nullptr, AF_UNSPEC, cupsEncryption(),
                                  /*blocking=*/1, /*msec=*/30000, nullptr);
  if (connection->http == nullptr) {
    return Error(ErrorCode::kIo, absl::StrCat("CUPS: không kết nối được / cannot connect to ",
                                              cupsServer(), ": ", cupsLastErrorString()));
  }
  return std::unique_ptr<CupsQueue>(new CupsQueue(name, std::move(connection)));
}

absl::StatusOr<int> CupsQueue::CreateJob(const std::string& title, int copies) {
  cups_option_t* options = nullptr;
  int count = cupsAddOption("copies", std::to_string(copies).c_str(), 0, &options);
  const int job = cupsCreateJob(connection_->http, name_.c_str(), title.c_str(), count, options);
  cupsFreeOptions(count, options);
  if (job <= 0) return CupsError("Create-Job " + name_);
  return job;
}

absl::Status CupsQueue::SendDocument(int job_id, const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrorCode::kIo, "open " + path);
  http_status_t http_status =
      cupsStartDocument(connection_->http, name_.c_str(), job_id, "taicho", "application/pdf",
                        /*last_document=*/1);
  std::vector<char> buffer(64 * 1024);
  ssize_t n = 0;
  while (http_status == HTTP_STATUS_CONTINUE && (n = read(fd, buffer.data(), buffer.size())) > 0) {
    http_status = cupsWriteRequestData(connection_->http, buffer.data(), static_cast<size_t>(n));
  }
  close(fd);
  if (http_status != HTTP_STATUS_CONTINUE || n < 0) {
    // Ends the request so the connection can be used again; the job stays without a document.
    cupsFinishDocument(connection_->http, name_.c_str());
    return CupsError(absl::StrCat("Send-Document ", name_, " job ", job_id));
  }
  if (cupsFinishDocument(connection_->http, name_.c_str()) > IPP_STATUS_OK_CONFLICTING) {
    return CupsError(absl::StrCat("Send-Document ", name_, " job ", job_id));
  }
  return absl::OkStatus();
}

absl::Status CupsQueue::PrinterReasons(JobStatus* status) {
  ipp_t* request = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nullptr,
               Uri("/printers/%s", name_).c_str());
  static const char* const kWanted[] = {"printer-state", "printer-state-message",
                                        "printer-state-reasons"};
  ippAddStrings(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", 3, nullptr,
                kWanted);
  IppPtr response(cupsDoRequest(connection_->http, request, "/"));
  if (!response || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
    return CupsError("Get-Printer-Attributes " + name_);
  }
  ipp_attribute_t* state = ippFindAttribute(response.get(), "printer-state", IPP_TAG_ENUM);
  status->printer_stopped = state != nullptr && ippGetInteger(state, 0) == IPP_PSTATE_STOPPED;
  const std::string message = Text(response.get(), "printer-state-message");
  const std::vector<std::string> reasons = Keywords(response.get(), "printer-state-reasons");
  if (!message.empty() && status->reason.find(message) == std::string::npos) {
    absl::StrAppend(&status->reason, status->reason.empty() ? "" : "; ", message);
  }
  if (!reasons.empty()) {
    absl::StrAppend(&status->reason, status->reason.empty() ? "" : " ", "(",
                    absl::StrJoin(reasons, ", "), ")");
  }
  return absl::OkStatus();
}

absl::StatusOr<JobStatus> CupsQueue::Status(int job_id) {
  ipp_t* request = ippNewRequest(IPP_OP_GET_JOB_ATTRIBUTES);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", nullptr,
               Uri("/jobs/%s", std::to_string(job_id)).c_str());
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", nullptr,
               cupsUser());
  static const char* const kWanted[] = {"job-state", "job-state-reasons",
                                        "job-printer-state-message", "number-of-documents"};
  ippAddStrings(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", 4, nullptr,
                kWanted);
  IppPtr response(cupsDoRequest(connection_->http, request, "/"));
  if (cupsLastError() == IPP_STATUS_ERROR_NOT_FOUND) {
    return Error(
        ErrorCode::kPrintFailed,
        absl::StrCat("CUPS không biết lệnh in / the scheduler does not know job ", job_id));
  }
  if (!response || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
    return CupsError(absl::StrCat("Get-Job-Attributes job ", job_id));
  }
  ipp_attribute_t* state = ippFindAttribute(response.get(), "job-state", IPP_TAG_ENUM);
  if (state == nullptr) return Error(ErrorCode::kIo, "CUPS: job without job-state");
  const int value = ippGetInteger(state, 0);
  if (value < static_cast<int>(JobState::kPending) ||
      value > static_cast<int>(JobState::kCompleted)) {
    return Error(ErrorCode::kIo, absl::StrCat("CUPS: job-state ", value));
  }
  JobStatus out;
  out.job_id = job_id;
  out.state = static_cast<JobState>(value);
  for (const std::string& r : Keywords(response.get(), "job-state-reasons")) {
    if (r == "job-incoming") out.incoming = true;
  }
  ipp_attribute_t* documents =
      ippFindAttribute(response.get(), "number-of-documents", IPP_TAG_INTEGER);
  if (documents != nullptr && ippGetInteger(documents, 0) == 0 && !out.Finished()) {
    out.incoming = true;
  }
  out.reason = Text(response.get(), "job-printer-state-message");
  if (absl::Status st = PrinterReasons(&out); !st.ok()) return st;
  return out;
}

absl::StatusOr<JobStatus> CupsQueue::WaitUntilFinished(int job_id, std::chrono::milliseconds wait,
                                                       std::chrono::milliseconds poll) {
  // Polling: IPP notifications (ippget) would need a subscription per job and a lease; a job
  // lasts seconds to minutes and one request per poll is negligible for the scheduler.
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    absl::StatusOr<JobStatus> status = Status(job_id);
    if (!status.ok() || status->Finished()) return status;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return status;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(poll, deadline - now));
  }
}

absl::StatusOr<JobStatus> CupsQueue::Cancel(int job_id) {
  const ipp_status_t cancelled = static_cast<ipp_status_t>(
      cupsCancelJob2(connection_->http, name_.c_str(), job_id, /*purge=*/0));
  // "not possible" is the answer for a job already finished: its state says which way.
  if (cancelled > IPP_STATUS_OK_CONFLICTING && cancelled != IPP_STATUS_ERROR_NOT_POSSIBLE) {
    return CupsError(absl::StrCat("Cancel-Job job ", job_id));
  }
  // A job being printed ends once its backend has been stopped: wait (briefly) for that, so the
  // state returned is final.
  return WaitUntilFinished(job_id, kCancelSettle, std::chrono::milliseconds(100));
}

}  // namespace taicho::printer
