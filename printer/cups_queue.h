// A CUPS print queue seen through libcups: submit a file as a job, read the job's state and the
// printer's reasons, wait (bounded) for the job to end, cancel it. What the print station needs
// to confirm only a print the printer finished.
//
// The scheduler is the one libcups names (CUPS_SERVER, else client.conf, else the local socket).
// A job is created first and its document sent after (Create-Job, Send-Document), so that the
// caller can record the job id before anything printable reaches the scheduler: a job id that was
// never recorded belongs to a job without a document, which prints nothing.
//
// Thread rule: a CupsQueue owns one connection to the scheduler; use it from one thread at a
// time. Separate objects may be used on separate threads.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace taicho::printer {

// IPP job-state (RFC 8011 §5.3.7), with the names CUPS uses.
enum class JobState {
  kPending = 3,
  kHeld = 4,
  kProcessing = 5,
  kStopped = 6,  // processing-stopped: the printer stopped while printing it
  kCancelled = 7,
  kAborted = 8,
  kCompleted = 9,
};

// "pending", "held", "processing", "stopped", "cancelled", "aborted", "completed".
const char* JobStateName(JobState state);

struct JobStatus {
  int job_id = 0;
  JobState state = JobState::kPending;
  // The document has not fully reached the scheduler (job-state-reasons job-incoming): the
  // submission was interrupted; nothing of it can print.
  bool incoming = false;
  bool printer_stopped = false;  // printer-state stopped (disabled, or a backend stopped it)
  // What the printer said, for people: job-printer-state-message, then the printer's
  // printer-state-message and printer-state-reasons (without "none"), e.g.
  // "Paper jam (media-jam-error, paused)". Empty when the printer said nothing.
  std::string reason;

  bool Finished() const {
    return state == JobState::kCancelled || state == JobState::kAborted ||
           state == JobState::kCompleted;
  }
};

class CupsQueue {
 public:
  // Connects to the scheduler (kIo when it does not answer) for the queue `name`.
  static absl::StatusOr<std::unique_ptr<CupsQueue>> Open(const std::string& name);
  ~CupsQueue();
  CupsQueue(const CupsQueue&) = delete;
  CupsQueue& operator=(const CupsQueue&) = delete;

  const std::string& name() const { return name_; }

  // Creates an empty job (nothing printable yet); returns its id. kIo when refused.
  absl::StatusOr<int> CreateJob(const std::string& title, int copies);
  // Sends the PDF at `path` as the job's only document. kIo when refused (the job then holds no
  // complete document and prints nothing; cancel it).
  absl::Status SendDocument(int job_id, const std::string& path);
  // The job's state now. kPrintFailed when the scheduler does not know the job (never created,
  // or purged from its history), kIo when it does not answer.
  absl::StatusOr<JobStatus> Status(int job_id);
  // Polls the job every `poll` until it is finished or `wait` has passed; returns the last
  // status read (not Finished() when the wait ran out).
  absl::StatusOr<JobStatus> WaitUntilFinished(int job_id, std::chrono::milliseconds wait,
                                              std::chrono::milliseconds poll);
  // Cancels the job (so that it cannot print later) and returns its state once the scheduler has
  // ended it (at most 10 s, for a backend to stop): a job that completed just before is still
  // kCompleted.
  absl::StatusOr<JobStatus> Cancel(int job_id);

 private:
  struct Connection;
  CupsQueue(std::string name, std::unique_ptr<Connection> connection);
  absl::Status PrinterReasons(JobStatus* status);

  std::string name_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace taicho::printer
