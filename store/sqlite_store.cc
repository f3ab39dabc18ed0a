#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "domain/signing_session.h"
#include "errors/error.h"
#include "store/blob_files.h"
#include "store/group_commit.h"
#include "store/local_dir.h"
#include "store/schema.h"
#include "store/sqlite_db.h"
#include "store/sqlite_levels.h"
#include "store/sqlite_prints.h"
#include "store/sqlite_readers.h"
#include "store/sqlite_register.h"

namespace taicho::store {
namespace {

// Adds the columns SQLite stores gained after their tables were made (store/schema.h), to
// stores made before each came; a new store takes the same path, so old and new ones end alike.
absl::Status AddLaterColumns(SqliteDb& db) {
  for (const LaterColumn& later : SqliteLaterColumns()) {
    auto has = db.Prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2");
    if (!has.ok()) return has.status();
    has->Bind(1, later.table).Bind(2, later.column);
    absl::StatusOr<bool> row = has->Step();
    if (!row.ok()) return row.status();
    absl::Status st = absl::OkStatus();
    if (!*row) {
      st = db.Exec(absl::StrCat("ALTER TABLE ", later.table, " ADD COLUMN ", later.column, " ",
                                later.definition));
    }
    if (st.ok() && !later.then.empty()) st = db.Exec(later.then);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

DocumentRecord ReadDocument(const SqliteStatement& s) {
  DocumentRecord d;
  d.id = s.Text(0);
  d.kind = s.Text(1);
  d.dossier_code = s.Text(2);
  d.request_id = s.Text(3);
  d.request_hash = s.Text(4);
  d.procedure = s.Text(5);
  d.desk = s.Text(6);
  d.title = s.Text(7);
  d.data_json = s.Text(8);
  d.state = static_cast<DocumentState>(s.Int(9));
  d.create_time_ms = s.Int(10);
  d.update_time_ms = s.Int(11);
  d.latest_revision = static_cast<int>(s.Int(12));
  d.verification_code = s.Text(13);
  return d;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(LocalDir local, SqliteDb db, BlobFiles blobs)
      : local_(std::move(local)),
        dir_(local_.path()),
        db_(std::move(db)),
        readers_(dir_ + "/taicho.db"),
        blobs_(std::move(blobs)) {}

  std::string NewScratchPath(const std::string& suffix) override {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    return absl::StrCat(dir_, "/scratch/", getpid(), "-", counter_.fetch_add(1), "-", now, suffix);
  }

  absl::StatusOr<std::string> PutBlob(const std::string& scratch_path) override {
    return blobs_.Adopt(scratch_path);
  }

  absl::StatusOr<std::string> PutBlob(const std::string& scratch_path,
                                      const std::string& sha256) override {
    if (sha256.empty()) return Error(ErrorCode::kInternal, "PutBlob: no SHA-256 given");
    return blobs_.Adopt(scratch_path, sha256);
  }

  absl::StatusOr<std::string> BlobPath(const std::string& sha256) override {
    absl::StatusOr<std::string> path = blobs_.PathOf(sha256);
    if (!path.ok()) return path.status();
    if (access(path->c_str(), R_OK) != 0) {
      return Error(ErrorCode::kDocumentNotFound, "the revision's file is missing: " + sha256);
    }
    return path;
  }

  absl::StatusOr<std::optional<DocumentRecord>> FindByRequest(
      const std::string& dossier_code, const std::string& request_id) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    return FindByRequestIn(reader->db(), dossier_code, request_id);
  }

  absl::StatusOr<CreateOutcome> CreateDocument(const DocumentRecord& d, const RevisionRecord& draft,
                                               const HistoryEvent& event) override {
    CreateOutcome out{d, true};
    absl::Status st = writes_.Run([&](SqliteDb& db) -> absl::Status {
      auto existing = FindByRequestIn(db, d.dossier_code, d.request_id);
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) {
        out = CreateOutcome{**existing, false};
        return absl::OkStatus();
      }
      return InsertDocument(d, draft, event);
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<DocumentRecord> GetDocument(const std::string& id) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    return GetDocumentIn(reader->db(), id);
  }

  // Documents and revisions are never deleted and a revision's size never changes, and the one
  // writer gives rows rising rowids: each measure reads only the rows added since the last one
  // (on a reader connection, never the writer's). A full count was 0.2-0.4 s at 100 000
  // documents and 300 000 revisions, every probe.
  absl::StatusOr<std::optional<StoreSize>> Size() override {
    std::lock_guard lock(size_mu_);
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    auto s = reader->db().Prepare(
        "SELECT (SELECT COUNT(*) FROM documents WHERE rowid > ?1), "
        "(SELECT COALESCE(MAX(rowid), ?1) FROM documents WHERE rowid > ?1), "
        "(SELECT COALESCE(SUM(size), 0) FROM revisions WHERE rowid > ?2), "
        "(SELECT COALESCE(MAX(rowid), ?2) FROM revisions WHERE rowid > ?2)");
    if (!s.ok()) return s.status();
    s->Bind(1, size_documents_rowid_).Bind(2, size_revisions_rowid_);
    absl::StatusOr<bool> row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Error(ErrorCode::kInternal, "store size: no row");
    size_.documents += s->Int(0);
    size_documents_rowid_ = s->Int(1);
    size_.revision_bytes += s->Int(2);
    size_revisions_rowid_ = s->Int(3);
    return size_;
  }

  absl::StatusOr<std::optional<DocumentRecord>> FindByVerificationCode(
      const std::string& code) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    auto s = reader->db().Prepare(
        absl::StrCat("SELECT ", kDocumentColumns, " FROM documents WHERE verification_code = ?1"));
    if (!s.ok()) return s.status();
    s->Bind(1, code);
    absl::StatusOr<bool> row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<DocumentRecord>();
    return std::optional<DocumentRecord>(ReadDocument(*s));
  }

  absl::StatusOr<std::vector<RevisionRecord>> ListRevisions(const std::string& id) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    auto s = reader->db().Prepare(
        "SELECT document_id, number, purpose, sha256, size, signer, create_time FROM revisions "
        "WHERE document_id = ?1 ORDER BY number");
    if (!s.ok()) return s.status();
    s->Bind(1, id);
    std::vector<RevisionRecord> out;
    for (;;) {
      absl::StatusOr<bool> row = s->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back({s->Text(0), static_cast<int>(s->Int(1)),
                     static_cast<RevisionPurpose>(s->Int(2)), s->Text(3), s->Int(4), s->Text(5),
                     s->Int(6)});
    }
    return out;
  }

  absl::StatusOr<std::vector<HistoryEvent>> ListHistory(const std::string& id) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    auto s = reader->db().Prepare(
        "SELECT document_id, time, actor, action, detail, revision FROM history "
        "WHERE document_id = ?1 ORDER BY seq");
    if (!s.ok()) return s.status();
    s->Bind(1, id);
    std::vector<HistoryEvent> out;
    for (;;) {
      absl::StatusOr<bool> row = s->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(
          {s->Text(0), s->Int(1), s->Text(2), s->Text(3), s->Text(4), static_cast<int>(s->Int(5))});
    }
    return out;
  }

