#include "store/sqlite_db.h"

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::store {
namespace {

absl::Status SqliteError(sqlite3* db, int rc, const std::string& what) {
  const std::string detail =
      absl::StrCat("SQLite ", what, ": ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  // Full disks and I/O failures are the operator's to fix, not bugs.
  const int primary = rc & 0xff;
  if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN ||
      primary == SQLITE_READONLY || primary == SQLITE_BUSY) {
    return Error(ErrorCode::kIo, detail);
  }
  return Error(ErrorCode::kInternal, detail);
}

}  // namespace

void SqliteStatement::Check(int rc) {
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = SqliteError(db_, rc, "bind");
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view text) {
  Check(sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT));
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  Check(sqlite3_bind_int64(stmt_.get(), index, value));
  return *this;
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  Check(sqlite3_bind_null(stmt_.get(), index));
  return *this;
}

absl::StatusOr<bool> SqliteStatement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, "step");
}

absl::Status SqliteStatement::Run() {
  for (;;) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

int64_t SqliteStatement::Int(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

std::string SqliteStatement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column)));
}

absl::StatusOr<SqliteDb> SqliteDb::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDb db(raw);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) return SqliteError(raw, rc, "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

StatementCache::~StatementCache() {
  for (auto& [sql, statements] : idle_) {
    for (sqlite3_stmt* stmt : statements) sqlite3_finalize(stmt);
  }
}

sqlite3_stmt* StatementCache::Take(std::string_view sql) {
  auto it = idle_.find(sql);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  sqlite3_stmt* stmt = it->second.back();
  it->second.pop_back();
  return stmt;
}

void StatementCache::Put(sqlite3_stmt* stmt) {
  // A failed last step is reported by sqlite3_reset again; the caller saw it already.
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  const char* sql = sqlite3_sql(stmt);
  auto it = sql != nullptr ? idle_.find(std::string_view(sql)) : idle_.end();
  if (it == idle_.end() && sql != nullptr && idle_.size() < kMaxSql) {
    it = idle_.emplace(sql, std::vector<sqlite3_stmt*>{}).first;
  }
  if (it == idle_.end() || it->second.size() >= kMaxIdlePerSql) {
    sqlite3_finalize(stmt);
    return;
  }
  it->second.push_back(stmt);
}

absl::StatusOr<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  if (sqlite3_stmt* cached = statements_->Take(sql)) {
    return SqliteStatement(db_.get(), cached, statements_.get());
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  // Only a statement that is the whole text can be found again by its text.
  const bool whole = tail == sql.data() + sql.size();
  SqliteStatement statement(db_.get(), stmt, whole ? statements_.get() : nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "prepare");
  return statement;
}

absl::Status SqliteDb::Run(std::string_view sql) {
  absl::StatusOr<SqliteStatement> statement = Prepare(sql);
  return statement.ok() ? statement->Run() : statement.status();
}

absl::Status SqliteDb::Exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // the same text is in sqlite3_errmsg
  if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "exec");
  return absl::OkStatus();
}

absl::Status SqliteTransaction::SetSync(SqliteDb& db, Sync sync) {
  return db.Run(sync == Sync::kFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

absl::StatusOr<SqliteTransaction> SqliteTransaction::Begin(SqliteDb& db, Sync sync) {
  if (sync != Sync::kFull) {
    absl::Status st = SetSync(db, sync);
    if (!st.ok()) return st;
  }
  // Run (cached) rather than Exec'd: parsed once per connection, not per write.
  absl::Status st = db.Run("BEGIN IMMEDIATE");
  if (!st.ok()) {
    if (sync != Sync::kFull) (void)SetSync(db, Sync::kFull);
    return st;
  }
  return SqliteTransaction(&db, sync);
}

SqliteTransaction::~SqliteTransaction() {
  // Nothing to report from a destructor: a failed rollback leaves SQLite to roll back the
  // journal itself on the next open.
  if (open_) (void)db_->Exec("ROLLBACK");
  // Every other transaction on this connection is synced; a failure to say so again would
  // show at the next statement.
  if (sync_ != Sync::kFull) (void)SetSync(*db_, Sync::kFull);
}

absl::Status SqliteTransaction::Commit() {
  absl::Status st = db_->Run("COMMIT");
  if (st.ok()) open_ = false;
  if (st.ok() && sync_ != Sync::kFull) {
    st = SetSync(*db_, Sync::kFull);
    sync_ = Sync::kFull;
  }
  return st;
}

}  // namespace taicho::store
