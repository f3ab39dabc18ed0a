#include "store/pg_migrate.h"

#include <fstream>
#include <iterator>
#include <pqxx/pqxx>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "store/blob_files.h"
#include "store/pg_schema.h"
#include "store/schema.h"
#include "store/sqlite_db.h"
#include "store/sqlite_store.h"

namespace taicho::store {
namespace {

// Tables in an order that satisfies the foreign keys, with the columns both stores have.
struct Table {
  const char* name;
  const char* columns;
};
constexpr Table kTables[] = {
    {"documents",
     "id, kind, dossier_code, request_id, request_hash, procedure, desk, title, data_json, state, "
     "create_time, update_time, latest_revision, verification_code"},
    {"revisions", "document_id, number, purpose, sha256, size, signer, create_time"},
    {"sessions",
     "id, document_id, base_revision, from_state, to_state, purpose, prepared_json, "
     "prepared_sha256, signer, create_time, expire_time, completed_revision, superseded_by"},
    {"history", "seq, document_id, time, actor, action, detail, revision"},
    {"register",
     "agency, year, number, state, document_id, session_id, issue_date, kind, symbol, summary, "
     "signer, sealer, dossier_code, void_reason, allocate_time, issue_time, withdraw_reason, "
     "withdraw_time"},
    {"print_jobs", "seq, document_id, desk, revision, reason, actor, time, retry_of"},
    {"print_job_closures", "seq, reason, actor, time"},
    {"prints",
     "document_id, print_id, job_seq, revision, printer, copies, officer, actor, time, status, "
     "failure_reason"},
    // The levels the worker keeps (issue-now-upgrade-later, archival renewal); a claim belongs
    // to the SQLite taichod and is not copied.
    {"levels",
     "document_id, revision, level, target_level, signature_levels, upgrade_pending, "
     "next_attempt, attempts, problem, renew_at, update_time"},
};

int CountColumns(const char* columns) {
  int n = 1;
  for (const char* c = columns; *c != '\0'; ++c) n += *c == ',';
  return n;
}

// Every row of a table as texts (SQLite gives integers as their decimal text; PostgreSQL reads
// them back into the column's type).
absl::StatusOr<std::vector<std::vector<std::string>>> ReadTable(SqliteDb& db, const Table& t) {
  auto s = db.Prepare(absl::StrCat("SELECT ", t.columns, " FROM ", t.name));
  if (!s.ok()) return s.status();
  const int n = CountColumns(t.columns);
  std::vector<std::vector<std::string>> rows;
  for (;;) {
    absl::StatusOr<bool> row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::vector<std::string> values;
    for (int i = 0; i < n; ++i) values.push_back(s->Text(i));
    rows.push_back(std::move(values));
  }
  return rows;
}

// The PDFs rows name: revisions' and prepared sessions'.
absl::StatusOr<std::set<std::string>> NamedBlobs(SqliteDb& db) {
  std::set<std::string> out;
  for (const char* sql :
       {"SELECT DISTINCT sha256 FROM revisions", "SELECT DISTINCT prepared_sha256 FROM sessions"}) {
    auto s = db.Prepare(sql);
    if (!s.ok()) return s.status();
    for (;;) {
      absl::StatusOr<bool> row = s->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.insert(s->Text(0));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<MigrationCounts> MigrateSqliteToPg(const std::string& sqlite_dir,
                                                  const std::string& pg_url) {
  // Opened as taichod opens it: refused while a taichod uses the store (held until the end), and
  // an older store gains the columns copied below.
  absl::StatusOr<std::unique_ptr<Store>> held = OpenSqliteStore(sqlite_dir);
  if (!held.ok()) return held.status();
  absl::StatusOr<SqliteDb> db = SqliteDb::Open(sqlite_dir + "/taicho.db");
  if (!db.ok()) return db.status();
  absl::StatusOr<BlobFiles> blobs = BlobFiles::Open(sqlite_dir + "/blobs");
  if (!blobs.ok()) return blobs.status();

  MigrationCounts counts;
  std::vector<std::vector<std::vector<std::string>>> tables;
  std::set<std::string> sqlite_documents;
  for (const Table& t : kTables) {
    absl::StatusOr<std::vector<std::vector<std::string>>> rows = ReadTable(*db, t);
    if (!rows.ok()) return rows.status();
    counts.read[t.name] = static_cast<int64_t>(rows->size());
    if (std::string(t.name) == "documents") {
      for (const auto& r : *rows) sqlite_documents.insert(r[0]);
    }
    tables.push_back(*std::move(rows));
  }
  absl::StatusOr<std::set<std::string>> named = NamedBlobs(*db);
  if (!named.ok()) return named.status();

  try {
    pqxx::connection conn(pg_url);
    conn.set_variable("synchronous_commit", "on");
    pqxx::work tx(conn);
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kPgSchemaLock);
    tx.exec(SchemaSql(SqlDialect::kPostgres));
    for (const pqxx::row& r : tx.exec("SELECT id FROM documents")) {
      if (sqlite_documents.count(r[0].c_str()) == 0) {
        return Error(ErrorCode::kUsage,
                     absl::StrCat("the PostgreSQL store has documents/", r[0].c_str(),
                                  ", which the SQLite store has not: it is in use, migrate into "
                                  "an empty database / cơ sở dữ liệu đích đang được dùng"));
      }
    }
    // PDFs first, each read and checked against its name.
    counts.read["blobs"] = static_cast<int64_t>(named->size());
    int64_t copied_blobs = 0;
    for (const std::string& sha256 : *named) {
      if (!tx.exec_params("SELECT 1 FROM blobs WHERE sha256 = $1", sha256).empty()) continue;
      absl::StatusOr<std::string> path = blobs->PathOf(sha256);
      if (!path.ok()) return path.status();
      absl::StatusOr<std::string> actual = Sha256OfFile(*path);
      if (!actual.ok()) {
        return Error(ErrorCode::kInternal,
                     absl::StrCat("blob ", sha256, " is missing: ", actual.status().message()));
      }
      if (*actual != sha256) {
        return Error(ErrorCode::kInternal,
                     absl::StrCat("blob ", sha256, " is damaged (its SHA-256 is ", *actual, ")"));
      }
      std::ifstream in(*path, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      tx.exec_params("INSERT INTO blobs (sha256, size, data) VALUES ($1, $2, $3)", sha256,
                     static_cast<int64_t>(bytes.size()), pqxx::binarystring(bytes));
      ++copied_blobs;
    }
    counts.copied["blobs"] = copied_blobs;
    for (size_t i = 0; i < std::size(kTables); ++i) {
      const Table& t = kTables[i];
      std::vector<std::string> placeholders;
      for (int c = 1; c <= CountColumns(t.columns); ++c)
        placeholders.push_back(absl::StrCat("$", c));
      const std::string insert =
          absl::StrCat("INSERT INTO ", t.name, " (", t.columns, ") VALUES (",
                       absl::StrJoin(placeholders, ", "), ") ON CONFLICT DO NOTHING");
      int64_t copied = 0;
      for (const std::vector<std::string>& row : tables[i]) {
        copied += tx.exec_params(insert, pqxx::prepare::make_dynamic_params(row)).affected_rows();
      }
      counts.copied[t.name] = copied;
    }
    // New rows continue after the copied ones.
    tx.exec(
        "SELECT setval(pg_get_serial_sequence('history', 'seq'), "
        "GREATEST((SELECT COALESCE(MAX(seq), 0) FROM history), 1)); "
        "SELECT setval(pg_get_serial_sequence('print_jobs', 'seq'), "
        "GREATEST((SELECT COALESCE(MAX(seq), 0) FROM print_jobs), 1)); "
        "INSERT INTO register_counters (agency, year, last_number) "
        "SELECT agency, year, MAX(number) FROM register GROUP BY agency, year "
        "ON CONFLICT (agency, year) DO UPDATE SET last_number = "
        "GREATEST(register_counters.last_number, EXCLUDED.last_number)");
    tx.commit();
  } catch (const pqxx::broken_connection& e) {
    return Error(ErrorCode::kIo, absl::StrCat("PostgreSQL: ", e.what()));
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInternal, absl::StrCat("PostgreSQL: ", e.what()));
  }
  return counts;
}

}  // namespace taicho::store
