// DocumentWorkflow's print-station steps: which documents a desk should print, recording a print
// (the rendition: who printed which revision, when, how many copies) and asking for a reprint.
#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "workflow/document_workflow.h"

namespace taicho::workflow {
namespace {

absl::Status CheckText(const std::string& value, const char* what, bool required) {
  if (required && value.empty()) {
    return Error(ErrorCode::kUsage, absl::StrCat("thiếu / missing ", what));
  }
  if (value.size() > kMaxKeyLength) {
    return Error(ErrorCode::kUsage, absl::StrCat("quá dài / too long: ", what));
  }
  return absl::OkStatus();
}

absl::Status CheckPrint(const PrintInput& in) {
  // The station names the revision it printed in full: one of another document is a mix-up.
  if (in.revision_document_id != in.document_id) {
    return Error(ErrorCode::kUsage, "revision of another document");
  }
  for (absl::Status st :
       {CheckText(in.print_id, "print_id", true), CheckText(in.printer, "printer", true),
        CheckText(in.officer, "officer", false)}) {
    if (!st.ok()) return st;
  }
  if (in.copies < 1 || in.copies > kMaxCopies) {
    return Error(ErrorCode::kUsage, absl::StrCat("số bản / copies ∉ [1, ", kMaxCopies, "]"));
  }
  if (in.revision <= 0) return Error(ErrorCode::kUsage, "thiếu bản / missing revision");
  return absl::OkStatus();
}

// The ways a print job can end without the printer finishing it: CUPS's own final or held
// states, and the station's wait running out (it cancels the job then).
bool KnownFailureState(const std::string& state) {
  return state == "stopped" || state == "aborted" || state == "cancelled" || state == "timeout";
}

}  // namespace

absl::StatusOr<std::vector<store::PrintJob>> DocumentWorkflow::ReadyToPrint(const Caller& caller,
                                                                            const std::string& desk,
                                                                            int64_t after_sequence,
                                                                            int limit,
                                                                            int64_t max_wait_ms) {
  if (absl::Status st = domain::Authorize(caller, domain::Operation::kWatchReady); !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckText(desk, "desk", false); !st.ok()) return st;
  if (after_sequence < 0 || limit <= 0) return Error(ErrorCode::kUsage, "cursor or limit");
  absl::StatusOr<std::vector<store::PrintJob>> jobs =
      store_.ListPrintJobs(desk, after_sequence, limit);
  if (!jobs.ok() || !jobs->empty() || max_wait_ms <= 0) return jobs;
  store_.WaitForPrintJobs(after_sequence, max_wait_ms);
  return store_.ListPrintJobs(desk, after_sequence, limit);
}

absl::StatusOr<store::PrintOutcome> DocumentWorkflow::MarkPrinted(const Caller& caller,
                                                                  const PrintInput& in) {
  if (absl::Status st = domain::Authorize(caller, domain::Operation::kMarkPrinted); !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckPrint(in); !st.ok()) return st;
  const int64_t now = Now();
  store::PrintRecord print;
  print.document_id = in.document_id;
  print.print_id = in.print_id;
  print.revision = in.revision;
  print.printer = in.printer;
  print.copies = in.copies;
  print.officer = in.officer;
  print.actor = caller.actor;
  print.time_ms = now;
  // History detail: English, no document content; the officer's name is who converted, as the
  // paper copy itself states.
  const store::HistoryEvent event{
      in.document_id,
      now,
      caller.actor,
      "printed",
      absl::StrCat("print ", in.print_id, ": ", in.copies, " copies on ", in.printer,
                   in.officer.empty() ? "" : ", converted by " + in.officer),
      in.revision};
  // SEALED: the first print issues it. ISSUED: only a queued reprint (the store checks one is
  // pending), so a station cannot print an issued document twice by inventing a new print id.
  absl::StatusOr<store::PrintOutcome> outcome = store_.RecordPrint(
      print, domain::StatesAllowing(domain::Action::kPrint), store::DocumentState::kIssued, event);
  // The same id was reported failed: the station cannot turn a failed attempt into a print (the
  // paper of a cancelled job is not a legal copy); a new attempt has a new id.
  if (outcome.ok() && !outcome->recorded && outcome->print.status == store::PrintStatus::kFailed) {
    return Error(
        ErrorCode::kTransitionInvalid,
        absl::StrCat("lệnh in ", in.print_id, " đã được báo lỗi / this print was reported failed: ",
                     outcome->print.failure_reason));
  }
  return outcome;
}

absl::StatusOr<store::PrintFailureOutcome> DocumentWorkflow::ReportPrintFailure(
    const Caller& caller, const PrintFailureInput& in) {
  if (absl::Status st = domain::Authorize(caller, domain::Operation::kReportPrintFailure);
      !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckPrint(in.print); !st.ok()) return st;
  if (!KnownFailureState(in.job_state)) {
    return Error(ErrorCode::kUsage,
                 "job_state: stopped, aborted, cancelled hoặc / or timeout (" + in.job_state + ")");
  }
  if (in.reason.size() > kMaxFailureReason) {
    return Error(ErrorCode::kUsage, "lý do quá dài / reason too long");
  }
  const int64_t now = Now();
  store::PrintRecord failure;
  failure.document_id = in.print.document_id;
  failure.print_id = in.print.print_id;
  failure.revision = in.print.revision;
  failure.printer = in.print.printer;
  failure.copies = in.print.copies;
  failure.officer = in.print.officer;
  failure.actor = caller.actor;
  failure.time_ms = now;
  failure.status = store::PrintStatus::kFailed;
  failure.failure_reason =
      in.reason.empty() ? in.job_state : absl::StrCat(in.job_state, ": ", in.reason);
  const store::HistoryEvent event{
      in.print.document_id,
      now,
      caller.actor,
      "print_failed",
      absl::StrCat("print ", in.print.print_id, " on ", in.print.printer,
                   " did not finish: ", failure.failure_reason),
      in.print.revision};
  // A SEALED document stays SEALED (it is issued only by a print that completed); a failed
  // reprint leaves an ISSUED one as it was. Either way the print is offered again.
  return store_.RecordPrintFailure(failure, domain::StatesAllowing(domain::Action::kPrint), event);
}

absl::StatusOr<store::PrintJob> DocumentWorkflow::RequestReprint(const Caller& caller,
                                                                 const std::string& id,
                                                                 const std::string& reason) {
  if (absl::Status st = domain::Authorize(caller, domain::Operation::kRequestReprint); !st.ok()) {
    return st;
  }
  if (reason.empty() || reason.size() > 1024) {
    return Error(ErrorCode::kUsage,
                 "lý do in lại (bắt buộc, tối đa 1024 byte) / reprint reason "
                 "(required, at most 1024 bytes)");
  }
  const store::HistoryEvent event{id, Now(), caller.actor, "reprint_requested", reason, 0};
  return store_.AddReprintJob(id, domain::StatesAllowing(domain::Action::kRequestReprint), reason,
                              event);
}

}  // namespace taicho::workflow
