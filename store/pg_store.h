// The shared store: PostgreSQL (libpqxx) for everything — documents, revisions' PDF bytes (bytea),
// sessions, the register, the print queue, the history — so that several taichod instances on
// one database share nothing else. Each mutating call is one transaction, committed with
// synchronous_commit on (set on every connection): when it returns OK the change is in the
// server's WAL on disk (and on a synchronous standby if the server has one).
//
// Several instances at once (design in README, "Store"):
// - Every change of a document locks its row (SELECT … FOR UPDATE) first, so checks and writes of
//   one document are serialised across instances, and no transaction locks two documents.
// - An issue number comes from register_counters (agency, year): one upsert that increments the
//   row under its lock inside the allocating transaction. A transaction that rolls back gives its
//   number back with it; a voided number keeps its row and reason; none is ever given twice
//   (the register's primary key is the last line of defence).
// - Print jobs get their sequence under a transaction-scoped advisory lock held to the commit, so
//   sequences become visible in increasing order and stay a safe cursor; the commit NOTIFYs
//   channel taicho_print_jobs, which a dedicated LISTEN connection per instance turns into
//   WaitForPrintJobs wake-ups (no polling).
// - Deadlocks and serialisation failures are retried; a connection lost before the commit is
//   retried on a new one; lost during the commit, the call fails with kIo (outcome unknown).
//
// `dir` on this machine holds scratch files and a cache of blobs (content-addressed, never
// changed, so a cached file is never stale); it is private to the service user and held by one
// process (store/local_dir.h). Thread-safe; connections come from a pool (at most kMaxConnections).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace taicho::store {

// Connects to `url` (libpq URI "postgresql://user@host/db?…"), applies the schema (idempotent;
// instances starting together take turns through an advisory lock), starts the LISTEN thread.
// kIo when the server cannot be reached or refuses; `url` is never repeated in an error (it may
// carry a password).
absl::StatusOr<std::unique_ptr<Store>> OpenPgStore(const std::string& url, const std::string& dir);

}  // namespace taicho::store
