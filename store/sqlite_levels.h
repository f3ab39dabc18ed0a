// Private to store/: the level records in SQLite (see LevelStore). Each function runs inside the
// caller's transaction (or, for the reads, on a reader connection).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace taicho::store {

// The table is in store/schema.h.

absl::Status UpsertLevel(SqliteDb& db, const LevelRecord& record);
absl::StatusOr<std::optional<LevelRecord>> SelectLevel(SqliteDb& db, const std::string& id);
// LevelStore::ClaimDueLevel's selection and claim (the caller's one writer serialises claims).
absl::StatusOr<std::optional<LevelRecord>> ClaimLevel(SqliteDb& db, int64_t now_ms,
                                                      const std::string& owner,
                                                      int64_t claim_until_ms);
absl::StatusOr<std::vector<LevelRecord>> SelectLevels(SqliteDb& db, const LevelFilter& filter);
absl::StatusOr<int64_t> CountPending(SqliteDb& db);
absl::StatusOr<std::vector<std::string>> SelectDocumentsWithoutLevel(SqliteDb& db, int limit);
// OK when no revision after `number` of the document adds a signature (only the worker's
// kLevelUpgrade / kArchiveRenewal ones may follow it); kTransitionInvalid otherwise.
absl::Status CheckOnlyLevelRevisionsAfter(SqliteDb& db, const std::string& id, int number);

}  // namespace taicho::store
