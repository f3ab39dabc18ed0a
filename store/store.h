// What taichod keeps: documents, their revisions (PDF files, never changed once written), signing
// sessions and the history. One interface, so a PostgreSQL backend can follow the embedded SQLite
// one (store/sqlite_store.h).
//
// Contract of every implementation: each mutating call is one transaction; when it returns OK the
// change is durable (it survives a crash or power loss), and when it fails or the process dies
// midway none of it is visible. Blobs are written (durably) before the rows naming them, so a row
// never names a missing file; a crash may leave unreferenced blobs, which are harmless.
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace taicho::store {

// The stored values are part of the on-disk format: never renumber.
enum class DocumentState { kDraft = 1, kApproved = 2, kSealed = 3, kIssued = 4, kCancelled = 5 };
enum class RevisionPurpose { kDraft = 1, kApproval = 2, kSeal = 3 };

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

// The state change a signature makes: from `from` at `base_revision` to `to` at the next one.
struct SignatureCommit {
  std::string document_id;
  int base_revision = 0;
  DocumentState from = DocumentState::kDraft;
  DocumentState to = DocumentState::kDraft;
  std::string signing_id;  // the id a register number was allocated to (the session's id)
};

struct ListFilter {
  std::optional<DocumentState> state;
  std::string desk;       // empty: any
  std::string procedure;  // empty: any
  std::optional<int64_t> created_from_ms;
  std::optional<int64_t> created_to_ms;  // exclusive
  int limit = 50;
  // Continue after this (create_time_ms, id) of the last document of the previous page.
  std::optional<std::pair<int64_t, std::string>> after;
};

struct CreateOutcome {
  DocumentRecord document;
  bool created = false;  // false: the dossier code + request id already named this document
};

// The register of issued documents (sổ đăng ký văn bản đi), per issuing agency and year: numbers
// from 1 on 1 January, each given once. A number is allocated when the seal step prepares the
// issue; it becomes kIssued when that seal completes, or kVoid with the reason when the attempt
// is abandoned — the register keeps the gap and why, and never gives the number again.
enum class RegisterState { kAllocated = 1, kIssued = 2, kVoid = 3 };

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
  int64_t issue_time_ms = 0;  // when the seal completed (kIssued)
};

struct RegisterFilter {
  std::string agency;  // empty: any
  std::optional<int> year;
  std::optional<RegisterState> state;
  int limit = 1000;
  int offset = 0;  // skip this many (paging)
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

struct PrintOutcome {
  DocumentRecord document;
  PrintRecord print;
  bool recorded = false;  // false: this print id was already recorded (nothing changed)
};

struct PrintFailureOutcome {
  DocumentRecord document;
  PrintRecord failure;  // as recorded (or the earlier record of this print id)
  PrintJob retry;       // the job offering the print again (sequence 0 when not recorded now)
  bool recorded = false;
};

class Store {
 public:
  virtual ~Store() = default;

  // A fresh path in the store's scratch directory, on the same file system as the blobs, for a
  // file the caller writes and then hands to PutBlob (or removes).
  virtual std::string NewScratchPath(const std::string& suffix) = 0;

  // Moves the file at `scratch_path` (from NewScratchPath, complete and closed) into the blob
  // area under its SHA-256 and makes it durable; returns the hash. A blob with the same hash
  // already there is kept and the scratch file removed. Blobs are never changed.
  virtual absl::StatusOr<std::string> PutBlob(const std::string& scratch_path) = 0;
  // The same for a file whose SHA-256 (lowercase hex) its writer computed as it wrote it: the
  // store names it so without reading it back.
  virtual absl::StatusOr<std::string> PutBlob(const std::string& scratch_path,
                                              const std::string& sha256) = 0;

  // A readable local path of the blob (kDocumentNotFound when missing).
  virtual absl::StatusOr<std::string> BlobPath(const std::string& sha256) = 0;

  // The document created for (dossier_code, request_id), if any.
  virtual absl::StatusOr<std::optional<DocumentRecord>> FindByRequest(
      const std::string& dossier_code, const std::string& request_id) = 0;

  // Inserts the document with its first revision and history event, all or nothing. When the
  // (dossier_code, request_id) pair already exists, changes nothing and returns that document.
  virtual absl::StatusOr<CreateOutcome> CreateDocument(const DocumentRecord& document,
                                                       const RevisionRecord& draft,
                                                       const HistoryEvent& event) = 0;

