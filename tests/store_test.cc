// The embedded store on its own: its files and their modes, its upgrades, one process per
// directory, what a crash in the middle of a write leaves behind, its statements and group
// commit. What every store does (documents, sessions, the register, blobs) is tested against
// each store in store_contract_test.cc.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <optional>
#include <thread>
#include <vector>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "store/group_commit.h"
#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/store_records.h"

namespace taicho::store {
namespace {

using testing::MakeTempDir;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("store");
    auto store = OpenSqliteStore(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // A draft document with its revision 1, as the workflow stores it.
  DocumentRecord AddDraft(int n, int64_t time = 1000) {
    return testing::AddSampleDraft(*store_, n, time);
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

// Size counts only the rows added since its last call: the sum must still be the whole store's,
// across reopening (a new store counts from the start).
TEST_F(StoreTest, SizeCountsDocumentsAndRevisionBytesAsTheyGrow) {
  auto size = store_->Size();
  ASSERT_TRUE(size.ok() && size->has_value()) << size.status();
  EXPECT_EQ((*size)->documents, 0);
  EXPECT_EQ((*size)->revision_bytes, 0);
  AddDraft(1);
  AddDraft(2);
  size = store_->Size();
  ASSERT_TRUE(size.ok() && size->has_value());
  EXPECT_EQ((*size)->documents, 2);
  EXPECT_EQ((*size)->revision_bytes, 24);  // AddDraft's revisions say 12 bytes each
  size = store_->Size();                   // nothing new
  ASSERT_TRUE(size.ok() && size->has_value());
  EXPECT_EQ((*size)->documents, 2);
  AddDraft(3);
  AddDraft(3);  // the same dossier and request again: no new document
  size = store_->Size();
  ASSERT_TRUE(size.ok() && size->has_value());
  EXPECT_EQ((*size)->documents, 3);
  EXPECT_EQ((*size)->revision_bytes, 36);
  store_.reset();
  auto reopened = OpenSqliteStore(dir_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  size = (*reopened)->Size();
  ASSERT_TRUE(size.ok() && size->has_value());
  EXPECT_EQ((*size)->documents, 3);
  EXPECT_EQ((*size)->revision_bytes, 36);
  EXPECT_TRUE((*reopened)->ProbeWritable().ok());
  // The work directory replaced by a file: nothing can be written there, even by root.
  const std::string scratch = dir_ + "/scratch";
  std::filesystem::remove_all(scratch);
  std::ofstream(scratch) << "not a directory";
  absl::Status probe = (*reopened)->ProbeWritable();
  EXPECT_TRUE(HasCode(probe, ErrorCode::kIo)) << probe;
  EXPECT_NE(probe.message().find("cannot create"), std::string::npos) << probe;
}

// A store directory whose database an older taichod made: `sql` run on a new database file,
// its mode as taichod sets it.
std::string MakeOldStore(const std::string& prefix, const std::string& sql) {
  const std::string dir = MakeTempDir(prefix);
  auto db = SqliteDb::Open(dir + "/taicho.db");
  EXPECT_TRUE(db.ok()) << db.status();
  if (db.ok()) {
    EXPECT_TRUE(db->Exec(sql).ok()) << sql;
  }
  EXPECT_EQ(chmod((dir + "/taicho.db").c_str(), 0600), 0);
  return dir;
}

// A store made before sessions had superseded_by gains the column when opened.
TEST(StoreUpgrade, SessionsGainSupersededBy) {
  const std::string dir =
      MakeOldStore("store-v1",
                   "CREATE TABLE sessions (id TEXT PRIMARY KEY, document_id TEXT NOT NULL, "
                   "base_revision INTEGER NOT NULL, from_state INTEGER NOT NULL, to_state "
                   "INTEGER NOT NULL, purpose INTEGER NOT NULL, prepared_json TEXT NOT NULL, "
                   "prepared_sha256 TEXT NOT NULL, signer TEXT NOT NULL, create_time INTEGER "
                   "NOT NULL, expire_time INTEGER NOT NULL, completed_revision INTEGER NOT "
                   "NULL DEFAULT 0); "
                   "INSERT INTO sessions VALUES ('old', 'd', 1, 1, 2, 2, '{}', 'x', 'CN=A', "
                   "1, 2, 0);");
  auto store = OpenSqliteStore(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  auto old = (*store)->GetSession("old");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->superseded_by, "");
}

// The public page's lookup goes through the unique index, not a scan (the lookup's behaviour is
// in store_contract_test).
TEST_F(StoreTest, VerificationCodesAreFoundThroughTheUniqueIndex) {
  // The lookup uses the unique index, not a scan.
  auto db = SqliteDb::Open(dir_ + "/taicho.db");
  ASSERT_TRUE(db.ok());
  auto plan =
      db->Prepare("EXPLAIN QUERY PLAN SELECT id FROM documents WHERE verification_code = 'x'");
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(*plan->Step());
  EXPECT_NE(plan->Text(3).find("documents_by_verification_code"), std::string::npos)
      << plan->Text(3);
}

TEST(StoreUpgrade, DocumentsGainTheVerificationCode) {
  const std::string dir =
      MakeOldStore("store-before-codes",
                   "CREATE TABLE documents (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
                   "dossier_code TEXT NOT NULL, request_id TEXT NOT NULL, request_hash TEXT "
                   "NOT NULL, procedure TEXT NOT NULL, desk TEXT NOT NULL, title TEXT NOT "
                   "NULL, data_json TEXT NOT NULL, state INTEGER NOT NULL, create_time "
                   "INTEGER NOT NULL, update_time INTEGER NOT NULL, latest_revision INTEGER "
                   "NOT NULL, UNIQUE (dossier_code, request_id)); "
                   "INSERT INTO documents VALUES ('old', 'k', 'HS', 'r', 'h', '', '', 't', "
                   "'{}', 3, 1, 1, 3);");
  for (int open = 0; open < 2; ++open) {  // the upgrade runs at every open, adding nothing twice
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    auto old = (*store)->GetDocument("old");
    ASSERT_TRUE(old.ok()) << old.status();
    EXPECT_EQ(old->verification_code, "");
  }
}

// What a store's database holds, as text: every schema entry (type, name, table, its SQL as
// SQLite keeps it) and, with `rows`, every row of every table in rowid order. Two stores read
// alike only when their tables, columns, types, defaults, indexes and rows are the same.
std::string DumpDatabase(const std::string& path, bool rows) {
  auto db = SqliteDb::Open(path);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return "";
  std::string out;
  std::vector<std::string> tables;
  auto schema = db->Prepare(
      "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name");
  EXPECT_TRUE(schema.ok()) << schema.status();
  while (schema.ok() && *schema->Step()) {
    out += schema->Text(0) + " " + schema->Text(1) + " on " + schema->Text(2) + ":\n" +
           schema->Text(3) + "\n";
    if (schema->Text(0) == "table") tables.push_back(schema->Text(1));
  }
  for (const std::string& table : rows ? tables : std::vector<std::string>{}) {
    std::string row = "''";
    auto columns = db->Prepare("SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid");
    EXPECT_TRUE(columns.ok()) << columns.status();
    while (columns.ok() && *columns->Step()) row += " || '|' || quote(" + columns->Text(0) + ")";
    auto select = db->Prepare("SELECT " + row + " FROM " + table + " ORDER BY rowid");
    EXPECT_TRUE(select.ok()) << select.status();
    out += "rows of " + table + ":\n";
    while (select.ok() && *select->Step()) out += select->Text(0) + "\n";
  }
  return out;
}

// Compares `actual` with tests/golden/`name`; TAICHO_UPDATE_GOLDEN=1 writes it instead.
void ExpectGoldenText(const std::string& name, const std::string& actual) {
  const std::string golden = taicho::testing::SourceDir() + "/tests/golden/" + name;
  if (std::getenv("TAICHO_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << actual;
    return;
  }
  EXPECT_EQ(actual, taicho::testing::ReadFileBytes(golden)) << "golden: " << golden;
}

// Issue 20: the SQLite schema is rendered from the description both stores share
// (store/schema.h). A database made by the first schema (tests/golden/sqlite-store-v1.db: the
// version-1 tables of sqlite_store.cc, made with the sqlite3 shell, two documents, a session,
// history) must open and migrate exactly as it did before that change: the golden files were
// written by the code before it. A new store gets the same schema as the migrated one.
TEST(StoreUpgrade, TheFirstSchemaMigratesExactlyAsBefore) {
  const std::string dir = MakeTempDir("store-v1-file");
  std::filesystem::copy_file(taicho::testing::SourceDir() + "/tests/golden/sqlite-store-v1.db",
                             dir + "/taicho.db");
  ASSERT_EQ(chmod((dir + "/taicho.db").c_str(), 0600), 0);
  for (int open = 0; open < 2; ++open) {  // a second open changes nothing
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    auto sealed = (*store)->GetDocument("doc-sealed");
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    EXPECT_EQ(sealed->verification_code, "");
    auto session = (*store)->GetSession("sess-1");
    ASSERT_TRUE(session.ok()) << session.status();
    EXPECT_EQ(session->superseded_by, "");
  }
  ExpectGoldenText("sqlite-store-v1-migrated.txt", DumpDatabase(dir + "/taicho.db", true));

  const std::string fresh = MakeTempDir("store-new");
  ASSERT_TRUE(OpenSqliteStore(fresh).ok());
  EXPECT_EQ(DumpDatabase(fresh + "/taicho.db", false), DumpDatabase(dir + "/taicho.db", false));
}

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

// Issue 21: the store holds citizens' names and addresses. Opened under a usual umask (022) its
// directory is 0700 and its files 0600, the WAL and shared-memory files included.
TEST(StorePermissions, PrivateWhateverTheUmask) {
  const mode_t old_umask = umask(022);
  const std::string dir = MakeTempDir("store-modes") + "/store";
  {
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    DocumentRecord d = testing::SampleRecord(1, 1000);
    auto sha = (*store)->PutBlob(testing::ScratchFile(**store, "%PDF private"));
    ASSERT_TRUE(sha.ok()) << sha.status();
    ASSERT_TRUE((*store)
                    ->CreateDocument(d, {d.id, 1, RevisionPurpose::kDraft, *sha, 12, "", 1000},
                                     {d.id, 1000, "test", "created", "", 1})
                    .ok());
    EXPECT_EQ(ModeOf(dir), 0700u);
    EXPECT_EQ(ModeOf(dir + "/scratch"), 0700u);
    EXPECT_EQ(ModeOf(dir + "/blobs"), 0700u);
    for (const char* file : {"/taicho.db", "/taicho.db-wal", "/taicho.db-shm", "/LOCK"}) {
      EXPECT_EQ(ModeOf(dir + file), 0600u) << file;
    }
  }
  umask(old_umask);
}

// A store others can read is refused (STORE_INSECURE, naming the fix), not opened or fixed.
TEST(StorePermissions, RefusesAStoreOthersCanRead) {
  const std::string dir = MakeTempDir("store-open");
  ASSERT_TRUE(OpenSqliteStore(dir).ok());  // made private by the test support (mkdtemp)
  ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
  auto refused = OpenSqliteStore(dir);
  EXPECT_TRUE(HasCode(refused.status(), ErrorCode::kStoreInsecure)) << refused.status();
  EXPECT_NE(refused.status().message().find("chmod 700"), std::string::npos) << refused.status();
  ASSERT_EQ(chmod(dir.c_str(), 0700), 0);
  for (mode_t mode : {0640, 0604}) {
    ASSERT_EQ(chmod((dir + "/taicho.db").c_str(), mode), 0);
    refused = OpenSqliteStore(dir);
    EXPECT_TRUE(HasCode(refused.status(), ErrorCode::kStoreInsecure)) << refused.status();
  }
  ASSERT_EQ(chmod((dir + "/taicho.db").c_str(), 0600), 0);
  EXPECT_TRUE(OpenSqliteStore(dir).ok());
}

TEST_F(StoreTest, OneProcessPerDirectoryAndReopenKeepsEverything) {
  DocumentRecord d = AddDraft(1);
  auto second = OpenSqliteStore(dir_);
  EXPECT_TRUE(HasCode(second.status(), ErrorCode::kIo)) << second.status();
  const std::string leftover = testing::ScratchFile(*store_, "half-written");
  store_.reset();
  auto reopened = OpenSqliteStore(dir_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto got = (*reopened)->GetDocument(d.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->dossier_code, d.dossier_code);
  struct stat st {};
  EXPECT_NE(stat(leftover.c_str(), &st), 0) << "scratch files are removed at open";
}

// A process killed in the middle of a transaction leaves nothing of it behind.
TEST_F(StoreTest, KilledMidTransactionLeavesNothing) {
  store_.reset();
  // The child says when it has committed some documents (a sync point, not a guess of how long
  // that takes), then goes on writing until the kill lands in the middle of a transaction.
  int committed[2];
  ASSERT_EQ(pipe(committed), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(committed[0]);
    auto store = OpenSqliteStore(dir_);
    if (!store.ok()) _exit(2);
    // Many documents, each its own transaction, until killed.
    for (int i = 1;; ++i) {
      DocumentRecord d = testing::SampleRecord(i, i);
      auto sha = (*store)->PutBlob(testing::ScratchFile(**store, "pdf " + std::to_string(i)));
      if (!sha.ok()) _exit(3);
      (void)(*store)->CreateDocument(d, {d.id, 1, RevisionPurpose::kDraft, *sha, 5, "", i},
                                     {d.id, i, "test", "created", "", 1});
      if (i == 20 && write(committed[1], "c", 1) != 1) _exit(4);
    }
  }
  close(committed[1]);
  char byte = 0;
  ASSERT_EQ(read(committed[0], &byte, 1), 1) << "the writer died before committing";
  close(committed[0]);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  auto store = OpenSqliteStore(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  ListFilter all;
  all.limit = 1'000'000;
  auto docs = (*store)->ListDocuments(all);
  ASSERT_TRUE(docs.ok());
  EXPECT_GT(docs->size(), 0u);
  for (const DocumentRecord& d : *docs) {
    auto revisions = (*store)->ListRevisions(d.id);
    ASSERT_TRUE(revisions.ok());
    ASSERT_EQ(revisions->size(), 1u) << d.id;
    EXPECT_EQ((*store)->ListHistory(d.id)->size(), 1u) << d.id;
    auto path = (*store)->BlobPath(revisions->front().sha256);
    ASSERT_TRUE(path.ok()) << path.status();
    EXPECT_EQ(testing::ReadFileBytes(*path), "pdf " + std::to_string(std::stoi(d.id)));
  }
}

// Statements are reused by their SQL: one still open while the same SQL is prepared again gets a
// statement of its own, a reused one starts with no bindings and no row, and transactions keep
// working on cached BEGIN/COMMIT statements.
TEST(SqliteDbTest, ReusedStatementsStartAfresh) {
  absl::StatusOr<SqliteDb> db = SqliteDb::Open(MakeTempDir("sqlite-db") + "/t.db");
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(db->Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)").ok());
  for (int round = 0; round < 3; ++round) {
    absl::StatusOr<SqliteTransaction> tx = SqliteTransaction::Begin(*db);
    ASSERT_TRUE(tx.ok()) << tx.status();
    auto insert = db->Prepare("INSERT INTO t (k, v) VALUES (?1, ?2)");
    ASSERT_TRUE(insert.ok());
    ASSERT_TRUE(insert->Bind(1, int64_t{round}).Bind(2, "v" + std::to_string(round)).Run().ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  {
    // Left in the middle of its rows: released (reset), not holding the read open.
    auto all = db->Prepare("SELECT k FROM t ORDER BY k");
    ASSERT_TRUE(all.ok());
    ASSERT_TRUE(*all->Step());
    auto again = db->Prepare("SELECT k FROM t ORDER BY k");  // the first is still open
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(*again->Step());
    EXPECT_EQ(again->Int(0), 0);
    ASSERT_TRUE(*all->Step());
    EXPECT_EQ(all->Int(0), 1);
  }
  {
    auto reused = db->Prepare("SELECT k FROM t ORDER BY k");
    ASSERT_TRUE(reused.ok());
    ASSERT_TRUE(*reused->Step());
    EXPECT_EQ(reused->Int(0), 0);  // from the first row again
  }
  {
    auto insert = db->Prepare("INSERT INTO t (k, v) VALUES (?1, ?2)");
    ASSERT_TRUE(insert.ok());
    insert->Bind(1, int64_t{9});  // ?2 not bound again: NULL, not the last call's text
    ASSERT_TRUE(insert->Run().ok());
  }
  auto v = db->Prepare("SELECT v IS NULL FROM t WHERE k = 9");
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(*v->Step());
  EXPECT_EQ(v->Int(0), 1);
  // A rolled back transaction (destroyed uncommitted) leaves BEGIN usable again.
  {
    absl::StatusOr<SqliteTransaction> tx = SqliteTransaction::Begin(*db);
    ASSERT_TRUE(tx.ok());
  }
  absl::StatusOr<SqliteTransaction> tx = SqliteTransaction::Begin(*db);
  ASSERT_TRUE(tx.ok()) << tx.status();
  EXPECT_TRUE(tx->Commit().ok());
}

// An unsynced transaction changes the sync level for itself only: before and after it (committed,
// rolled back, or refused to begin) every commit is synced again; its change is kept like any.
TEST(SqliteDbTest, AnUnsyncedTransactionLeavesTheOthersSynced) {
  absl::StatusOr<SqliteDb> db = SqliteDb::Open(MakeTempDir("sqlite-db") + "/t.db");
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(db->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                       "CREATE TABLE t (k INTEGER PRIMARY KEY)")
                  .ok());
  auto level = [&] {
    auto s = db->Prepare("PRAGMA synchronous");
    EXPECT_TRUE(s.ok() && *s->Step());
    return s.ok() ? s->Int(0) : -1;
  };
  constexpr int64_t kNormal = 1, kFull = 2;
  {
    auto tx = SqliteTransaction::Begin(*db, SqliteTransaction::Sync::kUnsynced);
    ASSERT_TRUE(tx.ok()) << tx.status();
    EXPECT_EQ(level(), kNormal);
    ASSERT_TRUE(db->Exec("INSERT INTO t (k) VALUES (1)").ok());
    ASSERT_TRUE(tx->Commit().ok());
    EXPECT_EQ(level(), kFull);
  }
  {
    auto tx = SqliteTransaction::Begin(*db, SqliteTransaction::Sync::kUnsynced);
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(db->Exec("INSERT INTO t (k) VALUES (2)").ok());
  }  // rolled back
  EXPECT_EQ(level(), kFull);
  {
    auto outer = SqliteTransaction::Begin(*db);
    ASSERT_TRUE(outer.ok());
    // SQLite refuses a second BEGIN (and a level change inside a transaction).
    EXPECT_FALSE(SqliteTransaction::Begin(*db, SqliteTransaction::Sync::kUnsynced).ok());
    EXPECT_EQ(level(), kFull);
  }
  auto rows = db->Prepare("SELECT group_concat(k) FROM t");
  ASSERT_TRUE(rows.ok() && *rows->Step());
  EXPECT_EQ(rows->Text(0), "1");
}

// --- group commit: writers queued together share one transaction and one commit ---

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = MakeTempDir("group-commit") + "/t.db";
    absl::StatusOr<SqliteDb> db = SqliteDb::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_.emplace(*std::move(db));
    ASSERT_TRUE(db_->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                          "PRAGMA foreign_keys = ON; CREATE TABLE t (k INTEGER PRIMARY KEY); "
                          "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child "
                          "(p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)")
                    .ok());
    group_ = std::make_unique<GroupCommit>(*db_);
  }

  static absl::Status Insert(SqliteDb& db, int64_t k) {
    auto s = db.Prepare("INSERT INTO t (k) VALUES (?1)");
    return s.ok() ? s->Bind(1, k).Run() : s.status();
  }

  // The keys another connection sees: committed rows only.
  std::string Committed() {
    absl::StatusOr<SqliteDb> other = SqliteDb::Open(path_);
    if (!other.ok()) return "?";
    auto s =
        other->Prepare("SELECT coalesce(group_concat(k), '') FROM (SELECT k FROM t ORDER BY k)");
    if (!s.ok() || !*s->Step()) return "?";
    return s->Text(0);
  }

  // Writer A runs `a` and, inside it, waits until B and C queue behind it; B and C then run
  // theirs. Returns the three statuses.
  std::array<absl::Status, 3> ThreeQueuedWriters(GroupCommit::Work a, GroupCommit::Work b,
                                                 GroupCommit::Work c) {
    std::array<absl::Status, 3> out;
    std::atomic<bool> a_inside{false};
    std::thread first([&] {
      out[0] = group_->Run([&](SqliteDb& db) {
        a_inside = true;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (group_->arriving() < 2 && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::yield();
        }
        return a(db);
      });
    });
    while (!a_inside) std::this_thread::yield();
    std::thread second([&] { out[1] = group_->Run(b); });
    std::thread third([&] { out[2] = group_->Run(c); });
    first.join();
    second.join();
    third.join();
    return out;
  }

  std::string path_;
  std::optional<SqliteDb> db_;
  std::unique_ptr<GroupCommit> group_;
};

TEST_F(GroupCommitTest, WritersQueuedTogetherShareOneCommit) {
  auto statuses = ThreeQueuedWriters([](SqliteDb& db) { return Insert(db, 1); },
                                     [](SqliteDb& db) { return Insert(db, 2); },
                                     [](SqliteDb& db) { return Insert(db, 3); });
  for (const absl::Status& st : statuses) EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(group_->commits(), 1);
  EXPECT_EQ(Committed(), "1,2,3");
  // Alone, a writer commits at once.
  ASSERT_TRUE(group_->Run([](SqliteDb& db) { return Insert(db, 4); }).ok());
  EXPECT_EQ(group_->commits(), 2);
  EXPECT_EQ(Committed(), "1,2,3,4");
}

TEST_F(GroupCommitTest, AFailedWriterLosesOnlyItsOwnChanges) {
  auto statuses = ThreeQueuedWriters(
      [](SqliteDb& db) { return Insert(db, 1); },
      [](SqliteDb& db) {
        absl::Status st = Insert(db, 2);  // written, then given up: undone
        return st.ok() ? Error(ErrorCode::kTransitionInvalid, "changed meanwhile") : st;
      },
      [](SqliteDb& db) {
        // A constraint error inside a writer's work (the key A wrote) undoes only that work.
        absl::Status st = Insert(db, 3);
        return st.ok() ? Insert(db, 1) : st;
      });
  EXPECT_TRUE(statuses[0].ok()) << statuses[0];
  EXPECT_TRUE(HasCode(statuses[1], ErrorCode::kTransitionInvalid)) << statuses[1];
  EXPECT_FALSE(statuses[2].ok());
  EXPECT_EQ(group_->commits(), 1);
  EXPECT_EQ(Committed(), "1");
}

TEST_F(GroupCommitTest, AWriterThatThrowsFailsAloneAndTheGroupCommits) {
  // B writes, then runs out of memory mid-work: its row is undone, A's and C's land, and
  // nobody waits for ever.
  auto statuses = ThreeQueuedWriters([](SqliteDb& db) { return Insert(db, 1); },
                                     [](SqliteDb& db) -> absl::Status {
                                       absl::Status st = Insert(db, 2);
                                       if (st.ok()) throw std::bad_alloc();
                                       return st;
                                     },
                                     [](SqliteDb& db) { return Insert(db, 3); });
  EXPECT_TRUE(statuses[0].ok()) << statuses[0];
  EXPECT_TRUE(HasCode(statuses[1], ErrorCode::kInternal)) << statuses[1];
  EXPECT_TRUE(statuses[2].ok()) << statuses[2];
  EXPECT_EQ(Committed(), "1,3");
  ASSERT_TRUE(group_->Run([](SqliteDb& db) { return Insert(db, 4); }).ok());
  EXPECT_EQ(Committed(), "1,3,4");
}

TEST_F(GroupCommitTest, AFailedCommitFailsTheWholeGroupAndTheNextStartsClean) {
  // B's row breaks a deferred foreign key: every write succeeds, the COMMIT refuses them all.
  auto statuses =
      ThreeQueuedWriters([](SqliteDb& db) { return Insert(db, 1); },
                         [](SqliteDb& db) { return db.Exec("INSERT INTO child (p) VALUES (99)"); },
                         [](SqliteDb& db) { return Insert(db, 3); });
  for (const absl::Status& st : statuses) EXPECT_FALSE(st.ok());
  EXPECT_EQ(Committed(), "");
  ASSERT_TRUE(group_->Run([](SqliteDb& db) { return Insert(db, 4); }).ok());
  EXPECT_EQ(Committed(), "4");
}

// Many writers at once: every one acknowledged is committed, and they shared commits.
TEST_F(GroupCommitTest, ConcurrentWritersAllLand) {
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int64_t k = t * 1000 + i;
        if (!group_->Run([&](SqliteDb& db) { return Insert(db, k); }).ok()) ++failed;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  absl::StatusOr<SqliteDb> other = SqliteDb::Open(path_);
  ASSERT_TRUE(other.ok());
  auto count = other->Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok() && *count->Step());
  EXPECT_EQ(count->Int(0), kThreads * kEach);
  EXPECT_LE(group_->commits(), kThreads * kEach);
}

}  // namespace
}  // namespace taicho::store
