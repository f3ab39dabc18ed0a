// The domain of taicho: what a document, its revisions, its signing sessions, its register entry
// and its print jobs are, and the states they move through. Plain values, no behaviour, no I/O:
// the store (store/) keeps them, the use cases (workflow/) decide what happens to them, front ends
// (server/) translate them. Copyable and thread-compatible like any struct.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace taicho::domain {

// The stored values are part of the on-disk format: never renumber. The transitions between them
// are one table (domain/transitions.h).
enum class DocumentState {
  kDraft = 1,
  kApproved = 2,
  kSealed = 3,
  kIssued = 4,
  kCancelled = 5,  // ended before the seal: no number was given
  kWithdrawn = 6,  // thu hồi after the seal: the number stays given, marked withdrawn
};
// kLevelUpgrade and kArchiveRenewal revisions add no signature and change no state: taichod's
// worker adds what a seal lacks (time-stamp, validation data, document time-stamp) or renews the
// archive (workflow/level_keeper.h).
enum class RevisionPurpose {
  kDraft = 1,
  kApproval = 2,
  kSeal = 3,
  kLevelUpgrade = 4,
  kArchiveRenewal = 5
};

struct DocumentRecord {
  std::string id;  // random, 32 lowercase hex digits
  std::string kind;
  std::string dossier_code;
  std::string request_id;
  std::string request_hash;  // SHA-256 hex of the create request's content (idempotency check)
  std::string procedure;
  std::string desk;
  std::string title;
  std::string data_json;  // the document data as render/ reads it
  DocumentState state = DocumentState::kDraft;
  int64_t create_time_ms = 0;  // Unix milliseconds
  int64_t update_time_ms = 0;
  int latest_revision = 0;
  // The code under the QR code (workflow/verification_code.h), unique; empty for a document
  // created before taichod made them.
  std::string verification_code;
};

struct RevisionRecord {
  std::string document_id;
  int number = 0;  // 1 = the draft
  RevisionPurpose purpose = RevisionPurpose::kDraft;
  std::string sha256;  // the blob holding the PDF
  int64_t size = 0;
  std::string signer;  // certificate subject; empty for the draft
  int64_t create_time_ms = 0;
};

struct HistoryEvent {
  std::string document_id;
  int64_t time_ms = 0;
  std::string actor;
  std::string action;
  std::string detail;  // never document content, never secrets
  int revision = 0;
};

struct SessionRecord {
  std::string id;  // random, 32 lowercase hex digits
  std::string document_id;
  int base_revision = 0;                       // the revision the signature is added to
  DocumentState from = DocumentState::kDraft;  // the state the document must still be in
  DocumentState to = DocumentState::kApproved;
  RevisionPurpose purpose = RevisionPurpose::kApproval;
  std::string prepared_json;    // pades::PreparedSignature::ToJson(), every input fixed
  std::string prepared_sha256;  // the blob holding the prepared PDF
  std::string signer;           // the certificate subject
  int64_t create_time_ms = 0;
  int64_t expire_time_ms = 0;
  int completed_revision = 0;  // 0 while open
  // The id of the session of the same document and purpose stored after this one while it was
  // open; empty otherwise. A superseded session never completes (kSessionSuperseded).
  std::string superseded_by;
};

// The register of issued documents (sổ đăng ký văn bản đi), per issuing agency and year: numbers
// from 1 on 1 January, each given once. A number is allocated when the seal step prepares the
// issue; it becomes kIssued when that seal completes, or kVoid with the reason when the attempt
// is abandoned — the register keeps the gap and why, and never gives the number again. An issued
// number whose document is withdrawn (thu hồi) becomes kWithdrawn with the reason and time; it
// stays given.
enum class RegisterState { kAllocated = 1, kIssued = 2, kVoid = 3, kWithdrawn = 4 };

struct RegisterEntry {
  std::string agency;  // the issuing agency as the document names it
  int year = 0;
  int number = 0;
  RegisterState state = RegisterState::kAllocated;
  std::string document_id;
  std::string session_id;  // the seal session that will write the number
  std::string issue_date;  // YYYY-MM-DD, Vietnam time: the date written into the document
  std::string kind;
  std::string symbol;  // "QĐ-UBND"
  std::string summary;
  std::string signer;  // the approving officer's certificate subject
  std::string sealer;  // the agency certificate's subject
  std::string dossier_code;
  std::string void_reason;
  int64_t allocate_time_ms = 0;
  int64_t issue_time_ms = 0;     // when the seal completed (kIssued)
  std::string withdraw_reason;   // kWithdrawn only
  int64_t withdraw_time_ms = 0;  // kWithdrawn only
};

// What became of a print: the printer finished it, or did not (stopped, aborted, cancelled, or
// not done within the station's wait). Stored as these numbers.
enum class PrintStatus { kPrinted = 1, kFailed = 2 };

// One recorded print (a rendition on paper): who printed which revision, when, how many copies —
// or an attempt the printer did not finish, and why.
struct PrintRecord {
  std::string document_id;
  std::string print_id;      // the station's id for this print: the idempotency key
  int64_t job_sequence = 0;  // the newest job this print fulfilled
  int revision = 0;
  std::string printer;
  int copies = 1;
  std::string officer;  // the converting officer named on the rendition
  std::string actor;    // the print station's identity
  int64_t time_ms = 0;
  PrintStatus status = PrintStatus::kPrinted;
  std::string failure_reason;  // kFailed: how the job ended and the printer's reason
};

// The print station's queue: a job for each document that became SEALED (first print) and for
// each reprint asked for, numbered by one sequence that only grows, in commit order — a cursor
// into it resumes a watch with nothing missed. A job is pending until a print of its document
// is recorded after it; a failed print closes it too and queues a new job offering it again.
struct PrintJob {
  int64_t sequence = 0;
  std::string document_id;
  std::string desk;
  int revision = 0;    // the revision to print
  std::string reason;  // empty for the first print; the reprint's reason
  std::string actor;   // who asked (the sealer, or who asked for the reprint)
  int64_t time_ms = 0;
  // A job that offers again a print that failed: that failed print (status kFailed).
  std::optional<PrintRecord> last_failure;
};

// Why, when and by whom an issued document was withdrawn (thu hồi). The history's "withdrawn"
// event is its record.
struct Withdrawal {
  std::string reason;
  std::string actor;
  int64_t time_ms = 0;
};

}  // namespace taicho::domain