  absl::StatusOr<std::vector<DocumentRecord>> ListDocuments(const ListFilter& f) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    // Unset filters bind NULL and match everything, so one statement serves every combination.
    auto s = reader->db().Prepare(
        absl::StrCat("SELECT ", kDocumentColumns,
                     " FROM documents WHERE (?1 IS NULL OR state = ?1) AND (?2 = '' OR desk = ?2) "
                     "AND (?3 = '' OR procedure = ?3) AND (?4 IS NULL OR create_time >= ?4) "
                     "AND (?5 IS NULL OR create_time < ?5) "
                     "AND (?6 IS NULL OR create_time < ?6 OR (create_time = ?6 AND id < ?7)) "
                     "ORDER BY create_time DESC, id DESC LIMIT ?8"));
    if (!s.ok()) return s.status();
    if (f.state) {
      s->Bind(1, static_cast<int64_t>(*f.state));
    } else {
      s->BindNull(1);
    }
    s->Bind(2, f.desk).Bind(3, f.procedure);
    if (f.created_from_ms) {
      s->Bind(4, *f.created_from_ms);
    } else {
      s->BindNull(4);
    }
    if (f.created_to_ms) {
      s->Bind(5, *f.created_to_ms);
    } else {
      s->BindNull(5);
    }
    if (f.after) {
      s->Bind(6, f.after->first).Bind(7, f.after->second);
    } else {
      s->BindNull(6).BindNull(7);
    }
    s->Bind(8, static_cast<int64_t>(f.limit));
    std::vector<DocumentRecord> out;
    for (;;) {
      absl::StatusOr<bool> row = s->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(ReadDocument(*s));
    }
    return out;
  }

