// Thin RAII over the SQLite C API: a connection, prepared statements, and a transaction that rolls
// back unless committed. Errors become kInternal / kIo statuses naming SQLite's message. Not
// thread-safe: the owner serialises use of one connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace taicho::store {

// A connection's prepared statements kept for reuse, by SQL text. Compiling the SQL again for
// every call was ~12% of taichod's CPU per server-side seal (bench/seal_load.sh, perf): the store
// runs the same few dozen statements over and over. Idle statements are reset (no lock held, no
// bindings kept). Not thread-safe, like the connection it belongs to.
class StatementCache {
 public:
  StatementCache() = default;
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  ~StatementCache();

  // An idle statement for `sql`, or null (then the caller prepares one).
  sqlite3_stmt* Take(std::string_view sql);
  // Resets `stmt` and keeps it for the next Take of its SQL (finalizes it when the cache is full).
  void Put(sqlite3_stmt* stmt);

 private:
  static constexpr size_t kMaxSql = 256;       // distinct statements
  static constexpr size_t kMaxIdlePerSql = 4;  // the same statement open several times at once
  std::map<std::string, std::vector<sqlite3_stmt*>, std::less<>> idle_;
};

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
  // Back to the connection's cache when there is one, else finalized.
  struct Release {
    StatementCache* cache = nullptr;
    void operator()(sqlite3_stmt* s) const {
      if (cache != nullptr) {
        cache->Put(s);
      } else {
        sqlite3_finalize(s);
      }
    }
  };
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, StatementCache* cache)
      : db_(db), stmt_(stmt, Release{cache}) {}
  void Check(int rc);

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Release> stmt_;
  absl::Status bind_status_;
};

class SqliteDb {
 public:
  // Opens (creating) the database file.
  static absl::StatusOr<SqliteDb> Open(const std::string& path);

  absl::StatusOr<SqliteStatement> Prepare(std::string_view sql);
  // Runs one or more statements that return no rows of interest.
  absl::Status Exec(const std::string& sql);
  // Runs one statement that returns no rows, prepared once and kept (for the few the store runs
  // for every write: BEGIN, COMMIT, savepoints, the sync level).
  absl::Status Run(std::string_view sql);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int Changes() const { return sqlite3_changes(db_.get()); }

  sqlite3* get() const { return db_.get(); }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit SqliteDb(sqlite3* db) : db_(db), statements_(std::make_unique<StatementCache>()) {}
  std::unique_ptr<sqlite3, Close> db_;
  // Declared after db_: its statements are finalized before the connection closes. A pointer so
  // that statements handed out keep a stable cache when the SqliteDb is moved.
  std::unique_ptr<StatementCache> statements_;
};

// BEGIN IMMEDIATE on construction (writers queue here, not at their first write); ROLLBACK on
// destruction unless Commit() succeeded.
class SqliteTransaction {
 public:
  enum class Sync {
    kFull,  // the commit is on disk when Commit returns (the connection's setting)
    // The commit does not wait for the disk (synchronous=NORMAL for this transaction only). In
    // WAL mode it still survives the process being killed; a power loss may undo it, but only
    // with every later commit up to the next synced one (the WAL is replayed in order, as a
    // prefix). For a change acknowledged to nobody until a synced commit builds on it.
    kUnsynced,
  };
  static absl::StatusOr<SqliteTransaction> Begin(SqliteDb& db, Sync sync = Sync::kFull);
  SqliteTransaction(SqliteTransaction&& other) noexcept
      : db_(other.db_), open_(other.open_), sync_(other.sync_) {
    other.open_ = false;
    other.sync_ = Sync::kFull;
  }
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  ~SqliteTransaction();

  absl::Status Commit();

 private:
  SqliteTransaction(SqliteDb* db, Sync sync) : db_(db), open_(true), sync_(sync) {}
  // SQLite refuses to change the level inside a transaction: set before BEGIN, reset after
  // the end.
  static absl::Status SetSync(SqliteDb& db, Sync sync);
  SqliteDb* db_;
  bool open_;
  Sync sync_;
};

}  // namespace taicho::store
