// Private to store/: writers on the store's one writing connection share transactions. Each
// writer's work runs in a SAVEPOINT of the transaction open at the time; the last of the writers
// that queued together commits it once for all of them, so one WAL write and one fsync serve a
// whole group. While a commit waits for the disk, the writers arriving meanwhile queue and form
// the next group. A writer returns only once the transaction holding its changes is committed —
// nothing is visible to the readers' connections, or acknowledged, before it is on disk.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "store/sqlite_db.h"

namespace taicho::store {

class GroupCommit {
 public:
  explicit GroupCommit(SqliteDb& db) : db_(db) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  using Work = absl::FunctionRef<absl::Status(SqliteDb&)>;

  // Runs `work` on the connection, one writer at a time, and returns once its changes are
  // committed, or the error that kept them out: `work`'s own (its changes undone, the group's
  // kept) or the group's commit's (nothing of the group kept). `work` must not call Run.
  // kUnsynced: a writer that finds no group open commits its own transaction at once without
  // waiting for the disk (see SqliteTransaction::Sync); one that joins a group waits for it.
  absl::Status Run(Work work, SqliteTransaction::Sync sync = SqliteTransaction::Sync::kFull);

  // Commits so far (for tests: fewer than writers when groups formed).
  int64_t commits() const { return commits_.load(); }
  // Writers waiting to join now (for tests).
  int arriving() const { return arriving_.load(); }

 private:
  // The most writers one transaction holds: the first of them waits for no more than this many.
  static constexpr int kMaxGroup = 32;

  struct Group {
    std::condition_variable committed;
    bool done = false;  // guarded by mu_
    absl::Status status;
    int joined = 0;
  };

  // Ends the open transaction with `status` for every writer waiting on it (mu_ held).
  void Finish(absl::Status status);

  SqliteDb& db_;
  std::atomic<int> arriving_{0};
  std::atomic<int64_t> commits_{0};
  std::mutex mu_;                          // guards db_ and what follows
  std::optional<SqliteTransaction> open_;  // the transaction of the group forming now
  std::shared_ptr<Group> group_;
};

}  // namespace taicho::store
