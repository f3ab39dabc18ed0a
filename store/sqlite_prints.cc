#include "store/sqlite_prints.h"

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "store/schema.h"

namespace taicho::store {

namespace {

constexpr char kSealed[] = "3";  // DocumentState::kSealed
// Documents whose jobs are never pending: cancelled (5) or withdrawn (6).
constexpr char kEnded[] = "(5, 6)";

PrintRecord ReadPrint(const SqliteStatement& s, int at = 0) {
  PrintRecord p;
  p.document_id = s.Text(at);
  p.print_id = s.Text(at + 1);
  p.job_sequence = s.Int(at + 2);
  p.revision = static_cast<int>(s.Int(at + 3));
  p.printer = s.Text(at + 4);
  p.copies = static_cast<int>(s.Int(at + 5));
  p.officer = s.Text(at + 6);
  p.actor = s.Text(at + 7);
  p.time_ms = s.Int(at + 8);
  p.status = s.Int(at + 9) == static_cast<int64_t>(PrintStatus::kFailed) ? PrintStatus::kFailed
                                                                         : PrintStatus::kPrinted;
  p.failure_reason = s.Text(at + 10);
  return p;
}

PrintJob ReadJob(const SqliteStatement& s) {
  PrintJob job{s.Int(0),  s.Text(1), s.Text(2), static_cast<int>(s.Int(3)),
               s.Text(4), s.Text(5), s.Int(6),  std::nullopt};
  if (!s.Text(kJobColumnCount + 1).empty()) job.last_failure = ReadPrint(s, kJobColumnCount);
  return job;
}

}  // namespace

absl::Status BackfillPrintJobs(SqliteDb& db) {
  return db.Exec(absl::StrCat(
      "INSERT INTO print_jobs (document_id, desk, revision, reason, actor, time) "
      "SELECT id, desk, latest_revision, '', 'store-upgrade', update_time FROM documents d "
      "WHERE state = ",
      kSealed,
      " AND NOT EXISTS (SELECT 1 FROM print_jobs j WHERE j.document_id = d.id) "
      "ORDER BY update_time, id;"));
}

absl::StatusOr<PrintJob> InsertPrintJob(SqliteDb& db, const std::string& document_id,
                                        const std::string& reason, const std::string& actor,
                                        int64_t time_ms, const std::string& retry_of) {
  auto s = db.Prepare(
      "INSERT INTO print_jobs (document_id, desk, revision, reason, actor, time, retry_of) "
      "SELECT id, desk, latest_revision, ?2, ?3, ?4, ?5 FROM documents WHERE id = ?1 "
      "RETURNING seq");
  if (!s.ok()) return s.status();
  s->Bind(1, document_id).Bind(2, reason).Bind(3, actor).Bind(4, time_ms).Bind(5, retry_of);
  absl::StatusOr<bool> row = s->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Error(ErrorCode::kDocumentNotFound, "documents/" + document_id);
  const int64_t seq = s->Int(0);
  absl::StatusOr<bool> done = s->Step();
  if (!done.ok()) return done.status();
  absl::StatusOr<std::optional<PrintJob>> job = SelectJob(db, seq);
  if (!job.ok()) return job.status();
  if (!job->has_value()) return Error(ErrorCode::kInternal, "print job vanished");
  return **job;
}

absl::StatusOr<std::optional<PrintJob>> SelectJob(SqliteDb& db, int64_t sequence) {
  auto s = db.Prepare(absl::StrCat(kJobSelect, "WHERE j.seq = ?1"));
  if (!s.ok()) return s.status();
  s->Bind(1, sequence);
  absl::StatusOr<bool> row = s->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<PrintJob>();
  return std::optional<PrintJob>(ReadJob(*s));
}

absl::StatusOr<std::vector<PrintJob>> SelectPendingJobs(SqliteDb& db, const std::string& desk,
                                                        int64_t after_sequence, int limit) {
  auto s =
      db.Prepare(absl::StrCat(kJobSelect,
                              "JOIN documents d ON d.id = j.document_id "
                              "WHERE j.seq > ?1 AND (?2 = '' OR j.desk = ?2) AND d.state NOT IN ",
                              kEnded, " AND ", kPending, " ORDER BY j.seq LIMIT ?3"));
  if (!s.ok()) return s.status();
  s->Bind(1, after_sequence).Bind(2, desk).Bind(3, static_cast<int64_t>(limit));
  std::vector<PrintJob> out;
  for (;;) {
    absl::StatusOr<bool> row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadJob(*s));
  }
  return out;
}

absl::StatusOr<int64_t> NewestPendingJob(SqliteDb& db, const std::string& document_id) {
  auto s =
      db.Prepare(absl::StrCat("SELECT MAX(j.seq) FROM print_jobs j WHERE j.document_id = ?1 "
                              "AND ",
                              kPending));
  if (!s.ok()) return s.status();
  s->Bind(1, document_id);
  absl::StatusOr<bool> row = s->Step();
  if (!row.ok()) return row.status();
  return *row ? s->Int(0) : 0;  // MAX of nothing is NULL, read as 0
}

absl::Status ClosePendingJobs(SqliteDb& db, const std::string& document_id,
                              const std::string& reason, const std::string& actor,
                              int64_t time_ms) {
  auto s = db.Prepare(
      absl::StrCat("INSERT OR IGNORE INTO print_job_closures (seq, reason, actor, time) "
                   "SELECT j.seq, ?2, ?3, ?4 FROM print_jobs j WHERE j.document_id = ?1 AND ",
                   kPending));
  if (!s.ok()) return s.status();
  return s->Bind(1, document_id).Bind(2, reason).Bind(3, actor).Bind(4, time_ms).Run();
}

absl::StatusOr<std::optional<PrintRecord>> SelectPrint(SqliteDb& db, const std::string& document_id,
                                                       const std::string& print_id) {
  auto s = db.Prepare(absl::StrCat("SELECT ", kPrintColumns,
                                   " FROM prints WHERE document_id = ?1 AND print_id = ?2"));
  if (!s.ok()) return s.status();
  s->Bind(1, document_id).Bind(2, print_id);
  absl::StatusOr<bool> row = s->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<PrintRecord>();
  return std::optional<PrintRecord>(ReadPrint(*s));
}

absl::Status InsertPrint(SqliteDb& db, const PrintRecord& p) {
  auto s = db.Prepare(absl::StrCat("INSERT INTO prints (", kPrintColumns,
                                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  if (!s.ok()) return s.status();
  return s->Bind(1, p.document_id)
      .Bind(2, p.print_id)
      .Bind(3, p.job_sequence)
      .Bind(4, static_cast<int64_t>(p.revision))
      .Bind(5, p.printer)
      .Bind(6, static_cast<int64_t>(p.copies))
      .Bind(7, p.officer)
      .Bind(8, p.actor)
      .Bind(9, p.time_ms)
      .Bind(10, static_cast<int64_t>(p.status))
      .Bind(11, p.failure_reason)
      .Run();
}

absl::StatusOr<std::vector<PrintRecord>> SelectPrints(SqliteDb& db,
                                                      const std::string& document_id) {
  auto s = db.Prepare(absl::StrCat("SELECT ", kPrintColumns,
                                   " FROM prints WHERE document_id = ?1 ORDER BY time, job_seq"));
  if (!s.ok()) return s.status();
  s->Bind(1, document_id);
  std::vector<PrintRecord> out;
  for (;;) {
    absl::StatusOr<bool> row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadPrint(*s));
  }
  return out;
}

}  // namespace taicho::store
