// Private to store/: the register of issued documents in SQLite (see Store::AllocateNumber).
// Each function runs inside the caller's transaction, under the caller's lock.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace taicho::store {

// The table is in store/schema.h.
absl::StatusOr<RegisterEntry> InsertNextNumber(SqliteDb& db, const RegisterEntry& entry);
absl::Status VoidAllocated(SqliteDb& db, const std::string& agency, int year, int number,
                           const std::string& reason);
// The number allocated to the session, if any, becomes issued at `time_ms`. kSessionSuperseded
// when that number is no longer allocated (voided: prepared again, or its signing abandoned), so a
// document never carries a number the register does not show as issued to it.
absl::Status MarkIssued(SqliteDb& db, const std::string& session_id, int64_t time_ms);
// The document's issued number (if any: its data may carry its own) becomes kWithdrawn with the
// reason and time. The number stays in the register, never given again.
absl::Status MarkWithdrawn(SqliteDb& db, const std::string& document_id, const std::string& reason,
                           int64_t time_ms);
absl::StatusOr<std::vector<RegisterEntry>> SelectRegister(SqliteDb& db,
                                                          const RegisterFilter& filter);

}  // namespace taicho::store
