// The print queue in the embedded store, what only SQLite has: a store made before the queue (or
// print status) existed gains it when opened. Prints, reprints and the cursor are the contract of
// every store: store_contract_test.cc.
#include <string>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "store/sqlite_store.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/store_records.h"

namespace taicho::store {
namespace {

using testing::MakeTempDir;
using testing::Quote;

// A document as a store holds it once sealed (written directly: the queue must not depend on
// which call sealed it when the store is upgraded).
void Add(Store& store, const DocumentRecord& d) {
  auto out = store.CreateDocument(
      d, {d.id, 1, RevisionPurpose::kDraft, std::string(64, 'a'), 1, "", d.create_time_ms},
      {d.id, d.create_time_ms, "test", "created", "", 1});
  ASSERT_TRUE(out.ok()) << out.status();
}

TEST(PrintQueueStore, AStoreFromBeforeTheQueueGetsJobsForItsSealedDocuments) {
  const std::string dir = MakeTempDir("store-upgrade");
  {
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    Add(**store, testing::SampleRecord(1, 1001, DocumentState::kSealed, "Quầy 1"));
    Add(**store, testing::SampleRecord(2, 1002, DocumentState::kApproved, "Quầy 1"));
    Add(**store, testing::SampleRecord(3, 1003, DocumentState::kSealed, "Quầy 2"));
  }
  // What an older taichod left: no queue tables at all.
  auto r = testing::Run("sqlite3 " + Quote(dir + "/taicho.db") +
                        " 'DROP TABLE print_jobs; DROP TABLE prints;'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (int open = 0; open < 2; ++open) {  // the upgrade runs at every open, adding nothing twice
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    auto all = (*store)->ListPrintJobs("", 0, 100);
    ASSERT_TRUE(all.ok()) << all.status();
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].document_id, testing::SampleRecord(1, 1001, DocumentState::kSealed, "").id);
    EXPECT_EQ((*all)[1].document_id, testing::SampleRecord(3, 1003, DocumentState::kSealed, "").id);
    auto desk1 = (*store)->ListPrintJobs("Quầy 1", 0, 100);
    ASSERT_TRUE(desk1.ok());
    EXPECT_EQ(desk1->size(), 1u);
  }
}

TEST(PrintQueueStore, AStoreFromBeforePrintStatusReadsItsPrintsAsPrinted) {
  const std::string dir = MakeTempDir("store-print-status-upgrade");
  const DocumentRecord sealed = testing::SampleRecord(1, 1001, DocumentState::kSealed, "Quầy 1");
  {
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    Add(**store, sealed);
  }
  // The tables as the first print queue made them, with one print and one pending reprint.
  auto r = testing::Run(
      "sqlite3 " + Quote(dir + "/taicho.db") +
      " \"DROP TABLE print_jobs; DROP TABLE prints; "
      "CREATE TABLE print_jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, document_id TEXT NOT NULL "
      "REFERENCES documents (id), desk TEXT NOT NULL, revision INTEGER NOT NULL, reason TEXT NOT "
      "NULL, actor TEXT NOT NULL, time INTEGER NOT NULL); "
      "CREATE TABLE prints (document_id TEXT NOT NULL REFERENCES documents (id), print_id TEXT "
      "NOT NULL, job_seq INTEGER NOT NULL, revision INTEGER NOT NULL, printer TEXT NOT NULL, "
      "copies INTEGER NOT NULL, officer TEXT NOT NULL, actor TEXT NOT NULL, time INTEGER NOT "
      "NULL, PRIMARY KEY (document_id, print_id)); "
      "INSERT INTO print_jobs (document_id, desk, revision, reason, actor, time) VALUES ('" +
      sealed.id + "', 'Quầy 1', 1, '', 'a', 2000); INSERT INTO prints VALUES ('" + sealed.id +
      "', 'old', 1, 1, 'q', 1, 'o', 'a', 3000); "
      "INSERT INTO print_jobs (document_id, desk, revision, reason, actor, time) VALUES ('" +
      sealed.id + "', 'Quầy 1', 1, 'torn', 'a', 4000);\"");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (int open = 0; open < 2; ++open) {  // the migration runs at every open, once
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    auto prints = (*store)->ListPrints(sealed.id);
    ASSERT_TRUE(prints.ok()) << prints.status();
    ASSERT_EQ(prints->size(), 1u);
    EXPECT_EQ((*prints)[0].status, PrintStatus::kPrinted);
    EXPECT_EQ((*prints)[0].failure_reason, "");
    auto pending = (*store)->ListPrintJobs("", 0, 10);
    ASSERT_TRUE(pending.ok()) << pending.status();
    ASSERT_EQ(pending->size(), 1u);
    EXPECT_EQ((*pending)[0].reason, "torn");
    EXPECT_FALSE((*pending)[0].last_failure.has_value());
  }
}

}  // namespace
}  // namespace taicho::store
