#include "store/schema.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace taicho::store {
namespace {

// Which stores have an item.
enum class In { kBoth, kPostgres };

// When a column came: with its table, or later (added on open to stores made before).
enum class Since {
  kTable,
  kLaterInSqlite,  // PostgreSQL stores have had it from their start
  kLaterInBoth,    // PostgreSQL stores made before it gain it too
};

struct Column {
  absl::string_view name;
  absl::string_view type;  // with dialect tokens (Tokens)
  Since since = Since::kTable;
};

struct Index {
  absl::string_view text;  // "name ON table (columns)", with dialect tokens
  bool unique = false;
  In in = In::kBoth;
  absl::string_view on_later_column = "";  // SQLite makes it after adding that column
};

struct Table {
  absl::string_view name;
  std::vector<Column> columns;
  absl::string_view key = "";  // the table constraint after the columns, when there is one
  std::vector<Index> indexes = {};
  In in = In::kBoth;
  absl::string_view after = "";  // PostgreSQL only: run after the table and its indexes
};

// The dialect tokens and what each becomes in SQLite and in PostgreSQL.
struct Token {
  absl::string_view token;
  absl::string_view sqlite;
  absl::string_view postgres;
};
constexpr Token kTokens[] = {
    {"{INT64}", "INTEGER", "BIGINT"},
    {"{BOOL}", "INTEGER", "BOOLEAN"},
    {"{BYTES}", "BLOB", "BYTEA"},
    {"{SERIAL_KEY}", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"},
    // Ids and agencies (what lists are ordered by) compare byte by byte, as SQLite compares TEXT,
    // whatever locale the PostgreSQL database was created with.
    {"{KEY_TEXT}", "TEXT", "TEXT COLLATE \"C\""},
    // A document made before verification codes has none: NULL in SQLite (its UNIQUE index allows
    // many NULLs), '' in PostgreSQL (its unique index leaves '' out).
    {"{CODE_TEXT}", "TEXT", "TEXT NOT NULL DEFAULT ''"},
    {"{WHERE_CODE_SET}", "", "\n  WHERE verification_code <> ''"},
};

// PDFs are mostly deflated streams: TOAST's pglz tried each one and stored it uncompressed, ~25%
// of a blob insert's time (130 KB revisions, bench/seal_load.sh notes). EXTERNAL: out of line,
// never compressed. Checked first, so a start does not take the table's lock for nothing.
constexpr char kBlobsExternal[] = R"sql(DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'blobs'::regclass
             AND attname = 'data' AND attstorage <> 'e') THEN
    ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;
  END IF;
END $$;
)sql";

