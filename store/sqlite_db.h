// Thin RAII over the SQLite C API: a connection, prepared statements, and a transaction that rolls
// back unless committed. Errors become kInternal / kIo statuses naming SQLite's message. Not
// thread-safe: the owner serialises use of one connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace taicho::store {

class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&&) = default;
  SqliteStatement& operator=(SqliteStatement&&) = default;

  // Parameters are 1-based, as in SQL "?1". Text is copied by SQLite.
  SqliteStatement& Bind(int index, std::string_view text);
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& BindNull(int index);

  // One step: true while a row is available, false when done. The first bind or step error is
  // kept and returned here.
  absl::StatusOr<bool> Step();
  // Steps until done (for statements returning no rows).
  absl::Status Run();

  int64_t Int(int column) const;
  std::string Text(int column) const;

 private:
  friend class SqliteDb;
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void Check(int rc);

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  absl::Status bind_status_;
};

class SqliteDb {
 public:
  // Opens (creating) the database file.
  static absl::StatusOr<SqliteDb> Open(const std::string& path);

  absl::StatusOr<SqliteStatement> Prepare(std::string_view sql);
  // Runs one or more statements that return no rows of interest.
  absl::Status Exec(const std::string& sql);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int Changes() const { return sqlite3_changes(db_.get()); }

  sqlite3* get() const { return db_.get(); }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, Close> db_;
};

// BEGIN IMMEDIATE on construction (writers queue here, not at their first write); ROLLBACK on
// destruction unless Commit() succeeded.
class SqliteTransaction {
 public:
  static absl::StatusOr<SqliteTransaction> Begin(SqliteDb& db);
  SqliteTransaction(SqliteTransaction&& other) noexcept : db_(other.db_), open_(other.open_) {
    other.open_ = false;
  }
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  ~SqliteTransaction();

  absl::Status Commit();

 private:
  explicit SqliteTransaction(SqliteDb* db) : db_(db), open_(true) {}
  SqliteDb* db_;
  bool open_;
};

}  // namespace taicho::store
