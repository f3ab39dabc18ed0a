// The embedded store: SQLite in WAL mode (synchronous=FULL: a commit that returned is on disk)
// for metadata, sessions and history, and content-addressed PDF files beside it. Writes that
// arrive together share one transaction and one fsync (store/group_commit.h).
//
// Layout of `dir`: taicho.db (+ -wal, -shm), blobs/ab/<sha256>.pdf, scratch/ (work files, emptied
// at open), LOCK (held with flock while open: one process per store directory).
//
// The store holds citizens' names and addresses: `dir` and what the store creates in it are its
// owner's only (directories 0700, files 0600) whatever the umask.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace taicho::store {

// Creates `dir` (0700) and the database (0600; SQLite gives its -wal and -shm the same mode) if
// missing, applies the schema, and empties scratch/. kStoreInsecure when `dir` or the database
// files are not owned by this process's user or others could read them (a store someone opened
// up is refused, not silently closed again: the operator decides); kIo when the directory cannot
// be used or another process holds it.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& dir);

}  // namespace taicho::store
