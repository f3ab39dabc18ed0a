// The print queue in the embedded store: jobs for sealed documents (also for a store made before
// the queue existed), the cursor, idempotent prints and reprints.
#include <string>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "store/sqlite_store.h"
#include "tests/support/pki_fixture.h"

namespace taicho::store {
namespace {

using testing::MakeTempDir;
using testing::Quote;

DocumentRecord Doc(int n, DocumentState state, const std::string& desk) {
  DocumentRecord d;
  std::string id = std::to_string(n);
  d.id = std::string(32 - id.size(), '0') + id;
  d.kind = "quyet-dinh-ubnd";
  d.dossier_code = "HS-" + id;
  d.request_id = "r1";
  d.request_hash = "h";
  d.desk = desk;
  d.title = "QUYẾT ĐỊNH";
  d.data_json = "{}";
  d.state = state;
  d.create_time_ms = d.update_time_ms = 1000 + n;
  d.latest_revision = 1;
  return d;
}

// A document as a store holds it once sealed (written directly: the queue must not depend on
// which call sealed it when the store is upgraded).
void Add(Store& store, const DocumentRecord& d) {
  auto out = store.CreateDocument(
      d, {d.id, 1, RevisionPurpose::kDraft, std::string(64, 'a'), 1, "", d.create_time_ms},
      {d.id, d.create_time_ms, "test", "created", "", 1});
  ASSERT_TRUE(out.ok()) << out.status();
}

PrintRecord Print(const DocumentRecord& d, const std::string& print_id, int64_t time) {
  PrintRecord p;
  p.document_id = d.id;
  p.print_id = print_id;
  p.revision = d.latest_revision;
  p.printer = "q";
  p.copies = 1;
  p.actor = "print-station: CN=x";
  p.time_ms = time;
  return p;
}

const std::vector<DocumentState> kPrintable = {DocumentState::kSealed, DocumentState::kIssued};

TEST(PrintQueueStore, AStoreFromBeforeTheQueueGetsJobsForItsSealedDocuments) {
  const std::string dir = MakeTempDir("store-upgrade");
  {
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    Add(**store, Doc(1, DocumentState::kSealed, "Quầy 1"));
    Add(**store, Doc(2, DocumentState::kApproved, "Quầy 1"));
    Add(**store, Doc(3, DocumentState::kSealed, "Quầy 2"));
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
    EXPECT_EQ((*all)[0].document_id, Doc(1, DocumentState::kSealed, "").id);
    EXPECT_EQ((*all)[1].document_id, Doc(3, DocumentState::kSealed, "").id);
    auto desk1 = (*store)->ListPrintJobs("Quầy 1", 0, 100);
    ASSERT_TRUE(desk1.ok());
    EXPECT_EQ(desk1->size(), 1u);
  }
}

TEST(PrintQueueStore, PrintsAreIdempotentAndAReprintIsANewJob) {
  auto opened = OpenSqliteStore(MakeTempDir("store-prints"));
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  const DocumentRecord sealed = Doc(1, DocumentState::kSealed, "Quầy 1");
  const DocumentRecord draft = Doc(2, DocumentState::kDraft, "Quầy 1");
  Add(store, sealed);
  Add(store, draft);
  // A sealed document written directly has no job until the next open (the upgrade); without a
  // pending job nothing can be recorded as printed.
  EXPECT_TRUE(
      HasCode(store
                  .RecordPrint(Print(sealed, "p1", 5000), kPrintable, DocumentState::kIssued,
                               {sealed.id, 5000, "a", "printed", "", 1})
                  .status(),
              ErrorCode::kTransitionInvalid))
      << "no pending job, no print";
  auto job =
      store.AddReprintJob(sealed.id, kPrintable, "first", {sealed.id, 5000, "a", "x", "", 0});
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(HasCode(
      store.AddReprintJob(draft.id, kPrintable, "no", {draft.id, 5000, "a", "x", "", 0}).status(),
      ErrorCode::kTransitionInvalid));
  // The wrong revision is refused, then the print is recorded once.
  PrintRecord wrong = Print(sealed, "p1", 6000);
  wrong.revision = 7;
  EXPECT_TRUE(HasCode(store
                          .RecordPrint(wrong, kPrintable, DocumentState::kIssued,
                                       {sealed.id, 6000, "a", "printed", "", 7})
                          .status(),
                      ErrorCode::kTransitionInvalid));
  for (int i = 0; i < 2; ++i) {
    auto out = store.RecordPrint(Print(sealed, "p1", 6000 + i), kPrintable, DocumentState::kIssued,
                                 {sealed.id, 6000, "a", "printed", "", 1});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->recorded, i == 0);
    EXPECT_EQ(out->print.time_ms, 6000);  // the first record, not the retry's
    EXPECT_EQ(out->print.job_sequence, job->sequence);
    EXPECT_EQ(out->document.state, DocumentState::kIssued);
  }
  auto pending = store.ListPrintJobs("", 0, 10);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  // A second print id needs a new job; the reprint's job has a higher sequence.
  EXPECT_FALSE(store
                   .RecordPrint(Print(sealed, "p2", 7000), kPrintable, DocumentState::kIssued,
                                {sealed.id, 7000, "a", "printed", "", 1})
                   .ok());
  auto reprint = store.AddReprintJob(sealed.id, {DocumentState::kIssued}, "torn",
                                     {sealed.id, 7000, "a", "reprint_requested", "torn", 0});
  ASSERT_TRUE(reprint.ok());
  EXPECT_GT(reprint->sequence, job->sequence);
  pending = store.ListPrintJobs("Quầy 1", job->sequence, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].reason, "torn");
  ASSERT_TRUE(store
                  .RecordPrint(Print(sealed, "p2", 8000), kPrintable, DocumentState::kIssued,
                               {sealed.id, 8000, "a", "printed", "", 1})
                  .ok());
  auto prints = store.ListPrints(sealed.id);
  ASSERT_TRUE(prints.ok());
  EXPECT_EQ(prints->size(), 2u);
}