std::vector<Table> Tables() {
  return {
      {"documents",
       {{"id", "{KEY_TEXT} PRIMARY KEY"},
        {"kind", "TEXT NOT NULL"},
        {"dossier_code", "TEXT NOT NULL"},
        {"request_id", "TEXT NOT NULL"},
        {"request_hash", "TEXT NOT NULL"},
        {"procedure", "TEXT NOT NULL"},
        {"desk", "TEXT NOT NULL"},
        {"title", "TEXT NOT NULL"},
        {"data_json", "TEXT NOT NULL"},
        {"state", "INTEGER NOT NULL"},
        {"create_time", "{INT64} NOT NULL"},
        {"update_time", "{INT64} NOT NULL"},
        {"latest_revision", "INTEGER NOT NULL"},
        // The public verification code, unique when set.
        {"verification_code", "{CODE_TEXT}", Since::kLaterInBoth}},
       "UNIQUE (dossier_code, request_id)",
       {{"documents_by_time ON documents (create_time DESC, id DESC)"},
        {"documents_by_verification_code ON documents (verification_code){WHERE_CODE_SET}", true,
         In::kBoth, "verification_code"}}},
      // SQLite keeps blobs as files (store/blob_files.h).
      {"blobs",
       {{"sha256", "TEXT PRIMARY KEY"}, {"size", "{INT64} NOT NULL"}, {"data", "{BYTES} NOT NULL"}},
       "",
       {},
       In::kPostgres,
       kBlobsExternal},
      {"revisions",
       {{"document_id", "TEXT NOT NULL REFERENCES documents (id)"},
        {"number", "INTEGER NOT NULL"},
        {"purpose", "INTEGER NOT NULL"},
        {"sha256", "TEXT NOT NULL"},
        {"size", "{INT64} NOT NULL"},
        {"signer", "TEXT NOT NULL"},
        {"create_time", "{INT64} NOT NULL"}},
       "PRIMARY KEY (document_id, number)"},
      {"sessions",
       {{"id", "TEXT PRIMARY KEY"},
        {"document_id", "TEXT NOT NULL REFERENCES documents (id)"},
        {"base_revision", "INTEGER NOT NULL"},
        {"from_state", "INTEGER NOT NULL"},
        {"to_state", "INTEGER NOT NULL"},
        {"purpose", "INTEGER NOT NULL"},
        {"prepared_json", "TEXT NOT NULL"},
        {"prepared_sha256", "TEXT NOT NULL"},
        {"signer", "TEXT NOT NULL"},
        {"create_time", "{INT64} NOT NULL"},
        {"expire_time", "{INT64} NOT NULL"},
        {"completed_revision", "INTEGER NOT NULL DEFAULT 0"},
        {"superseded_by", "TEXT NOT NULL DEFAULT ''", Since::kLaterInSqlite}},
       "",
       {{"sessions_by_document ON sessions (document_id, purpose)", false, In::kPostgres}}},
      {"history",
       {{"seq", "{SERIAL_KEY}"},
        {"document_id", "TEXT NOT NULL REFERENCES documents (id)"},
        {"time", "{INT64} NOT NULL"},
        {"actor", "TEXT NOT NULL"},
        {"action", "TEXT NOT NULL"},
        {"detail", "TEXT NOT NULL"},
        {"revision", "INTEGER NOT NULL"}},
       "",
       {{"history_by_document ON history (document_id, seq)"}}},
      {"register",
       {{"agency", "{KEY_TEXT} NOT NULL"},
        {"year", "INTEGER NOT NULL"},
        {"number", "INTEGER NOT NULL"},
        {"state", "INTEGER NOT NULL"},
        {"document_id", "TEXT NOT NULL REFERENCES documents (id)"},
        {"session_id", "TEXT NOT NULL"},
        {"issue_date", "TEXT NOT NULL"},
        {"kind", "TEXT NOT NULL"},
        {"symbol", "TEXT NOT NULL"},
        {"summary", "TEXT NOT NULL"},
        {"signer", "TEXT NOT NULL"},
        {"sealer", "TEXT NOT NULL"},
        {"dossier_code", "TEXT NOT NULL"},
        {"void_reason", "TEXT NOT NULL DEFAULT ''"},
        {"allocate_time", "{INT64} NOT NULL"},
        {"issue_time", "{INT64} NOT NULL DEFAULT 0"},
        {"withdraw_reason", "TEXT NOT NULL DEFAULT ''", Since::kLaterInSqlite},
        {"withdraw_time", "{INT64} NOT NULL DEFAULT 0", Since::kLaterInSqlite}},
       // The database itself refuses a second row with a number.
       "PRIMARY KEY (agency, year, number)",
       {{"register_by_session ON register (session_id)"},
        {"register_by_document ON register (document_id, state)"}}},
      // SQLite numbers from the register itself, under its single writer.
      {"register_counters",
       {{"agency", "{KEY_TEXT} NOT NULL"},
        {"year", "INTEGER NOT NULL"},
        {"last_number", "INTEGER NOT NULL"}},
       "PRIMARY KEY (agency, year)",
       {},
       In::kPostgres},
      // seq is AUTOINCREMENT in SQLite: never reused, and (one writer at a time) committed in
      // increasing order, which is what makes it a safe cursor.
      {"print_jobs",
       {{"seq", "{SERIAL_KEY}"},
        {"document_id", "TEXT NOT NULL REFERENCES documents (id)"},
        {"desk", "TEXT NOT NULL"},
        {"revision", "INTEGER NOT NULL"},
        {"reason", "TEXT NOT NULL"},
        {"actor", "TEXT NOT NULL"},
        {"time", "{INT64} NOT NULL"},
        {"retry_of", "TEXT NOT NULL DEFAULT ''", Since::kLaterInSqlite}},
       "",
       {{"print_jobs_by_desk ON print_jobs (desk, seq)"},
        {"print_jobs_by_document ON print_jobs (document_id, seq)"}}},
      {"print_job_closures",
       {{"seq", "{INT64} PRIMARY KEY REFERENCES print_jobs (seq)"},
        {"reason", "TEXT NOT NULL"},
        {"actor", "TEXT NOT NULL"},
        {"time", "{INT64} NOT NULL"}}},
      {"prints",
       {{"document_id", "TEXT NOT NULL REFERENCES documents (id)"},
        {"print_id", "TEXT NOT NULL"},
        {"job_seq", "{INT64} NOT NULL"},
        {"revision", "INTEGER NOT NULL"},
        {"printer", "TEXT NOT NULL"},
        {"copies", "INTEGER NOT NULL"},
        {"officer", "TEXT NOT NULL"},
        {"actor", "TEXT NOT NULL"},
        {"time", "{INT64} NOT NULL"},
        // 1 printed, 2 failed (PrintStatus); a print recorded before the column was printed.
        {"status", "INTEGER NOT NULL DEFAULT 1", Since::kLaterInSqlite},
        {"failure_reason", "TEXT NOT NULL DEFAULT ''", Since::kLaterInSqlite}},
       "PRIMARY KEY (document_id, print_id)"},
      {"levels",
       {{"document_id", "TEXT PRIMARY KEY REFERENCES documents (id)"},
        {"revision", "INTEGER NOT NULL"},
        {"level", "TEXT NOT NULL"},
        {"target_level", "TEXT NOT NULL"},
        {"signature_levels", "TEXT NOT NULL"},
        {"upgrade_pending", "{BOOL} NOT NULL"},
        {"next_attempt", "{INT64} NOT NULL"},
        {"attempts", "INTEGER NOT NULL"},
        {"problem", "TEXT NOT NULL"},
        {"renew_at", "{INT64} NOT NULL"},
        {"update_time", "{INT64} NOT NULL"},
        {"claim_owner", "TEXT NOT NULL DEFAULT ''"},
        {"claim_until", "{INT64} NOT NULL DEFAULT 0"}},
       "",
       {{"levels_pending ON levels (upgrade_pending, next_attempt)"},
        {"levels_renewal ON levels (renew_at)"}}},
  };
}

