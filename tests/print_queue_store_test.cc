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

}  // namespace
}  // namespace taicho::store