TEST(PrintQueueStore, AFailedPrintKeepsTheStateAndQueuesTheJobAgain) {
  auto opened = OpenSqliteStore(MakeTempDir("store-print-failure"));
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  const DocumentRecord sealed = Doc(1, DocumentState::kSealed, "Quầy 1");
  Add(store, sealed);
  auto job = store.AddReprintJob(sealed.id, kPrintable, "", {sealed.id, 5000, "a", "x", "", 0});
  ASSERT_TRUE(job.ok()) << job.status();
  PrintRecord failed = Print(sealed, "f1", 6000);
  failed.status = PrintStatus::kFailed;
  failed.failure_reason = "aborted: Paper jam (media-jam-error)";
  int64_t retry_sequence = 0;
  for (int i = 0; i < 2; ++i) {  // the same report again changes nothing
    auto out = store.RecordPrintFailure(failed, kPrintable,
                                        {sealed.id, 6000, "a", "print_failed", "jam", 1});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->recorded, i == 0);
    EXPECT_EQ(out->document.state, DocumentState::kSealed);
    EXPECT_EQ(out->failure.status, PrintStatus::kFailed);
    EXPECT_EQ(out->failure.job_sequence, job->sequence);
    if (i == 0) {
      retry_sequence = out->retry.sequence;
      EXPECT_GT(out->retry.sequence, job->sequence);
      ASSERT_TRUE(out->retry.last_failure.has_value());
      EXPECT_EQ(out->retry.last_failure->failure_reason, failed.failure_reason);
    }
  }
  // Only the retry is pending; it names the failure.
  auto pending = store.ListPrintJobs("", 0, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].sequence, retry_sequence);
  ASSERT_TRUE((*pending)[0].last_failure.has_value());
  EXPECT_EQ((*pending)[0].last_failure->print_id, "f1");
  EXPECT_EQ((*pending)[0].last_failure->printer, "q");
  // A print id reported failed stays failed (the record comes back as it was).
  auto again = store.RecordPrint(Print(sealed, "f1", 7000), kPrintable, DocumentState::kIssued,
                                 {sealed.id, 7000, "a", "printed", "", 1});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->recorded);
  EXPECT_EQ(again->print.status, PrintStatus::kFailed);
  EXPECT_EQ(again->document.state, DocumentState::kSealed);
  // A new attempt that completes fulfils the retry and issues the document.
  auto printed = store.RecordPrint(Print(sealed, "p2", 8000), kPrintable, DocumentState::kIssued,
                                   {sealed.id, 8000, "a", "printed", "", 1});
  ASSERT_TRUE(printed.ok()) << printed.status();
  EXPECT_EQ(printed->print.job_sequence, retry_sequence);
  EXPECT_EQ(printed->document.state, DocumentState::kIssued);
  auto prints = store.ListPrints(sealed.id);
  ASSERT_TRUE(prints.ok());
  ASSERT_EQ(prints->size(), 2u);
  EXPECT_EQ((*prints)[0].status, PrintStatus::kFailed);
  EXPECT_EQ((*prints)[1].status, PrintStatus::kPrinted);
  pending = store.ListPrintJobs("", 0, 10);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  // Nothing pending: a failure report without a job is refused.
  PrintRecord late = failed;
  late.print_id = "f3";
  EXPECT_TRUE(HasCode(
      store.RecordPrintFailure(late, kPrintable, {sealed.id, 9000, "a", "print_failed", "", 1})
          .status(),
      ErrorCode::kTransitionInvalid));
}

TEST(PrintQueueStore, AStoreFromBeforePrintStatusReadsItsPrintsAsPrinted) {
  const std::string dir = MakeTempDir("store-print-status-upgrade");
  const DocumentRecord sealed = Doc(1, DocumentState::kSealed, "Quầy 1");
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
