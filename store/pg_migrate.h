// `taichod migrate`: copies an SQLite store (store/sqlite_store.h) into a PostgreSQL store
// (store/pg_store.h) — documents, revisions with their PDFs (each file's SHA-256 checked against
// its name before it is copied), sessions, history, the register, the print queue and prints —
// in one PostgreSQL transaction: all of it or nothing. Rows keep their keys and sequences (a
// print station's cursor stays valid); the register's counters continue after the highest
// number copied. Running it again copies nothing more. The SQLite store is held (its LOCK) while
// it runs, so no taichod may use it meanwhile.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace taicho::store {

struct MigrationCounts {
  // Per table ("blobs", "documents", …): rows in the SQLite store, and rows newly written into
  // PostgreSQL (0 for all of them when run again).
  std::map<std::string, int64_t> read;
  std::map<std::string, int64_t> copied;
};

// kIo when either store cannot be opened; kInternal when a PDF does not match its SHA-256 or is
// missing (nothing is copied then); kUsage when the PostgreSQL store holds documents the SQLite
// store does not have (it is in use: copying sequences into it could collide).
absl::StatusOr<MigrationCounts> MigrateSqliteToPg(const std::string& sqlite_dir,
                                                  const std::string& pg_url);

}  // namespace taicho::store