  // kDocumentNotFound when absent.
  virtual absl::StatusOr<DocumentRecord> GetDocument(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<RevisionRecord>> ListRevisions(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<HistoryEvent>> ListHistory(const std::string& id) = 0;

  // Newest first ((create_time, id) descending).
  virtual absl::StatusOr<std::vector<DocumentRecord>> ListDocuments(const ListFilter& filter) = 0;

  // Stores an open session and its history event. Every other open session of the same document
  // and purpose becomes superseded by it (only the newest preparation may complete).
  virtual absl::Status PutSession(const SessionRecord& session, const HistoryEvent& event) = 0;

  // kSessionNotFound when absent.
  virtual absl::StatusOr<SessionRecord> GetSession(const std::string& id) = 0;

  // Completes a session, all or nothing: checks it is still open (kSessionCompleted), not
  // superseded (kSessionSuperseded) and that the document is still in session.from at
  // session.base_revision (kTransitionInvalid), then adds `revision` (number base_revision + 1),
  // moves the document to session.to, closes the session, marks the register number allocated to
  // this session issued (kSessionSuperseded when that number was voided meanwhile), and records
  // `event`.
  virtual absl::StatusOr<DocumentRecord> CompleteSession(const std::string& session_id,
                                                         const RevisionRecord& revision,
                                                         const HistoryEvent& event) = 0;

  // A signature made in one step by a key the server holds: what CompleteSession does, for a
  // session never stored. Checks the document is still in commit.from at commit.base_revision
  // (kTransitionInvalid), adds `revision`, moves the document to commit.to, marks the register
  // number allocated to commit.signing_id issued (kSessionSuperseded when it was voided) and
  // records `event`, all or nothing.
  virtual absl::StatusOr<DocumentRecord> AddSignature(const SignatureCommit& commit,
                                                      const RevisionRecord& revision,
                                                      const HistoryEvent& event) = 0;

  // Gives `entry` (its number ignored) the next number of (agency, year), all or nothing, and
  // records `event` (its detail prefixed with "number N/YEAR"). Earlier allocations of the same
  // document still open become kVoid
  // ("superseded"). Two concurrent calls never get the same number. Survives a crash of the
  // process at once, a power loss only with the next write after it (every other write here is
  // on disk when it returns): callers acknowledge a number only through such a later write.
  virtual absl::StatusOr<RegisterEntry> AllocateNumber(const RegisterEntry& entry,
                                                       const HistoryEvent& event) = 0;
  // Marks an allocated number void with the reason. kUsage when there is no such allocated
  // number (an issued number is never voided).
  virtual absl::Status VoidNumber(const std::string& agency, int year, int number,
                                  const std::string& reason) = 0;
  // Agency, year, number ascending.
  virtual absl::StatusOr<std::vector<RegisterEntry>> ListRegister(const RegisterFilter& filter) = 0;

  // Pending print jobs with a sequence above `after_sequence`, of `desk` (empty: every desk) and
  // of documents not cancelled, oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<PrintJob>> ListPrintJobs(const std::string& desk,
                                                              int64_t after_sequence,
                                                              int limit) = 0;
  // Returns when a job above `after_sequence` may have been added by this process, or after
  // `max_wait_ms` (callers poll again then: another instance may have added one).
  virtual void WaitForPrintJobs(int64_t after_sequence, int64_t max_wait_ms) = 0;
  // Records a print, all or nothing. The same (document, print id) again returns the first
  // record (recorded = false; it may be a failure). Otherwise the document must be in one of
  // `allowed_from` at `print.revision` as its latest revision, with a pending job
  // (kTransitionInvalid); the print fulfils every job of the document up to now, the document moves
  // to `to`, `event` is recorded.
  virtual absl::StatusOr<PrintOutcome> RecordPrint(const PrintRecord& print,
                                                   const std::vector<DocumentState>& allowed_from,
                                                   DocumentState to, const HistoryEvent& event) = 0;
  // Records a print the printer did not finish (`failure.status` kFailed), all or nothing. The
  // same (document, print id) again returns the first record (recorded = false). Otherwise the
  // document must be in one of `allowed_from` at `failure.revision` as its latest revision, with
  // a pending job (kTransitionInvalid); the failure closes the document's pending jobs, a new job
  // (same reason, `last_failure` this failure) offers the print again, the document's state does
  // not change, `event` is recorded.
  virtual absl::StatusOr<PrintFailureOutcome> RecordPrintFailure(
      const PrintRecord& failure, const std::vector<DocumentState>& allowed_from,
      const HistoryEvent& event) = 0;
  // Queues a reprint of the document's latest revision, all or nothing: the document must be in
  // one of `allowed_from` (kTransitionInvalid); `event` is recorded.
  virtual absl::StatusOr<PrintJob> AddReprintJob(const std::string& document_id,
                                                 const std::vector<DocumentState>& allowed_from,
                                                 const std::string& reason,
                                                 const HistoryEvent& event) = 0;
  // The document's recorded prints, oldest first.
  virtual absl::StatusOr<std::vector<PrintRecord>> ListPrints(const std::string& document_id) = 0;

  // Moves the document from one of `allowed_from` to `to` and records `event`, all or nothing
  // (kTransitionInvalid when the document is in another state).
  virtual absl::StatusOr<DocumentRecord> Transition(const std::string& id,
                                                    const std::vector<DocumentState>& allowed_from,
                                                    DocumentState to,
                                                    const HistoryEvent& event) = 0;
};

}  // namespace taicho::store
