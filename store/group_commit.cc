#include "store/group_commit.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::store {
namespace {

// `work`'s status, or an error for what it threw (an allocation failing inside a write): the
// writer's savepoint is then rolled back like any failed writer's, and the group goes on. Left
// to unwind, it would leave its half-done changes in the transaction the next writer commits,
// and this group's writers waiting for a commit no one makes.
absl::Status RunWork(GroupCommit::Work work, SqliteDb& db) {
  try {
    return work(db);
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInternal, absl::StrCat("store write failed: ", e.what()));
  }
}

}  // namespace

void GroupCommit::Finish(absl::Status status) {
  open_.reset();  // rolls back unless committed
  std::shared_ptr<Group> group = std::move(group_);
  group->done = true;
  group->status = std::move(status);
  group->committed.notify_all();
}

absl::Status GroupCommit::Run(Work work, SqliteTransaction::Sync sync) {
  arriving_.fetch_add(1);
  std::unique_lock lock(mu_);
  arriving_.fetch_sub(1);
  const bool first = !open_.has_value();
  if (first) {
    auto group = std::make_shared<Group>();  // before BEGIN: nothing to undo should it throw
    absl::StatusOr<SqliteTransaction> tx = SqliteTransaction::Begin(db_, sync);
    if (!tx.ok()) return tx.status();
    open_.emplace(*std::move(tx));
    group_ = std::move(group);
  }
  const std::shared_ptr<Group> group = group_;
  ++group->joined;

  absl::Status mine = db_.Run("SAVEPOINT writer");
  if (mine.ok()) {
    mine = RunWork(work, db_);
    if (sqlite3_get_autocommit(db_.get())) {
      // SQLite rolled the whole transaction back itself (a full disk, an I/O error): the
      // group's earlier changes went with it.
      const absl::Status lost =
          mine.ok() ? Error(ErrorCode::kIo, "the store's transaction was rolled back") : mine;
      Finish(lost);
      return lost;
    }
    absl::Status ended = mine.ok() ? db_.Run("RELEASE writer") : db_.Run("ROLLBACK TO writer");
    if (ended.ok() && !mine.ok()) ended = db_.Run("RELEASE writer");
    if (!ended.ok()) {
      Finish(ended);
      return ended;
    }
  }

  // Another writer is queued for the lock: it joins this transaction and decides in turn. An
  // unsynced writer that opened the transaction commits it at once (no group waits on it).
  const bool unsynced_alone = first && sync == SqliteTransaction::Sync::kUnsynced;
  if (!unsynced_alone && arriving_.load() > 0 && group->joined < kMaxGroup) {
    if (!mine.ok()) return mine;  // nothing of ours to wait for
    group->committed.wait(lock, [&] { return group->done; });
    return group->status;
  }
  absl::Status committed = open_->Commit();
  commits_.fetch_add(1);
  Finish(committed);
  return mine.ok() ? committed : mine;
}

}  // namespace taicho::store
