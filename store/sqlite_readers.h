// Read-only SQLite connections for the store's lookups, so that they do not queue behind the one
// writing connection. In WAL mode a reader needs no lock a writer holds: a GetDocument or
// GetSession now runs while another request's commit waits for its WAL fsync, where with one
// shared connection (and the mutex serialising it) every read waited for every fsync in front of
// it. Each read is one statement in autocommit, so it sees every transaction committed before it
// started (what the single connection gave, too).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/sqlite_db.h"

namespace taicho::store {

class SqliteReaders {
 public:
  // A connection borrowed for one call, given back when the lease ends.
  class Lease {
   public:
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (db_ != nullptr) pool_->GiveBack(std::move(db_));
    }
    SqliteDb& db() { return *db_; }

   private:
    friend class SqliteReaders;
    Lease(SqliteReaders* pool, std::unique_ptr<SqliteDb> db) : pool_(pool), db_(std::move(db)) {}
    SqliteReaders* pool_;
    std::unique_ptr<SqliteDb> db_;
  };

  // `path`: the database, already created (schema applied, WAL mode set) by the writer.
  explicit SqliteReaders(std::string path) : path_(std::move(path)) {}
  SqliteReaders(const SqliteReaders&) = delete;
  SqliteReaders& operator=(const SqliteReaders&) = delete;

  // An idle connection, or a newly opened one when all are busy. Thread-safe.
  absl::StatusOr<Lease> Borrow();

 private:
  // Connections kept open beyond this are closed when given back: a burst does not leave file
  // descriptors and page caches behind.
  static constexpr size_t kMaxIdle = 8;
  void GiveBack(std::unique_ptr<SqliteDb> db);

  const std::string path_;
  std::mutex mu_;  // guards idle_; never held while a connection is used
  std::vector<std::unique_ptr<SqliteDb>> idle_;
};

}  // namespace taicho::store
