#include "store/sqlite_readers.h"

#include <utility>

namespace taicho::store {

absl::StatusOr<SqliteReaders::Lease> SqliteReaders::Borrow() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<SqliteDb> db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(db));
    }
  }
  absl::StatusOr<SqliteDb> db = SqliteDb::Open(path_);
  if (!db.ok()) return db.status();
  // query_only: a read connection that tried to write would be a bug, and fail rather than take
  // the write lock behind the writer's back. busy_timeout as the writer's: a reader waits only
  // while the WAL is being recovered or reset.
  absl::Status st =
      db->Exec("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY;");
  if (!st.ok()) return st;
  return Lease(this, std::make_unique<SqliteDb>(*std::move(db)));
}

void SqliteReaders::GiveBack(std::unique_ptr<SqliteDb> db) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(db));
  // else: closed here, as `db` goes out of scope.
}

}  // namespace taicho::store