std::string Render(absl::string_view text, SqlDialect dialect) {
  std::vector<std::pair<absl::string_view, absl::string_view>> replacements;
  for (const Token& t : kTokens) {
    replacements.emplace_back(t.token, dialect == SqlDialect::kSqlite ? t.sqlite : t.postgres);
  }
  return absl::StrReplaceAll(text, replacements);
}

bool InStore(In in, SqlDialect dialect) {
  return in == In::kBoth || dialect == SqlDialect::kPostgres;
}

// Whether `dialect`'s CREATE TABLE has the column (the others come by ALTER TABLE).
bool Created(const Column& c, SqlDialect dialect) {
  return c.since == Since::kTable ||
         (c.since == Since::kLaterInSqlite && dialect == SqlDialect::kPostgres);
}

std::string IndexSql(const Index& index) {
  return absl::StrCat("CREATE ", index.unique ? "UNIQUE " : "", "INDEX IF NOT EXISTS ", index.text,
                      ";\n");
}

}  // namespace

std::string SchemaSql(SqlDialect dialect) {
  std::string sql;
  for (const Table& table : Tables()) {
    if (!InStore(table.in, dialect)) continue;
    std::vector<std::string> lines;
    for (const Column& c : table.columns) {
      if (Created(c, dialect)) lines.push_back(absl::StrCat("  ", c.name, " ", c.type));
    }
    if (!table.key.empty()) lines.push_back(absl::StrCat("  ", table.key));
    absl::StrAppend(&sql, "CREATE TABLE IF NOT EXISTS ", table.name, " (\n",
                    absl::StrJoin(lines, ",\n"), "\n);\n");
    for (const Index& index : table.indexes) {
      if (InStore(index.in, dialect) && index.on_later_column.empty()) {
        absl::StrAppend(&sql, IndexSql(index));
      }
    }
    if (dialect == SqlDialect::kPostgres) {  // PostgreSQL stores made before a column gain it
      for (const Column& c : table.columns) {
        if (Created(c, dialect)) continue;
        absl::StrAppend(&sql, "ALTER TABLE ", table.name, " ADD COLUMN IF NOT EXISTS ", c.name, " ",
                        c.type, ";\n");
      }
      for (const Index& index : table.indexes) {
        if (!index.on_later_column.empty()) absl::StrAppend(&sql, IndexSql(index));
      }
    }
    if (dialect == SqlDialect::kPostgres) absl::StrAppend(&sql, table.after);
  }
  if (dialect == SqlDialect::kSqlite) absl::StrAppend(&sql, "PRAGMA user_version = 1;\n");
  return Render(sql, dialect);
}

std::vector<LaterColumn> SqliteLaterColumns() {
  std::vector<LaterColumn> later;
  for (const Table& table : Tables()) {
    if (!InStore(table.in, SqlDialect::kSqlite)) continue;
    for (const Column& c : table.columns) {
      if (Created(c, SqlDialect::kSqlite)) continue;
      LaterColumn& added = later.emplace_back();
      added.table = std::string(table.name);
      added.column = std::string(c.name);
      added.definition = Render(c.type, SqlDialect::kSqlite);
      for (const Index& index : table.indexes) {
        if (index.on_later_column == c.name)
          added.then = Render(IndexSql(index), SqlDialect::kSqlite);
      }
    }
  }
  return later;
}

}  // namespace taicho::store
