// Issue 19: `taichod migrate` copies an SQLite store into PostgreSQL — every record, the PDFs with
// their SHA-256 checked — and running it again changes nothing; the PostgreSQL store then goes on
// where the SQLite one stopped (numbers, the print stations' cursor).
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "store/pg_migrate.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/store_records.h"

namespace taicho::store {
namespace {

using testing::MakeTempDir;

// An SQLite store with two documents: one sealed (number 2/2026 issued, number 1 voided, a print
// job printed once and reprinted), one draft with an open session.
std::string MakeSqliteStore() {
  const std::string dir = MakeTempDir("sqlite-source") + "/store";
  auto opened = OpenSqliteStore(dir);
  EXPECT_TRUE(opened.ok()) << opened.status();
  Store& s = **opened;
  auto blob = [&](const std::string& bytes) {
    const std::string path = s.NewScratchPath(".pdf");
    std::ofstream(path, std::ios::binary) << bytes;
    auto sha = s.PutBlob(path);
    EXPECT_TRUE(sha.ok()) << sha.status();
    return *sha;
  };
  for (int n = 1; n <= 2; ++n) {
    DocumentRecord d = testing::SampleRecord(n, 1000 + n);
    d.data_json = "{\"n\":" + std::to_string(n) + "}";
    const std::string draft = blob("%PDF draft " + std::to_string(n));
    EXPECT_TRUE(s.CreateDocument(d, {d.id, 1, RevisionPurpose::kDraft, draft, 13, "", 1000 + n},
                                 {d.id, 1000 + n, "intake", "created", "", 1})
                    .ok());
  }
  const std::string sealed_id = testing::DocumentId(1);
  EXPECT_TRUE(s.Transition(sealed_id, {DocumentState::kDraft}, DocumentState::kApproved,
                           {sealed_id, 1100, "t", "approved", "", 1})
                  .ok());
  RegisterEntry e = testing::SampleEntry(sealed_id, "old");
  EXPECT_TRUE(s.AllocateNumber(e, {sealed_id, 1150, "t", "number_allocated", "", 1}).ok());
  e.session_id = "seal";  // prepared again: number 1 becomes a recorded gap
  EXPECT_TRUE(s.AllocateNumber(e, {sealed_id, 1160, "t", "number_allocated", "", 1}).ok());
  const std::string sealed_pdf = blob("%PDF sealed 1");
  auto sealed =
      s.AddSignature({sealed_id, 1, DocumentState::kApproved, DocumentState::kSealed, "seal"},
                     {sealed_id, 2, RevisionPurpose::kSeal, sealed_pdf, 13, "CN=UBND", 1200},
                     {sealed_id, 1200, "t", "sealed", "", 2}, std::nullopt);
  EXPECT_TRUE(sealed.ok()) << sealed.status();
  PrintRecord p;
  p.document_id = sealed_id;
  p.print_id = "p1";
  p.revision = 2;
  p.printer = "q";
  p.copies = 1;
  p.actor = "station";
  p.time_ms = 1300;
  EXPECT_TRUE(s.RecordPrint(p, {DocumentState::kSealed}, DocumentState::kIssued,
                            {sealed_id, 1300, "t", "printed", "", 2})
                  .ok());
  EXPECT_TRUE(s.AddReprintJob(sealed_id, {DocumentState::kIssued}, "torn",
                              {sealed_id, 1400, "t", "reprint_requested", "torn", 2})
                  .ok());
  LevelRecord level;
  level.document_id = sealed_id;
  level.revision = 2;
  level.level = "B-B";
  level.target_level = "B-LTA";
  level.signature_levels = "Sig1=B-T;Sig2=B-B";
  level.upgrade_pending = true;
  level.next_attempt_ms = 1700;
  level.problem = "TSA down";
  level.update_time_ms = 1200;
  EXPECT_TRUE(s.PutLevel(level).ok());
  SessionRecord open;
  open.id = "open-session";
  open.document_id = testing::DocumentId(2);
  open.base_revision = 1;
  open.purpose = RevisionPurpose::kApproval;
  open.prepared_json = "{}";
  open.prepared_sha256 = blob("%PDF prepared 2");
  open.expire_time_ms = 9'000'000;
  EXPECT_TRUE(
      s.PutSession(open, {testing::DocumentId(2), 1500, "t", "signature_prepared", "", 1}).ok());
  return dir;
}

TEST(StoreMigrate, CopiesEverythingOnceAndThePostgresStoreGoesOn) {
  const std::string sqlite_dir = MakeSqliteStore();
  const std::string url = testing::FreshPgUrl();
  auto first = MigrateSqliteToPg(sqlite_dir, url);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->copied["documents"], 2);
  EXPECT_EQ(first->copied["revisions"], 3);
  EXPECT_EQ(first->copied["sessions"], 1);
  EXPECT_EQ(first->copied["register"], 2);
  EXPECT_EQ(first->copied["print_jobs"], 2);
  EXPECT_EQ(first->copied["prints"], 1);
  EXPECT_EQ(first->copied["blobs"], 4);
  EXPECT_EQ(first->copied["levels"], 1);
  for (const auto& [table, read] : first->read) {
    EXPECT_EQ(first->copied[table], read) << table;
  }
  // Again: nothing more.
  auto second = MigrateSqliteToPg(sqlite_dir, url);
  ASSERT_TRUE(second.ok()) << second.status();
  for (const auto& [table, copied] : second->copied) EXPECT_EQ(copied, 0) << table;

