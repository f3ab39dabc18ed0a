// What taichod keeps: documents, their revisions (PDF files, never changed once written), signing
// sessions, the register, the print queue and the history. The records are the domain's
// (domain/records.h); here are the ports the use cases (workflow/) need — blobs, documents,
// sessions, the register, the print queue — each an interface, and Store, all of them at once,
// which a backend implements (the embedded SQLite one: store/sqlite_store.h; the shared PostgreSQL
// one: store/pg_store.h; store/open_store.h picks one). A use case that needs only the register
// takes only RegisterStore. tests/store_contract_test.cc holds every backend to this contract.
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
#include "domain/records.h"

namespace taicho::store {

// The domain's records under their old names, so callers written against store:: keep compiling.
using domain::DocumentRecord;
using domain::DocumentState;
using domain::HistoryEvent;
using domain::PrintJob;
using domain::PrintRecord;
using domain::PrintStatus;
using domain::RegisterEntry;
using domain::RegisterState;
using domain::RevisionPurpose;
using domain::RevisionRecord;
using domain::SessionRecord;
using domain::Withdrawal;

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

struct RegisterFilter {
  std::string agency;  // empty: any
  std::optional<int> year;
  std::optional<RegisterState> state;
  int limit = 1000;
  int offset = 0;  // skip this many (paging)
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

// Content-addressed files (the PDFs of revisions and prepared signatures).
class BlobStore {
 public:
  virtual ~BlobStore() = default;

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
};

// Documents, their revisions and history, and the state changes that are not signatures.
class DocumentStore {
 public:
  virtual ~DocumentStore() = default;

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
  // The document whose verification code is `code` (its printed form), if any: one indexed
  // lookup, the same work whether or not it exists (the public page's unknown codes).
  virtual absl::StatusOr<std::optional<DocumentRecord>> FindByVerificationCode(
      const std::string& code) = 0;
  virtual absl::StatusOr<std::vector<RevisionRecord>> ListRevisions(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<HistoryEvent>> ListHistory(const std::string& id) = 0;

  // Newest first ((create_time, id) descending).
  virtual absl::StatusOr<std::vector<DocumentRecord>> ListDocuments(const ListFilter& filter) = 0;

  // Moves the document from one of `allowed_from` to `to` and records `event`, all or nothing
  // (kTransitionInvalid when the document is in another state).
  virtual absl::StatusOr<DocumentRecord> Transition(const std::string& id,
                                                    const std::vector<DocumentState>& allowed_from,
                                                    DocumentState to,
                                                    const HistoryEvent& event) = 0;

  // Withdraws (thu hồi) the document, all or nothing: checks it is in one of `allowed_from`
  // (kTransitionInvalid), moves it to kWithdrawn, marks its issued register number withdrawn with
  // `withdrawal`'s reason and time (the number stays given), closes its pending print jobs with
  // the reason, and records `event`. Spans the register and the print queue in one transaction:
  // a withdrawn document never leaves a job to print or a register line saying "issued".
  virtual absl::StatusOr<DocumentRecord> Withdraw(const std::string& id,
                                                  const std::vector<DocumentState>& allowed_from,
                                                  const Withdrawal& withdrawal,
                                                  const HistoryEvent& event) = 0;
};

// A sealed document's PAdES level under the signing policy, and what taichod's worker owes it
// (workflow/level_keeper.h): an upgrade to the policy's level when the seal was issued below it,
// and the archive's renewal before the last document time-stamp (its TSA certificate or an
// algorithm it rests on) expires. An approved document has one only when the officer's signature
// was completed below the policy (the seal, writing its own, takes it over).
struct LevelRecord {
  std::string document_id;
  int revision = 0;          // the revision `level` describes (the document's latest once added)
  std::string level;         // "B-B" … "B-LTA": the lowest of that revision's signatures
  std::string target_level;  // what the policy asked for at the seal
  // Each signature's level in that revision, "field=LEVEL" joined by ';' (document time-stamps
  // not listed).
  std::string signature_levels;
  bool upgrade_pending = false;
  int64_t next_attempt_ms = 0;  // while pending: when the worker tries next
  int attempts = 0;             // failed attempts since the last success
  std::string problem;          // why the last attempt failed (English); empty after a success
  int64_t renew_at_ms = 0;      // when the archive is renewed next; 0: never (not B-LTA)
  int64_t update_time_ms = 0;
};

// Signing sessions (split signing) and the state change every signature makes.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Stores an open session and its history event. Every other open session of the same document
  // and purpose becomes superseded by it (only the newest preparation may complete).
  virtual absl::Status PutSession(const SessionRecord& session, const HistoryEvent& event) = 0;

  // kSessionNotFound when absent.
  virtual absl::StatusOr<SessionRecord> GetSession(const std::string& id) = 0;

  // Completes a session, all or nothing: checks it is still open (kSessionCompleted), not
  // superseded (kSessionSuperseded) and that the document is still in session.from at
  // session.base_revision (kTransitionInvalid), then adds `revision` (number base_revision + 1),
  // moves the document to session.to, closes the session, marks the register number allocated to
  // this session issued (kSessionSuperseded when that number was voided meanwhile), records
  // `event` and, when given, stores `level` (as LevelStore::PutLevel): a revision is never
  // visible without the level record written for it, nor the record without the revision.
  virtual absl::StatusOr<DocumentRecord> CompleteSession(
      const std::string& session_id, const RevisionRecord& revision, const HistoryEvent& event,
      const std::optional<LevelRecord>& level) = 0;