  absl::Status PutSession(const SessionRecord& r, const HistoryEvent& event) override {
    return writes_.Run([&](SqliteDb&) { return InsertSession(r, event); });
  }

  absl::StatusOr<SessionRecord> GetSession(const std::string& id) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    return GetSessionIn(reader->db(), id);
  }

  absl::StatusOr<RegisterEntry> AllocateNumber(const RegisterEntry& entry,
                                               const HistoryEvent& event) override {
    RegisterEntry allocated;
    // Unsynced: the number reaches nobody before a synced commit that follows it (the session
    // prepared with it, the seal's revision, or its voiding); a power loss that undoes it undoes
    // those too, and the number is then simply given again. Saves one WAL fsync per seal.
    absl::Status st = writes_.Run(
        [&](SqliteDb& db) -> absl::Status {
          absl::StatusOr<RegisterEntry> next = InsertNextNumber(db, entry);
          if (!next.ok()) return next.status();
          allocated = *std::move(next);
          HistoryEvent numbered = event;
          numbered.detail =
              absl::StrCat("number ", allocated.number, "/", allocated.year, ", ", event.detail);
          return InsertEvent(numbered);
        },
        SqliteTransaction::Sync::kUnsynced);
    if (!st.ok()) return st;
    return allocated;
  }

  absl::Status VoidNumber(const std::string& agency, int year, int number,
                          const std::string& reason) override {
    return writes_.Run(
        [&](SqliteDb& db) { return VoidAllocated(db, agency, year, number, reason); });
  }

  absl::StatusOr<std::vector<RegisterEntry>> ListRegister(const RegisterFilter& filter) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    return SelectRegister(reader->db(), filter);
  }

  absl::StatusOr<DocumentRecord> CompleteSession(const std::string& session_id,
                                                 const RevisionRecord& revision,
                                                 const HistoryEvent& event,
                                                 const std::optional<LevelRecord>& level) override {
    Signed out;
    absl::Status st = writes_.Run([&](SqliteDb& db) -> absl::Status {
      absl::StatusOr<SessionRecord> session = GetSessionIn(db, session_id);
      if (!session.ok()) return session.status();
      if (absl::Status open = domain::CheckSessionOpen(*session); !open.ok()) return open;
      auto s = db.Prepare(
          "UPDATE sessions SET completed_revision = ?2 "
          "WHERE id = ?1 AND completed_revision = 0 AND superseded_by = ''");
      absl::Status closed =
          s.ok() ? s->Bind(1, session_id).Bind(2, static_cast<int64_t>(revision.number)).Run()
                 : s.status();
      if (!closed.ok()) return closed;
      if (db.Changes() != 1) return RowsChanged("closing signingSessions/" + session_id, db);
      const SignatureCommit commit{session->document_id, session->base_revision, session->from,
                                   session->to, session_id};
      return WriteSignature(commit, revision, event, level, out);
    });
    return Published(st, out);
  }

  absl::StatusOr<DocumentRecord> AddSignature(const SignatureCommit& commit,
                                              const RevisionRecord& revision,
                                              const HistoryEvent& event,
                                              const std::optional<LevelRecord>& level) override {
    Signed out;
    absl::Status st =
        writes_.Run([&](SqliteDb&) { return WriteSignature(commit, revision, event, level, out); });
    return Published(st, out);
  }

  absl::Status PutLevel(const LevelRecord& record) override {
    return writes_.Run([&](SqliteDb& db) { return UpsertLevel(db, record); });
  }

  absl::StatusOr<std::optional<LevelRecord>> GetLevel(const std::string& document_id) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    return SelectLevel(reader->db(), document_id);
  }

  absl::StatusOr<std::optional<LevelRecord>> ClaimDueLevel(int64_t now_ms, const std::string& owner,
                                                           int64_t claim_until_ms) override {
    std::optional<LevelRecord> out;
    absl::Status st = writes_.Run([&](SqliteDb& db) -> absl::Status {
      absl::StatusOr<std::optional<LevelRecord>> claimed =
          ClaimLevel(db, now_ms, owner, claim_until_ms);
      if (!claimed.ok()) return claimed.status();
      out = *std::move(claimed);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<DocumentRecord> AddLevelRevision(const RevisionRecord& revision,
                                                  const std::vector<DocumentState>& allowed,
                                                  const LevelRecord& record,
                                                  const HistoryEvent& event) override {
    DocumentRecord out;
    absl::Status st = writes_.Run([&](SqliteDb& db) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(db, revision.document_id);
      if (!doc.ok()) return doc.status();
      if (std::find(allowed.begin(), allowed.end(), doc->state) == allowed.end() ||
          doc->latest_revision != revision.number - 1) {
        return Error(ErrorCode::kTransitionInvalid,
                     absl::StrCat("the document is in state ", static_cast<int>(doc->state),
                                  " at revision ", doc->latest_revision));
      }
      absl::Status written = InsertRevision(revision);
      if (written.ok()) {
        written = UpdateDocument(doc->id, doc->state, revision.number, event.time_ms);
      }
      if (written.ok()) written = UpsertLevel(db, record);
      if (written.ok()) written = InsertEvent(event);
      out = *std::move(doc);
      out.latest_revision = revision.number;
      out.update_time_ms = event.time_ms;
      return written;
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<std::vector<LevelRecord>> ListLevels(const LevelFilter& filter) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    return SelectLevels(reader->db(), filter);
  }

  absl::StatusOr<int64_t> CountPendingUpgrades() override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    return CountPending(reader->db());
  }

  absl::StatusOr<std::vector<std::string>> ListDocumentsWithoutLevel(int limit) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    return SelectDocumentsWithoutLevel(reader->db(), limit);
  }

  absl::StatusOr<std::vector<PrintJob>> ListPrintJobs(const std::string& desk,
                                                      int64_t after_sequence, int limit) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    return SelectPendingJobs(reader->db(), desk, after_sequence, limit);
  }

  void WaitForPrintJobs(int64_t after_sequence, int64_t max_wait_ms) override {
    std::unique_lock lock(jobs_mu_);
    jobs_cv_.wait_for(lock, std::chrono::milliseconds(max_wait_ms),
                      [&] { return newest_job_ > after_sequence; });
  }

  absl::StatusOr<PrintOutcome> RecordPrint(const PrintRecord& print,
                                           const std::vector<DocumentState>& allowed_from,
                                           DocumentState to, const HistoryEvent& event) override {
    PrintOutcome out;
    absl::Status st = writes_.Run([&](SqliteDb& db) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(db, print.document_id);
      if (!doc.ok()) return doc.status();
      auto known = SelectPrint(db, print.document_id, print.print_id);
      if (!known.ok()) return known.status();
      if (known->has_value()) {
        out = PrintOutcome{*doc, **known, false};
        return absl::OkStatus();
      }
      if (std::find(allowed_from.begin(), allowed_from.end(), doc->state) == allowed_from.end()) {
        return Error(ErrorCode::kTransitionInvalid,
                     absl::StrCat("state ", static_cast<int>(doc->state)));
      }
      if (print.revision > doc->latest_revision || print.revision <= 0) {
        return Error(ErrorCode::kTransitionInvalid,
                     absl::StrCat("revision ", print.revision, " is not the latest (",
                                  doc->latest_revision, ")"));
      }
      // The worker's upgrades and renewals after it hold the same signatures.
      if (absl::Status st = CheckOnlyLevelRevisionsAfter(db, doc->id, print.revision); !st.ok()) {
        return st;
      }
      absl::StatusOr<int64_t> job = NewestPendingJob(db, print.document_id);
      if (!job.ok()) return job.status();
      if (*job == 0) {
        return Error(ErrorCode::kTransitionInvalid,
                     "no print is pending for this document (ask for a reprint)");
      }
      PrintRecord recorded = print;
      recorded.job_sequence = *job;
      absl::Status written = InsertPrint(db, recorded);
      if (written.ok() && doc->state != to) {
        written = UpdateDocument(doc->id, to, doc->latest_revision, event.time_ms);
      }
      if (written.ok()) written = InsertEvent(event);
      doc->state = to;
      doc->update_time_ms = event.time_ms;
      out = PrintOutcome{*std::move(doc), recorded, true};
      return written;
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<PrintFailureOutcome> RecordPrintFailure(
      const PrintRecord& failure, const std::vector<DocumentState>& allowed_from,
      const HistoryEvent& event) override {
    PrintFailureOutcome out;
    absl::Status st = writes_.Run([&](SqliteDb& db) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(db, failure.document_id);
      if (!doc.ok()) return doc.status();
      auto known = SelectPrint(db, failure.document_id, failure.print_id);
      if (!known.ok()) return known.status();
      if (known->has_value()) {
        out = PrintFailureOutcome{*std::move(doc), **known, PrintJob{}, false};
        return absl::OkStatus();
      }
      if (std::find(allowed_from.begin(), allowed_from.end(), doc->state) == allowed_from.end()) {
        return Error(ErrorCode::kTransitionInvalid,
                     absl::StrCat("state ", static_cast<int>(doc->state)));
      }
      if (failure.revision > doc->latest_revision || failure.revision <= 0) {
        return Error(ErrorCode::kTransitionInvalid,
                     absl::StrCat("revision ", failure.revision, " is not the latest (",
                                  doc->latest_revision, ")"));
      }
      // The worker's upgrades and renewals after it hold the same signatures.
      if (absl::Status st = CheckOnlyLevelRevisionsAfter(db, doc->id, failure.revision); !st.ok()) {
        return st;
      }
      absl::StatusOr<int64_t> newest = NewestPendingJob(db, failure.document_id);
      if (!newest.ok()) return newest.status();
      if (*newest == 0) {
        return Error(ErrorCode::kTransitionInvalid, "no print is pending for this document");
      }
      absl::StatusOr<std::optional<PrintJob>> failed_job = SelectJob(db, *newest);
      if (!failed_job.ok()) return failed_job.status();
      PrintRecord recorded = failure;
      recorded.status = PrintStatus::kFailed;
      recorded.job_sequence = *newest;
      if (absl::Status written = InsertPrint(db, recorded); !written.ok()) return written;
      // The retry keeps the job's reason (a reprint stays a reprint) and names this failure.
      absl::StatusOr<PrintJob> retry =
          InsertPrintJob(db, failure.document_id, *failed_job ? (*failed_job)->reason : "",
                         event.actor, event.time_ms, recorded.print_id);
      if (!retry.ok()) return retry.status();
      out = PrintFailureOutcome{*std::move(doc), recorded, *std::move(retry), true};
      return InsertEvent(event);
    });
    if (!st.ok()) return st;
    if (out.recorded) AnnounceJob(out.retry.sequence);  // committed: a woken watcher finds it
    return out;
  }

  absl::StatusOr<PrintJob> AddReprintJob(const std::string& document_id,
                                         const std::vector<DocumentState>& allowed_from,
                                         const std::string& reason,
                                         const HistoryEvent& event) override {
    PrintJob job;
    absl::Status st = writes_.Run([&](SqliteDb& db) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(db, document_id);
      if (!doc.ok()) return doc.status();
      if (std::find(allowed_from.begin(), allowed_from.end(), doc->state) == allowed_from.end()) {
        return Error(ErrorCode::kTransitionInvalid,
                     absl::StrCat("state ", static_cast<int>(doc->state)));
      }
      absl::StatusOr<PrintJob> queued =
          InsertPrintJob(db, document_id, reason, event.actor, event.time_ms);
      if (!queued.ok()) return queued.status();
      job = *std::move(queued);
      return InsertEvent(event);
    });
    if (!st.ok()) return st;
    AnnounceJob(job.sequence);  // committed: a woken watcher finds it
    return job;
  }

  absl::StatusOr<std::vector<PrintRecord>> ListPrints(const std::string& document_id) override {
    absl::StatusOr<SqliteReaders::Lease> reader = readers_.Borrow();
    if (!reader.ok()) return reader.status();
    return SelectPrints(reader->db(), document_id);
  }

  absl::StatusOr<DocumentRecord> Transition(const std::string& id,
                                            const std::vector<DocumentState>& allowed_from,
                                            DocumentState to, const HistoryEvent& event) override {
    DocumentRecord out;
    absl::Status st = writes_.Run([&](SqliteDb& db) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(db, id);
      if (!doc.ok()) return doc.status();
      bool allowed = false;
      for (DocumentState s : allowed_from) allowed = allowed || doc->state == s;
      if (!allowed) {
        return Error(ErrorCode::kTransitionInvalid,
                     absl::StrCat("state ", static_cast<int>(doc->state)));
      }
      absl::Status written = UpdateDocument(id, to, doc->latest_revision, event.time_ms);
      if (written.ok()) written = InsertEvent(event);
      out = *std::move(doc);
      out.state = to;
      out.update_time_ms = event.time_ms;
      return written;
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<DocumentRecord> Withdraw(const std::string& id,
                                          const std::vector<DocumentState>& allowed_from,
                                          const Withdrawal& withdrawal,
                                          const HistoryEvent& event) override {
    DocumentRecord out;
    absl::Status st = writes_.Run([&](SqliteDb& db) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(db, id);
      if (!doc.ok()) return doc.status();
      if (std::find(allowed_from.begin(), allowed_from.end(), doc->state) == allowed_from.end()) {
        return Error(ErrorCode::kTransitionInvalid,
                     absl::StrCat("state ", static_cast<int>(doc->state)));
      }
      absl::Status written =
          UpdateDocument(id, DocumentState::kWithdrawn, doc->latest_revision, withdrawal.time_ms);
      if (written.ok()) written = MarkWithdrawn(db, id, withdrawal.reason, withdrawal.time_ms);
      if (written.ok()) {
        written = ClosePendingJobs(db, id, withdrawal.reason, withdrawal.actor, withdrawal.time_ms);
      }
      if (written.ok()) written = InsertEvent(event);
      out = *std::move(doc);
      out.state = DocumentState::kWithdrawn;
      out.update_time_ms = withdrawal.time_ms;
      return written;
    });
    if (!st.ok()) return st;
    return out;
  }

 private:
  absl::Status InsertDocument(const DocumentRecord& d, const RevisionRecord& draft,
                              const HistoryEvent& event) {
    auto insert = db_.Prepare(absl::StrCat("INSERT INTO documents (", kDocumentColumns,
                                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                                           "?11, ?12, ?13, ?14)"));
    if (!insert.ok()) return insert.status();
    insert->Bind(1, d.id)
        .Bind(2, d.kind)
        .Bind(3, d.dossier_code)
        .Bind(4, d.request_id)
        .Bind(5, d.request_hash)
        .Bind(6, d.procedure)
        .Bind(7, d.desk)
        .Bind(8, d.title)
        .Bind(9, d.data_json)
        .Bind(10, static_cast<int64_t>(d.state))
        .Bind(11, d.create_time_ms)
        .Bind(12, d.update_time_ms)
        .Bind(13, static_cast<int64_t>(d.latest_revision));
    if (d.verification_code.empty()) {
      insert->BindNull(14);
    } else {
      insert->Bind(14, d.verification_code);
    }
    absl::Status st = insert->Run();
    if (st.ok()) st = InsertRevision(draft);
    if (st.ok()) st = InsertEvent(event);
    return st;
  }

  absl::Status InsertSession(const SessionRecord& r, const HistoryEvent& event) {
    auto s = db_.Prepare(
        "INSERT INTO sessions (id, document_id, base_revision, from_state, to_state, purpose, "
        "prepared_json, prepared_sha256, signer, create_time, expire_time, completed_revision) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0)");
    if (!s.ok()) return s.status();
    s->Bind(1, r.id)
        .Bind(2, r.document_id)
        .Bind(3, static_cast<int64_t>(r.base_revision))
        .Bind(4, static_cast<int64_t>(r.from))
        .Bind(5, static_cast<int64_t>(r.to))
        .Bind(6, static_cast<int64_t>(r.purpose))
        .Bind(7, r.prepared_json)
        .Bind(8, r.prepared_sha256)
        .Bind(9, r.signer)
        .Bind(10, r.create_time_ms)
        .Bind(11, r.expire_time_ms);
    absl::Status st = s->Run();
    if (!st.ok()) return st;
    // Only the newest preparation may complete: an earlier one completed after it would sign
    // what the newer one replaced (at the seal, a number the register has voided).
    auto supersede = db_.Prepare(
        "UPDATE sessions SET superseded_by = ?1 WHERE document_id = ?2 AND purpose = ?3 "
        "AND id <> ?1 AND completed_revision = 0 AND superseded_by = ''");
    if (!supersede.ok()) return supersede.status();
    st = supersede->Bind(1, r.id)
             .Bind(2, r.document_id)
             .Bind(3, static_cast<int64_t>(r.purpose))
             .Run();
    if (st.ok()) st = InsertEvent(event);
    return st;
  }

  // The lookups below run on `db`: the writer's connection inside its transactions, a reader's
  // otherwise.
  static absl::StatusOr<std::optional<DocumentRecord>> FindByRequestIn(
      SqliteDb& db, const std::string& dossier_code, const std::string& request_id) {
    auto s =
        db.Prepare(absl::StrCat("SELECT ", kDocumentColumns,
                                " FROM documents WHERE dossier_code = ?1 AND request_id = ?2"));
    if (!s.ok()) return s.status();
    s->Bind(1, dossier_code).Bind(2, request_id);
    absl::StatusOr<bool> row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<DocumentRecord>();
    return std::optional<DocumentRecord>(ReadDocument(*s));
  }

  static absl::StatusOr<DocumentRecord> GetDocumentIn(SqliteDb& db, const std::string& id) {
    auto s = db.Prepare(absl::StrCat("SELECT ", kDocumentColumns, " FROM documents WHERE id = ?1"));
    if (!s.ok()) return s.status();
    s->Bind(1, id);
    absl::StatusOr<bool> row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Error(ErrorCode::kDocumentNotFound, "documents/" + id);
    return ReadDocument(*s);
  }

  static absl::StatusOr<SessionRecord> GetSessionIn(SqliteDb& db, const std::string& id) {
    auto s = db.Prepare(
        "SELECT id, document_id, base_revision, from_state, to_state, purpose, prepared_json, "
        "prepared_sha256, signer, create_time, expire_time, completed_revision, superseded_by "
        "FROM sessions WHERE id = ?1");
    if (!s.ok()) return s.status();
    s->Bind(1, id);
    absl::StatusOr<bool> row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Error(ErrorCode::kSessionNotFound, "signingSessions/" + id);
    SessionRecord r;
    r.id = s->Text(0);
    r.document_id = s->Text(1);
    r.base_revision = static_cast<int>(s->Int(2));
    r.from = static_cast<DocumentState>(s->Int(3));
    r.to = static_cast<DocumentState>(s->Int(4));
    r.purpose = static_cast<RevisionPurpose>(s->Int(5));
    r.prepared_json = s->Text(6);
    r.prepared_sha256 = s->Text(7);
    r.signer = s->Text(8);
    r.create_time_ms = s->Int(9);
    r.expire_time_ms = s->Int(10);
    r.completed_revision = static_cast<int>(s->Int(11));
    r.superseded_by = s->Text(12);
    return r;
  }

  absl::Status InsertRevision(const RevisionRecord& r) {
    auto s = db_.Prepare(
        "INSERT INTO revisions (document_id, number, purpose, sha256, size, signer, create_time) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!s.ok()) return s.status();
    return s->Bind(1, r.document_id)
        .Bind(2, static_cast<int64_t>(r.number))
        .Bind(3, static_cast<int64_t>(r.purpose))
        .Bind(4, r.sha256)
        .Bind(5, r.size)
        .Bind(6, r.signer)
        .Bind(7, r.create_time_ms)
        .Run();
  }

  absl::Status InsertEvent(const HistoryEvent& e) {
    auto s = db_.Prepare(
        "INSERT INTO history (document_id, time, actor, action, detail, revision) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!s.ok()) return s.status();
    return s->Bind(1, e.document_id)
        .Bind(2, e.time_ms)
        .Bind(3, e.actor)
        .Bind(4, e.action)
        .Bind(5, e.detail)
        .Bind(6, static_cast<int64_t>(e.revision))
        .Run();
  }

  absl::Status UpdateDocument(const std::string& id, DocumentState state, int latest_revision,
                              int64_t time_ms) {
    auto s = db_.Prepare(
        "UPDATE documents SET state = ?2, latest_revision = ?3, update_time = ?4 WHERE id = ?1");
    if (!s.ok()) return s.status();
    absl::Status st = s->Bind(1, id)
                          .Bind(2, static_cast<int64_t>(state))
                          .Bind(3, static_cast<int64_t>(latest_revision))
                          .Bind(4, time_ms)
                          .Run();
    if (!st.ok()) return st;
    if (db_.Changes() != 1) return RowsChanged("updating documents/" + id, db_);
    return absl::OkStatus();
  }

  // A write that must change exactly one row changed another number: the transaction is undone
  // rather than committed half-done.
  static absl::Status RowsChanged(const std::string& what, SqliteDb& db) {
    return Error(ErrorCode::kInternal,
                 absl::StrCat(what, ": ", db.Changes(), " rows changed where one must"));
  }

  // What a signature's transaction leaves for after its commit.
  struct Signed {
    DocumentRecord doc;
    int64_t job = 0;  // the print job queued for a sealed document, else 0
  };

  // The part of a signature's transaction CompleteSession and AddSignature share (inside
  // writes_.Run): checks the document is where the signature was prepared, adds the revision,
  // moves the document on, marks the number issued, queues a sealed document for printing.
  absl::Status WriteSignature(const SignatureCommit& commit, const RevisionRecord& revision,
                              const HistoryEvent& event, const std::optional<LevelRecord>& level,
                              Signed& out) {
    absl::StatusOr<DocumentRecord> doc = GetDocumentIn(db_, commit.document_id);
    if (!doc.ok()) return doc.status();
    if (doc->state != commit.from || doc->latest_revision != commit.base_revision ||
        revision.number != commit.base_revision + 1) {
      return Error(ErrorCode::kTransitionInvalid,
                   "the document changed since this signature was prepared");
    }
    absl::Status st = InsertRevision(revision);
    if (st.ok()) st = UpdateDocument(doc->id, commit.to, revision.number, event.time_ms);
    // The level record with its revision (before the checks that may still undo both).
    if (st.ok() && level) st = UpsertLevel(db_, *level);
    if (st.ok()) st = MarkIssued(db_, commit.signing_id, event.time_ms);
    // A sealed document is ready for the print station of its desk, in the same transaction.
    if (st.ok() && commit.to == DocumentState::kSealed) {
      absl::StatusOr<PrintJob> queued =
          InsertPrintJob(db_, doc->id, "", event.actor, event.time_ms);
      st = queued.status();
      if (queued.ok()) out.job = queued->sequence;
    }
    if (st.ok()) st = InsertEvent(event);
    out.doc = *std::move(doc);
    out.doc.state = commit.to;
    out.doc.latest_revision = revision.number;
    out.doc.update_time_ms = event.time_ms;
    return st;
  }

  // After a signature's transaction: its document, and its print job announced once committed.
  absl::StatusOr<DocumentRecord> Published(const absl::Status& committed, Signed& out) {
    if (!committed.ok()) return committed;
    if (out.job != 0) AnnounceJob(out.job);
    return std::move(out.doc);
  }

  // Wakes WatchReady callers; after the commit, so a woken reader finds the job.
  void AnnounceJob(int64_t sequence) {
    {
      std::lock_guard lock(jobs_mu_);
      newest_job_ = std::max(newest_job_, sequence);
    }
    jobs_cv_.notify_all();
  }

  const LocalDir local_;  // held (LOCK) while the store is open
  const std::string dir_;
  std::mutex jobs_mu_;  // guards newest_job_
  std::condition_variable jobs_cv_;
  int64_t newest_job_ = 0;
  SqliteDb db_;  // the one writing connection: used only inside writes_.Run
  GroupCommit writes_{db_};
  SqliteReaders readers_;  // for the lookups outside transactions: they wait for no writer
  const BlobFiles blobs_;
  std::atomic<uint64_t> counter_{0};
  std::mutex size_mu_;  // guards what Size counted so far, and up to which rowids
  StoreSize size_;
  int64_t size_documents_rowid_ = 0;
  int64_t size_revisions_rowid_ = 0;
};

// Creates the database file 0600 when missing, before SQLite does (with the umask's mode), and
// checks it and any -wal/-shm beside it.
absl::Status PrivateDatabase(const std::string& path) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open", path);
  struct stat info {};
  const int stat_rc = fstat(fd, &info);
  close(fd);
  if (stat_rc != 0) return Errno("stat", path);
  absl::Status st = CheckPrivate(path, info, "chmod 600");
  for (const char* suffix : {"-wal", "-shm"}) {
    if (!st.ok()) break;
    const std::string beside = path + suffix;
    if (lstat(beside.c_str(), &info) == 0) st = CheckPrivate(beside, info, "chmod 600");
  }
  return st;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& dir) {
  absl::StatusOr<LocalDir> local = LocalDir::Open(dir);
  if (!local.ok()) return local.status();
  absl::StatusOr<BlobFiles> blobs = BlobFiles::Open(dir + "/blobs");
  if (!blobs.ok()) return blobs.status();
  if (absl::Status st = PrivateDatabase(dir + "/taicho.db"); !st.ok()) return st;
  absl::StatusOr<SqliteDb> db = SqliteDb::Open(dir + "/taicho.db");
  if (!db.ok()) return db.status();
  // WAL lets readers go on while a writer commits; FULL syncs the WAL at every commit, so an
  // acknowledged change survives power loss, not only a crash of the process. Temporary data in
  // memory: each writer's SAVEPOINT (store/group_commit.h) keeps the pages it changes in a
  // sub-journal, otherwise a file created in /var/tmp and deleted again for every write.
  absl::Status st = db->Exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
      "PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY;");
  if (st.ok()) st = db->Exec(SchemaSql(SqlDialect::kSqlite));
  if (st.ok()) st = AddLaterColumns(*db);
  if (st.ok()) st = BackfillPrintJobs(*db);
  if (st.ok()) st = SyncDirectory(dir);
  if (!st.ok()) return st;
  return std::make_unique<SqliteStore>(*std::move(local), *std::move(db), *std::move(blobs));
}

}  // namespace taicho::store
