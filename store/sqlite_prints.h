// Private to store/: the print station's queue and the recorded prints in SQLite (see
// Store::ListPrintJobs, RecordPrint, AddReprintJob). Each function runs inside the caller's
// transaction (when it writes), under the caller's lock.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace taicho::store {

// The tables are in store/schema.h.

// Queues a first print for every SEALED document without a job: a store made before the queue
// existed loses no document to print. Idempotent; run at open.
absl::Status BackfillPrintJobs(SqliteDb& db);

// Queues the document's latest revision (desk from the document); returns the job.
// `retry_of`: the failed print this job offers again (empty for a first print or a reprint).
absl::StatusOr<PrintJob> InsertPrintJob(SqliteDb& db, const std::string& document_id,
                                        const std::string& reason, const std::string& actor,
                                        int64_t time_ms, const std::string& retry_of = "");

absl::StatusOr<std::vector<PrintJob>> SelectPendingJobs(SqliteDb& db, const std::string& desk,
                                                        int64_t after_sequence, int limit);
// The job (pending or not) with this sequence.
absl::StatusOr<std::optional<PrintJob>> SelectJob(SqliteDb& db, int64_t sequence);
// The newest pending job of the document (0 when none).
absl::StatusOr<int64_t> NewestPendingJob(SqliteDb& db, const std::string& document_id);

// Closes the document's pending jobs with `reason` (a withdrawal): recorded in
// print_job_closures, the jobs then never list again (the document's state keeps them out).
absl::Status ClosePendingJobs(SqliteDb& db, const std::string& document_id,
                              const std::string& reason, const std::string& actor, int64_t time_ms);

absl::StatusOr<std::optional<PrintRecord>> SelectPrint(SqliteDb& db, const std::string& document_id,
                                                       const std::string& print_id);
absl::Status InsertPrint(SqliteDb& db, const PrintRecord& print);
absl::StatusOr<std::vector<PrintRecord>> SelectPrints(SqliteDb& db, const std::string& document_id);

}  // namespace taicho::store
