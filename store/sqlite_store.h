// The embedded store: SQLite in WAL mode (synchronous=FULL: a commit that returned is on disk)
// for metadata, sessions and history, and content-addressed PDF files beside it. Writes that
// arrive together share one transaction and one fsync (store/group_commit.h).
//
// Layout of `dir`: taicho.db (+ -wal, -shm), blobs/ab/<sha256>.pdf, scratch/ (work files, emptied
// at open), LOCK (held with flock while open: one process per store directory).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace taicho::store {

// Creates `dir` and the database if missing, applies the schema, and empties scratch/. kIo when
// the directory cannot be used or another process holds it.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& dir);

}  // namespace taicho::store
