// Private to store/: the one description of the stores' tables (store/schema.cc), rendered for
// the SQLite store (store/sqlite_store.cc) and the PostgreSQL store (store/pg_store.cc, and the
// migration from SQLite in store/pg_migrate.cc). A table, a column or an index is written once;
// what differs between the two is a dialect token (integer and key types, autoincrement, bytes,
// the verification code's unset value) or a mark on the item (PostgreSQL only; a column SQLite
// stores gained after their table was made). Also the column lists and the print-job query both
// stores' readers share.
//
// Pure functions of constant data: callable from any thread; nothing owned.
#pragma once

#include <string>
#include <vector>

namespace taicho::store {

enum class SqlDialect { kSqlite, kPostgres };

// The statements that create every table and index of `dialect`; idempotent (CREATE … IF NOT
// EXISTS). SQLite: each table as version 1 made it (the columns it gained later come from
// SqliteLaterColumns, in their order, exactly as older stores gained them), then PRAGMA
// user_version = 1. PostgreSQL: every column, plus ALTER TABLE … ADD COLUMN IF NOT EXISTS for
// those PostgreSQL stores gained later; apply under pg_advisory_xact_lock(kPgSchemaLock).
std::string SchemaSql(SqlDialect dialect);

// A column SQLite stores gained after their table was made. Add it when the table lacks it
// (ALTER TABLE `table` ADD COLUMN `column` `definition`), then run `then` (when not empty) at
// every open: an index on the column, idempotent.
struct LaterColumn {
  std::string table;
  std::string column;
  std::string definition;
  std::string then;
};
std::vector<LaterColumn> SqliteLaterColumns();

// What both stores read, in the order their row readers take the columns.
inline constexpr char kDocumentColumns[] =
    "id, kind, dossier_code, request_id, request_hash, procedure, desk, title, data_json, state, "
    "create_time, update_time, latest_revision, verification_code";
inline constexpr char kSessionColumns[] =
    "id, document_id, base_revision, from_state, to_state, purpose, prepared_json, "
    "prepared_sha256, signer, create_time, expire_time, completed_revision, superseded_by";
inline constexpr char kRegisterColumns[] =
    "agency, year, number, state, document_id, session_id, issue_date, kind, symbol, summary, "
    "signer, sealer, dossier_code, void_reason, allocate_time, issue_time, withdraw_reason, "
    "withdraw_time";
inline constexpr char kPrintColumns[] =
    "document_id, print_id, job_seq, revision, printer, copies, officer, actor, time, status, "
    "failure_reason";

// A print job `j` is pending while no print of its document fulfilled it (a print fulfils every
// job of the document up to the newest one when it was recorded; a failed print closes them the
// same way, and its retry job comes after).
inline constexpr char kPending[] =
    "NOT EXISTS (SELECT 1 FROM prints p WHERE p.document_id = j.document_id AND p.job_seq >= "
    "j.seq)";

// A job's kJobColumnCount columns, then its failed print's kPrintColumns (all NULL when it is not
// a retry); the caller appends WHERE / ORDER BY.
inline constexpr char kJobSelect[] =
    "SELECT j.seq, j.document_id, j.desk, j.revision, j.reason, j.actor, j.time, "
    "f.document_id, f.print_id, f.job_seq, f.revision, f.printer, f.copies, f.officer, f.actor, "
    "f.time, f.status, f.failure_reason "
    "FROM print_jobs j LEFT JOIN prints f ON j.retry_of <> '' AND f.document_id = j.document_id "
    "AND f.print_id = j.retry_of ";
inline constexpr int kJobColumnCount = 7;

}  // namespace taicho::store
