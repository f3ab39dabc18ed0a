// Private to store/: the lock under which the PostgreSQL store (store/pg_store.cc) and the
// migration from SQLite (store/pg_migrate.cc) apply the tables (SchemaSql(SqlDialect::kPostgres),
// store/schema.h): pg_advisory_xact_lock(kPgSchemaLock) inside the transaction, so instances
// starting together take turns.
#pragma once

#include <cstdint>

namespace taicho::store {

inline constexpr int64_t kPgSchemaLock = 0x7461696368'01;

}  // namespace taicho::store