  auto opened = OpenPgStore(url, MakeTempDir("pg-after-migrate"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& pg = **opened;
  auto doc = pg.GetDocument(testing::DocumentId(1));
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->state, DocumentState::kIssued);
  EXPECT_EQ(doc->title, "QUYẾT ĐỊNH");
  auto revisions = pg.ListRevisions(testing::DocumentId(1));
  ASSERT_TRUE(revisions.ok());
  ASSERT_EQ(revisions->size(), 2u);
  auto path = pg.BlobPath((*revisions)[1].sha256);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(testing::ReadFileBytes(*path), "%PDF sealed 1");
  EXPECT_EQ(pg.ListHistory(testing::DocumentId(1))->size(), 7u);
  // The pending upgrade goes on on PostgreSQL: its worker claims it when due.
  auto level = pg.GetLevel(testing::DocumentId(1));
  ASSERT_TRUE(level.ok()) << level.status();
  ASSERT_TRUE(level->has_value());
  EXPECT_TRUE((*level)->upgrade_pending);
  EXPECT_EQ((*level)->level, "B-B");
  EXPECT_EQ((*level)->signature_levels, "Sig1=B-T;Sig2=B-B");
  auto claimed = pg.ClaimDueLevel(2000, "pg-instance", 600'000);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_TRUE(claimed->has_value());
  EXPECT_EQ((*claimed)->document_id, testing::DocumentId(1));
  auto session = pg.GetSession("open-session");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(testing::ReadFileBytes(*pg.BlobPath(session->prepared_sha256)), "%PDF prepared 2");
  auto entries = pg.ListRegister({});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].state, RegisterState::kVoid);
  EXPECT_EQ((*entries)[1].state, RegisterState::kIssued);
  // The reprint is still pending, under its old sequence; a new job comes after it.
  auto pending = pg.ListPrintJobs("", 0, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].reason, "torn");
  auto next_job = pg.AddReprintJob(testing::DocumentId(1), {DocumentState::kIssued}, "again",
                                   {testing::DocumentId(1), 1600, "t", "reprint_requested", "", 2});
  ASSERT_TRUE(next_job.ok()) << next_job.status();
  EXPECT_GT(next_job->sequence, (*pending)[0].sequence);
  // The next number continues after the copied ones.
  RegisterEntry e = testing::SampleEntry(testing::DocumentId(2), "next");
  auto number =
      pg.AllocateNumber(e, {testing::DocumentId(2), 1700, "t", "number_allocated", "", 1});
  ASSERT_TRUE(number.ok()) << number.status();
  EXPECT_EQ(number->number, 3);
  EXPECT_EQ(pg.ListPrints(testing::DocumentId(1))->size(), 1u);
}

// A PDF whose bytes no longer match its name stops the migration before anything is written.
TEST(StoreMigrate, ADamagedPdfCopiesNothing) {
  const std::string sqlite_dir = MakeSqliteStore();
  const std::string sha = testing::Run("printf '%%PDF sealed 1' | sha256sum").output.substr(0, 64);
  const std::string file = sqlite_dir + "/blobs/" + sha.substr(0, 2) + "/" + sha + ".pdf";
  ASSERT_EQ(testing::ReadFileBytes(file), "%PDF sealed 1");
  ASSERT_EQ(testing::Run("chmod u+w " + testing::Quote(file) + " && printf '%%PDF sealed X' > " +
                         testing::Quote(file))
                .exit_code,
            0);
  const std::string url = testing::FreshPgUrl();
  auto refused = MigrateSqliteToPg(sqlite_dir, url);
  EXPECT_TRUE(HasCode(refused.status(), ErrorCode::kInternal)) << refused.status();
  EXPECT_NE(refused.status().message().find("damaged"), std::string::npos) << refused.status();
  auto opened = OpenPgStore(url, MakeTempDir("pg-after-refusal"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_TRUE((*opened)->ListDocuments({})->empty());
}

// (read, copied) on the command's line for `table`; (-1, -1) when there is none.
std::pair<int, int> Counts(const std::string& output, const std::string& table) {
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name;
    int read = -1, copied = -1;
    if (words >> name >> read >> copied && name == table) return {read, copied};
  }
  return {-1, -1};
}

// The command: counts per table, and a second run copies nothing.
TEST(StoreMigrate, TheCommandReportsCounts) {
  const std::string sqlite_dir = MakeSqliteStore();
  const std::string url = testing::FreshPgUrl();
  const std::string command = std::string(TAICHOD_PATH) + " migrate --from " +
                              testing::Quote(sqlite_dir) + " --to " + testing::Quote(url);
  testing::CommandResult first = testing::Run(command);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(Counts(first.output, "documents"), std::make_pair(2, 2)) << first.output;
  EXPECT_EQ(Counts(first.output, "blobs"), std::make_pair(4, 4)) << first.output;
  testing::CommandResult second = testing::Run(command);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(Counts(second.output, "documents"), std::make_pair(2, 0)) << second.output;
  EXPECT_EQ(Counts(second.output, "blobs"), std::make_pair(4, 0)) << second.output;
  // A store in use is refused (its LOCK is held).
  auto held = OpenSqliteStore(sqlite_dir);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_NE(testing::Run(command).exit_code, 0);
}

}  // namespace
}  // namespace taicho::store
