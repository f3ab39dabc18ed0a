// Private to store/: the PostgreSQL store's tables (store/pg_store.cc), shared with the migration
// from SQLite (store/pg_migrate.cc). Apply inside a transaction holding
// pg_advisory_xact_lock(kPgSchemaLock): instances starting together then take turns.
#pragma once

#include <cstdint>

namespace taicho::store {

// Idempotent (CREATE … IF NOT EXISTS).
extern const char kPgSchema[];
inline constexpr int64_t kPgSchemaLock = 0x7461696368'01;

}  // namespace taicho::store