  // A signature made in one step by a key the server holds: what CompleteSession does, for a
  // session never stored. Checks the document is still in commit.from at commit.base_revision
  // (kTransitionInvalid), adds `revision`, moves the document to commit.to, marks the register
  // number allocated to commit.signing_id issued (kSessionSuperseded when it was voided),
  // records `event` and stores `level` when given, all or nothing.
  virtual absl::StatusOr<DocumentRecord> AddSignature(const SignatureCommit& commit,
                                                      const RevisionRecord& revision,
                                                      const HistoryEvent& event,
                                                      const std::optional<LevelRecord>& level) = 0;
};

// The register of issued documents.
class RegisterStore {
 public:
  virtual ~RegisterStore() = default;

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
};

// The print station's queue (see PrintJob) and the recorded prints.
class PrintQueue {
 public:
  virtual ~PrintQueue() = default;

  // Pending print jobs with a sequence above `after_sequence`, of `desk` (empty: every desk) and
  // of documents neither cancelled nor withdrawn, oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<PrintJob>> ListPrintJobs(const std::string& desk,
                                                              int64_t after_sequence,
                                                              int limit) = 0;
  // Returns when a job above `after_sequence` may have been added by this process, or after
  // `max_wait_ms` (callers poll again then: another instance may have added one).
  virtual void WaitForPrintJobs(int64_t after_sequence, int64_t max_wait_ms) = 0;
  // Records a print, all or nothing. The same (document, print id) again returns the first
  // record (recorded = false; it may be a failure). Otherwise the document must be in one of
  // `allowed_from` at `print.revision` as its latest revision, with a pending job
  // (kTransitionInvalid; revisions the worker added after it, kLevelUpgrade or kArchiveRenewal,
  // do not count: the printed one holds the same signatures); the print fulfils every job of the
  // document up to now, the document moves to `to`, `event` is recorded.
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
};

struct LevelFilter {
  std::string level;  // empty: any
  bool pending_only = false;
  int limit = 100;
};

// The level records and the worker's claims on them.
class LevelStore {
 public:
  virtual ~LevelStore() = default;

  // Inserts or replaces the document's record and releases any claim on it — unless the stored
  // record describes a later revision (record.revision below it): then nothing changes, so a
  // worker finishing with an officer's record never overwrites the one the seal wrote meanwhile.
  virtual absl::Status PutLevel(const LevelRecord& record) = 0;
  virtual absl::StatusOr<std::optional<LevelRecord>> GetLevel(const std::string& document_id) = 0;
  // A record with work due at `now_ms` (pending with next_attempt_ms ≤ now, or 0 < renew_at_ms ≤
  // now) that no one holds a claim on, claimed for `owner` until `claim_until_ms`; nullopt when
  // none. While the claim lasts no other caller (another taichod on the same database included)
  // gets the record; a claimant that dies loses it when the time passes, and another resumes.
  virtual absl::StatusOr<std::optional<LevelRecord>> ClaimDueLevel(int64_t now_ms,
                                                                   const std::string& owner,
                                                                   int64_t claim_until_ms) = 0;
  // The worker's result, all or nothing: adds `revision` (purpose kLevelUpgrade or
  // kArchiveRenewal, number latest + 1; kTransitionInvalid when the document's latest revision
  // is not revision.number - 1 or its state is not one of `allowed`, the state is kept), stores
  // `record` (claim released) and records `event`.
  virtual absl::StatusOr<DocumentRecord> AddLevelRevision(const RevisionRecord& revision,
                                                          const std::vector<DocumentState>& allowed,
                                                          const LevelRecord& record,
                                                          const HistoryEvent& event) = 0;
  // Pending upgrades first (next attempt soonest first), then by next renewal soonest first.
  virtual absl::StatusOr<std::vector<LevelRecord>> ListLevels(const LevelFilter& filter) = 0;
  virtual absl::StatusOr<int64_t> CountPendingUpgrades() = 0;
  // Documents sealed or issued that have no level record (sealed before the store kept levels),
  // oldest first, at most `limit`: the worker gives each one (LevelKeeper's backfill).
  virtual absl::StatusOr<std::vector<std::string>> ListDocumentsWithoutLevel(int limit) = 0;
};

// How much a store holds (taichod's /metrics).
struct StoreSize {
  int64_t documents = 0;
  int64_t revision_bytes = 0;  // the revisions' PDF files (prepared signatures not counted)
};

// Every port at once: what a backend implements and what taichod opens.
class Store : public BlobStore,
              public DocumentStore,
              public SessionStore,
              public RegisterStore,
              public PrintQueue,
              public LevelStore {
 public:
  // For monitoring (taichod's health check and /metrics), from any thread, a few times a minute.

  // OK when the store can take a write now; kIo naming what failed otherwise. The default
  // writes, syncs and removes a small work file in the scratch directory (on the blobs' file
  // system): a file system gone read-only or full, or a directory replaced, fails it. A backend
  // with a database server adds its own check.
  virtual absl::Status ProbeWritable();
  // What the store holds; nullopt when the backend cannot count it cheaply (the default).
  virtual absl::StatusOr<std::optional<StoreSize>> Size() { return std::nullopt; }
};

}  // namespace taicho::store
