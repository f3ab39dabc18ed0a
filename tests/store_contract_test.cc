// One contract for every store: the same tests run against the embedded SQLite store (a temp
// directory) and the PostgreSQL store (a fresh schema in the throwaway cluster of
// tests/support/pg_cluster.sh). What only one backend has (SQLite's files and their modes, its
// upgrades, one process per directory) stays in store_test.cc / print_queue_store_test.cc.
//
// Where the contract speaks of several instances at once (numbers never given twice, a session
// completed elsewhere, a job seen by another instance's watcher), the PostgreSQL store runs it
// with two store instances on the same database — each with its own connections, as two taichod
// processes would — and SQLite, which one process owns, with two threads on its one instance.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/store_records.h"

namespace taicho::store {
namespace {

using testing::MakeTempDir;

SessionRecord OpenSession(const std::string& id, const DocumentRecord& d, int base_revision = 1,
                          RevisionPurpose purpose = RevisionPurpose::kApproval) {
  SessionRecord s;
  s.id = id;
  s.document_id = d.id;
  s.base_revision = base_revision;
  s.purpose = purpose;
  if (purpose == RevisionPurpose::kSeal) {
    s.from = DocumentState::kApproved;
    s.to = DocumentState::kSealed;
  }
  s.prepared_json = "{}";
  s.prepared_sha256 = std::string(64, 'b');
  s.expire_time_ms = 1'000'000;
  return s;
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

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") url_ = testing::FreshPgUrl();
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Store> Open() {
    auto store = GetParam() == "sqlite" ? OpenSqliteStore(MakeTempDir("store"))
                                        : OpenPgStore(url_, MakeTempDir("pg-local"));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Another instance on the same data (PostgreSQL), or the same one (SQLite: one process).
  Store& Other() {
    if (GetParam() == "sqlite") return *store_;
    if (other_ == nullptr) other_ = Open();
    return *other_;
  }

  // A draft document with its revision 1, as the workflow stores it.
  DocumentRecord AddDraft(int n, int64_t time = 1000) {
    return testing::AddSampleDraft(*store_, n, time);
  }

  // Document `n` as a draft, then approved (time 1050).
  DocumentRecord AddApproved(int n) {
    DocumentRecord d = AddDraft(n);
    EXPECT_TRUE(store_
                    ->Transition(d.id, {DocumentState::kDraft}, DocumentState::kApproved,
                                 {d.id, 1050, "t", "approved", "", 1})
                    .ok());
    return d;
  }

  // A document written directly in `state` (no blob behind its revision).
  void Add(const DocumentRecord& d) {
    auto out = store_->CreateDocument(
        d, {d.id, 1, RevisionPurpose::kDraft, std::string(64, 'a'), 1, "", d.create_time_ms},
        {d.id, d.create_time_ms, "test", "created", "", 1});
    ASSERT_TRUE(out.ok()) << out.status();
  }

  std::string url_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Store> other_;
};

TEST_P(StoreContract, BlobsAreNamedByContentAndShared) {
  const std::string first = testing::ScratchFile(*store_, "same bytes");
  const std::string second = testing::ScratchFile(*store_, "same bytes");
  auto a = store_->PutBlob(first);
  auto b = store_->PutBlob(second);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  // Both scratch files are gone: the first became the blob, the second was removed.
  EXPECT_FALSE(std::filesystem::exists(first));
  EXPECT_FALSE(std::filesystem::exists(second));
  EXPECT_EQ(*a, testing::Run("printf 'same bytes' | sha256sum").output.substr(0, 64));
  auto path = store_->BlobPath(*a);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(testing::ReadFileBytes(*path), "same bytes");
  EXPECT_TRUE(
      HasCode(store_->BlobPath(std::string(64, '0')).status(), ErrorCode::kDocumentNotFound));
  EXPECT_FALSE(store_->BlobPath("../../etc/passwd").ok());
  // Named with the hash its writer computed, and readable from the other instance.
  const std::string sha = testing::Run("printf 'other bytes' | sha256sum").output.substr(0, 64);
  auto given = store_->PutBlob(testing::ScratchFile(*store_, "other bytes"), sha);
  ASSERT_TRUE(given.ok()) << given.status();
  auto there = Other().BlobPath(sha);
  ASSERT_TRUE(there.ok()) << there.status();
  EXPECT_EQ(testing::ReadFileBytes(*there), "other bytes");
}

// The public page's lookup: a document by its verification code, unique; documents without one
// (made before taichod made codes) do not collide.
TEST_P(StoreContract, VerificationCodesAreUniqueAndFoundByOneLookup) {
  auto sha = store_->PutBlob(testing::ScratchFile(*store_, "%PDF coded"));
  ASSERT_TRUE(sha.ok()) << sha.status();
  auto add = [&](int n, const std::string& code) {
    DocumentRecord d = testing::SampleRecord(n, 1000);
    d.verification_code = code;
    return store_->CreateDocument(d, {d.id, 1, RevisionPurpose::kDraft, *sha, 10, "", 1000},
                                  {d.id, 1000, "test", "created", "", 1});
  };
  ASSERT_TRUE(add(1, "AAAA-BBBB-CCCC-DDDD-EEEE").ok());
  ASSERT_TRUE(add(2, "").ok());
  ASSERT_TRUE(add(3, "").ok());                           // many documents without a code
  EXPECT_FALSE(add(4, "AAAA-BBBB-CCCC-DDDD-EEEE").ok());  // never two with one code
  auto found = store_->FindByVerificationCode("AAAA-BBBB-CCCC-DDDD-EEEE");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->id, testing::SampleRecord(1, 1000).id);
  EXPECT_EQ((*found)->verification_code, "AAAA-BBBB-CCCC-DDDD-EEEE");
  auto again = store_->GetDocument(testing::SampleRecord(2, 1000).id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->verification_code, "");
  for (const char* absent : {"AAAA-BBBB-CCCC-DDDD-EEEF", ""}) {
    auto none = store_->FindByVerificationCode(absent);
    ASSERT_TRUE(none.ok()) << none.status();
    EXPECT_FALSE(none->has_value()) << absent;
  }
}

TEST_P(StoreContract, CreateIsIdempotentOnDossierAndRequest) {
  DocumentRecord first = AddDraft(1);
  DocumentRecord again = testing::SampleRecord(2, 2000);
  again.dossier_code = first.dossier_code;
  auto out = store_->CreateDocument(
      again, {again.id, 1, RevisionPurpose::kDraft, std::string(64, 'a'), 1, "", 2000},
      {again.id, 2000, "test", "created", "", 1});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->created);
  EXPECT_EQ(out->document.id, first.id);
  EXPECT_TRUE(
      HasCode(store_->GetDocument(testing::DocumentId(2)).status(), ErrorCode::kDocumentNotFound));
  auto found = store_->FindByRequest(first.dossier_code, "r1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, first.id);
  auto none = store_->FindByRequest(first.dossier_code, "r2");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_P(StoreContract, SessionsCompleteOnceAndOnlyOnTheirRevision) {
  DocumentRecord d = AddDraft(1);
  ASSERT_TRUE(
      store_->PutSession(OpenSession("s1", d), {d.id, 1100, "test", "signature_prepared", "", 1})
          .ok());
  const RevisionRecord rev{d.id,    2,   RevisionPurpose::kApproval, std::string(64, 'c'), 5,
                           "CN=An", 1200};
  // Prepared on one instance, completed on the other.
  auto done =
      Other().CompleteSession("s1", rev, {d.id, 1200, "test", "approved", "", 2}, std::nullopt);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state, DocumentState::kApproved);
  EXPECT_EQ(done->latest_revision, 2);
  // A session prepared on revision 1 late (a client that read the document before the approval).
  ASSERT_TRUE(
      store_->PutSession(OpenSession("s2", d), {d.id, 1250, "test", "signature_prepared", "", 1})
          .ok());
  // The same session again, and the other session prepared on revision 1: both refused, and
  // nothing of theirs is written.
  EXPECT_TRUE(
      HasCode(store_->CompleteSession("s1", rev, {d.id, 1300, "t", "approved", "", 2}, std::nullopt)
                  .status(),
              ErrorCode::kSessionCompleted));
  EXPECT_TRUE(
      HasCode(store_->CompleteSession("s2", rev, {d.id, 1300, "t", "approved", "", 2}, std::nullopt)
                  .status(),
              ErrorCode::kTransitionInvalid));
  EXPECT_TRUE(HasCode(store_->GetSession("nope").status(), ErrorCode::kSessionNotFound));
  EXPECT_TRUE(HasCode(
      store_->CompleteSession("nope", rev, {d.id, 1300, "t", "approved", "", 2}, std::nullopt)
          .status(),
      ErrorCode::kSessionNotFound));
  auto revisions = store_->ListRevisions(d.id);
  ASSERT_TRUE(revisions.ok());
  ASSERT_EQ(revisions->size(), 2u);
  EXPECT_EQ((*revisions)[1].signer, "CN=An");
  EXPECT_EQ((*revisions)[1].purpose, RevisionPurpose::kApproval);
  auto history = store_->ListHistory(d.id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 4u);  // created, prepared, approved, prepared
  EXPECT_EQ((*history)[2].action, "approved");
  auto session = store_->GetSession("s1");
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->completed_revision, 2);
  EXPECT_EQ(session->prepared_sha256, std::string(64, 'b'));
}

// Issue 21: preparing again makes the earlier open session of the document and purpose
// uncompletable; completing it changes nothing, and the newest one completes.
TEST_P(StoreContract, PreparingAgainSupersedesTheEarlierSession) {
  DocumentRecord d = AddDraft(1);
  ASSERT_TRUE(store_->PutSession(OpenSession("s1", d), {d.id, 1100, "t", "prepared", "", 1}).ok());
  ASSERT_TRUE(Other().PutSession(OpenSession("s2", d), {d.id, 1150, "t", "prepared", "", 1}).ok());
  auto first = store_->GetSession("s1");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->superseded_by, "s2");
  EXPECT_EQ(store_->GetSession("s2")->superseded_by, "");
  const RevisionRecord rev{d.id,    2,   RevisionPurpose::kApproval, std::string(64, 'c'), 5,
                           "CN=An", 1200};
  auto refused =
      store_->CompleteSession("s1", rev, {d.id, 1200, "t", "approved", "", 2}, std::nullopt);
  EXPECT_TRUE(HasCode(refused.status(), ErrorCode::kSessionSuperseded)) << refused.status();
  EXPECT_EQ(store_->GetDocument(d.id)->state, DocumentState::kDraft);
  EXPECT_EQ(store_->ListRevisions(d.id)->size(), 1u);
  EXPECT_EQ(store_->ListHistory(d.id)->size(), 3u);  // created, 2 × prepared
  EXPECT_EQ(store_->GetSession("s1")->completed_revision, 0);

  auto done =
      store_->CompleteSession("s2", rev, {d.id, 1300, "t", "approved", "", 2}, std::nullopt);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state, DocumentState::kApproved);
  // A completed session is not superseded by a later preparation (of the next role here, or a
  // stray one): it stays completed.
  ASSERT_TRUE(
      store_->PutSession(OpenSession("s3", d, 2), {d.id, 1400, "t", "prepared", "", 2}).ok());
  EXPECT_EQ(store_->GetSession("s2")->superseded_by, "");
  EXPECT_EQ(store_->GetSession("s2")->completed_revision, 2);
}

// Sessions of another purpose or document are left alone.
TEST_P(StoreContract, SupersedingIsPerDocumentAndPurpose) {
  DocumentRecord a = AddDraft(1);
  DocumentRecord b = AddDraft(2);
  ASSERT_TRUE(store_->PutSession(OpenSession("a1", a), {a.id, 1100, "t", "prepared", "", 1}).ok());
  ASSERT_TRUE(store_->PutSession(OpenSession("b1", b), {b.id, 1100, "t", "prepared", "", 1}).ok());
  ASSERT_TRUE(store_
                  ->PutSession(OpenSession("a-seal", a, 1, RevisionPurpose::kSeal),
                               {a.id, 1150, "t", "prepared", "", 1})
                  .ok());
  EXPECT_EQ(store_->GetSession("a1")->superseded_by, "");
  EXPECT_EQ(store_->GetSession("b1")->superseded_by, "");
}

// The register's side (issue 21): the seal prepared twice voids the first number; completing the
// first session is refused and leaves the register as it was; the second issues its number and
// leaves nothing allocated. A signature whose number was voided meanwhile (AddSignature, no
// session) is refused too.
TEST_P(StoreContract, ASupersededSealNeverIssuesAVoidNumber) {
  DocumentRecord d = AddApproved(1);
  auto allocate = [&](const std::string& session) {
    RegisterEntry e = testing::SampleEntry(d.id, session);
    auto out = store_->AllocateNumber(e, {d.id, 1100, "t", "number_allocated", "", 1});
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->number : 0;
  };
  const RevisionRecord rev{d.id,           2,   RevisionPurpose::kSeal, std::string(64, 'c'), 5,
                           "CN=UBND XÃ A", 1200};
  auto sessions = [&](const std::string& id) {
    return store_->PutSession(OpenSession(id, d, 1, RevisionPurpose::kSeal),
                              {d.id, 1100, "t", "prepared", "", 1});
  };
  EXPECT_EQ(allocate("seal1"), 1);
  ASSERT_TRUE(sessions("seal1").ok());
  EXPECT_EQ(allocate("seal2"), 2);
  // Completing the first session while its successor is being prepared (its number voided, the
  // session not stored yet) is refused by the register.
  auto early =
      store_->CompleteSession("seal1", rev, {d.id, 1200, "t", "sealed", "", 2}, std::nullopt);
  EXPECT_TRUE(HasCode(early.status(), ErrorCode::kSessionSuperseded)) << early.status();
  ASSERT_TRUE(sessions("seal2").ok());
  auto late =
      store_->CompleteSession("seal1", rev, {d.id, 1200, "t", "sealed", "", 2}, std::nullopt);
  EXPECT_TRUE(HasCode(late.status(), ErrorCode::kSessionSuperseded)) << late.status();
  EXPECT_EQ(store_->GetDocument(d.id)->state, DocumentState::kApproved);
  EXPECT_EQ(store_->ListRevisions(d.id)->size(), 1u);
  EXPECT_TRUE(store_->ListPrintJobs("", 0, 10)->empty());

  auto sealed =
      store_->CompleteSession("seal2", rev, {d.id, 1300, "t", "sealed", "", 2}, std::nullopt);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->state, DocumentState::kSealed);
  auto entries = store_->ListRegister({});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].state, RegisterState::kVoid);
  EXPECT_FALSE((*entries)[0].void_reason.empty());
  EXPECT_EQ((*entries)[1].state, RegisterState::kIssued);
  EXPECT_EQ((*entries)[1].session_id, "seal2");
  EXPECT_EQ((*entries)[1].issue_time_ms, 1300);
  // The seal queued the document for printing.
  auto jobs = store_->ListPrintJobs("Quầy 1", 0, 10);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].document_id, d.id);
  EXPECT_EQ((*jobs)[0].revision, 2);

  // One step (server key): its number voided before it commits → refused, nothing written.
  DocumentRecord e = AddApproved(2);
  RegisterEntry entry = testing::SampleEntry(e.id, "one-step");
  auto number = store_->AllocateNumber(entry, {e.id, 1100, "t", "number_allocated", "", 1});
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number->number, 3);
  ASSERT_TRUE(store_->VoidNumber("UBND XÃ A", 2026, number->number, "test").ok());
  // Voided once: not again, and an issued number never.
  EXPECT_TRUE(
      HasCode(store_->VoidNumber("UBND XÃ A", 2026, number->number, "again"), ErrorCode::kUsage));
  EXPECT_TRUE(HasCode(store_->VoidNumber("UBND XÃ A", 2026, 2, "issued"), ErrorCode::kUsage));
  const RevisionRecord erev{e.id, 2, RevisionPurpose::kSeal, std::string(64, 'd'), 5, "CN=X", 1400};
  auto one =
      store_->AddSignature({e.id, 1, DocumentState::kApproved, DocumentState::kSealed, "one-step"},
                           erev, {e.id, 1400, "t", "sealed", "", 2}, std::nullopt);
  EXPECT_TRUE(HasCode(one.status(), ErrorCode::kSessionSuperseded)) << one.status();
  EXPECT_EQ(store_->GetDocument(e.id)->state, DocumentState::kApproved);
  // The history names each number given.
  auto history = store_->ListHistory(e.id);
  ASSERT_TRUE(history.ok());
  EXPECT_NE(history->back().detail.find("number 3/2026"), std::string::npos)
      << history->back().detail;
}

TEST_P(StoreContract, TransitionsAreCheckedInsideTheTransaction) {
  DocumentRecord d = AddDraft(1);
  auto cancelled = store_->Transition(d.id, {DocumentState::kDraft}, DocumentState::kCancelled,
                                      {d.id, 1500, "test", "cancelled", "rút hồ sơ", 0});
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, DocumentState::kCancelled);
  EXPECT_TRUE(HasCode(store_
                          ->Transition(d.id, {DocumentState::kDraft}, DocumentState::kCancelled,
                                       {d.id, 1600, "test", "cancelled", "again", 0})
                          .status(),
                      ErrorCode::kTransitionInvalid));
  EXPECT_TRUE(HasCode(
      store_
          ->Transition(testing::DocumentId(99), {DocumentState::kDraft}, DocumentState::kCancelled,
                       {testing::DocumentId(99), 1600, "test", "cancelled", "", 0})
          .status(),
      ErrorCode::kDocumentNotFound));
  EXPECT_EQ(store_->ListHistory(d.id)->size(), 2u);
}

TEST_P(StoreContract, ListsNewestFirstInPages) {
  for (int i = 1; i <= 5; ++i) AddDraft(i, 1000 + (i % 2) * 10);  // ties on time
  std::vector<std::string> seen;
  ListFilter filter;
  filter.limit = 2;
  for (;;) {
    auto page = store_->ListDocuments(filter);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& d : *page) seen.push_back(d.id);
    if (page->size() < 2) break;
    filter.after = std::make_pair(page->back().create_time_ms, page->back().id);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{testing::DocumentId(5), testing::DocumentId(3),
                                            testing::DocumentId(1), testing::DocumentId(4),
                                            testing::DocumentId(2)}));
  filter = {};
  filter.state = DocumentState::kSealed;
  EXPECT_TRUE(store_->ListDocuments(filter)->empty());
  filter = {};
  filter.created_from_ms = 1005;
  EXPECT_EQ(store_->ListDocuments(filter)->size(), 3u);
  filter.created_from_ms.reset();
  filter.created_to_ms = 1005;
  EXPECT_EQ(store_->ListDocuments(filter)->size(), 2u);
  filter = {};
  filter.desk = "Quầy 9";
  EXPECT_TRUE(store_->ListDocuments(filter)->empty());
}

TEST_P(StoreContract, PrintsAreIdempotentAndAReprintIsANewJob) {
  Store& store = *store_;
  const DocumentRecord sealed = testing::SampleRecord(1, 1001, DocumentState::kSealed);
  const DocumentRecord draft = testing::SampleRecord(2, 1002, DocumentState::kDraft);
  Add(sealed);
  Add(draft);
  // A sealed document written directly has no job; without a pending job nothing can be
  // recorded as printed.
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
  EXPECT_TRUE(store.ListPrintJobs("Quầy 2", 0, 10)->empty());
  ASSERT_TRUE(store
                  .RecordPrint(Print(sealed, "p2", 8000), kPrintable, DocumentState::kIssued,
                               {sealed.id, 8000, "a", "printed", "", 1})
                  .ok());
  auto prints = store.ListPrints(sealed.id);
  ASSERT_TRUE(prints.ok());
  EXPECT_EQ(prints->size(), 2u);
}

TEST_P(StoreContract, AFailedPrintKeepsTheStateAndQueuesTheJobAgain) {
  Store& store = *store_;
  const DocumentRecord sealed = testing::SampleRecord(1, 1001, DocumentState::kSealed);
  Add(sealed);
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

// Withdrawal spans the document, the register and the print queue in one transaction.
TEST_P(StoreContract, AWithdrawnDocumentLeavesNoJobAndItsNumberStaysGiven) {
  DocumentRecord d = AddApproved(1);
  RegisterEntry e = testing::SampleEntry(d.id, "seal");
  ASSERT_TRUE(store_->AllocateNumber(e, {d.id, 1100, "t", "number_allocated", "", 1}).ok());
  const RevisionRecord rev{d.id, 2, RevisionPurpose::kSeal, std::string(64, 'c'), 5, "CN=X", 1200};
  ASSERT_TRUE(
      store_
          ->AddSignature({d.id, 1, DocumentState::kApproved, DocumentState::kSealed, "seal"}, rev,
                         {d.id, 1200, "t", "sealed", "", 2}, std::nullopt)
          .ok());
  ASSERT_EQ(store_->ListPrintJobs("", 0, 10)->size(), 1u);
  Withdrawal w;
  w.reason = "sai thông tin";
  w.actor = "CN=Chủ tịch";
  w.time_ms = 1300;
  auto withdrawn = Other().Withdraw(d.id, {DocumentState::kSealed, DocumentState::kIssued}, w,
                                    {d.id, 1300, "t", "withdrawn", w.reason, 2});
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_EQ(withdrawn->state, DocumentState::kWithdrawn);
  EXPECT_TRUE(store_->ListPrintJobs("", 0, 10)->empty());
  auto entries = store_->ListRegister({});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].state, RegisterState::kWithdrawn);
  EXPECT_EQ((*entries)[0].withdraw_reason, w.reason);
  EXPECT_EQ((*entries)[0].withdraw_time_ms, 1300);
  EXPECT_TRUE(HasCode(store_
                          ->Withdraw(d.id, {DocumentState::kSealed, DocumentState::kIssued}, w,
                                     {d.id, 1400, "t", "withdrawn", "", 2})
                          .status(),
                      ErrorCode::kTransitionInvalid));
  // The next number is a new one.
  DocumentRecord next = AddDraft(2);
  e.document_id = next.id;
  e.session_id = "next";
  auto number = store_->AllocateNumber(e, {next.id, 1500, "t", "number_allocated", "", 1});
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number->number, 2);
}

// Issue 19: allocations racing from two instances (two threads each) never share a number, and
// the numbers given are 1..N without a hole; voided ones stay in the register with their reason.
TEST_P(StoreContract, ConcurrentAllocationsNeverGiveANumberTwice) {
  constexpr int kThreadsPerInstance = 2, kEach = 25;
  constexpr int kTotal = 2 * kThreadsPerInstance * kEach;
  for (int i = 1; i <= kTotal; ++i)
    Add(testing::SampleRecord(i, 1000 + i, DocumentState::kApproved));
  Store* instances[2] = {store_.get(), &Other()};
  std::vector<std::thread> threads;
  std::vector<std::vector<int>> got(2 * kThreadsPerInstance);
  std::atomic<int> failures{0};
  for (int t = 0; t < 2 * kThreadsPerInstance; ++t) {
    threads.emplace_back([&, t] {
      Store& store = *instances[t % 2];
      for (int i = 0; i < kEach; ++i) {
        const int doc = t * kEach + i + 1;
        RegisterEntry e = testing::SampleEntry(testing::DocumentId(doc), "s" + std::to_string(doc));
        auto out = store.AllocateNumber(e, {e.document_id, 2000, "t", "number_allocated", "", 1});
        if (!out.ok()) {
          ++failures;
          ADD_FAILURE() << out.status();
          continue;
        }
        got[t].push_back(out->number);
        // Every fifth one abandoned: a recorded gap, never given again.
        if (doc % 5 == 0 && !store.VoidNumber("UBND XÃ A", 2026, out->number, "abandoned").ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(failures, 0);
  std::set<int> numbers;
  for (const auto& list : got) numbers.insert(list.begin(), list.end());
  EXPECT_EQ(numbers.size(), static_cast<size_t>(kTotal)) << "a number was given twice";
  EXPECT_EQ(*numbers.begin(), 1);
  EXPECT_EQ(*numbers.rbegin(), kTotal);
  RegisterFilter all;
  all.year = 2026;
  auto entries = store_->ListRegister(all);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), static_cast<size_t>(kTotal));
  int voided = 0;
  for (int i = 0; i < kTotal; ++i) {
    EXPECT_EQ((*entries)[i].number, i + 1);
    if ((*entries)[i].state == RegisterState::kVoid) {
      ++voided;
      EXPECT_EQ((*entries)[i].void_reason, "abandoned");
    }
  }
  EXPECT_EQ(voided, kTotal / 5);
  // Another year starts again at 1.
  RegisterEntry e = testing::SampleEntry(testing::DocumentId(1), "next-year", 2027);
  auto next_year = Other().AllocateNumber(e, {e.document_id, 3000, "t", "number_allocated", "", 1});
  ASSERT_TRUE(next_year.ok());
  EXPECT_EQ(next_year->number, 1);
}

// Issue 19: a watcher on one instance wakes when another instance queues a job — when the commit
// lands, not at the next poll: the wait allows far longer than the test takes.
TEST_P(StoreContract, AWatcherSeesAJobQueuedOnAnotherInstance) {
  const DocumentRecord sealed = testing::SampleRecord(1, 1001, DocumentState::kSealed);
  Add(sealed);
  Store& watcher = Other();
  auto before = watcher.ListPrintJobs("", 0, 10);
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(before->empty());
  constexpr int64_t kWaitMs = 60'000;
  std::atomic<bool> woke{false};
  const auto start = std::chrono::steady_clock::now();
  std::thread waiting([&] {
    watcher.WaitForPrintJobs(0, kWaitMs);
    woke = true;
  });
  auto job =
      store_->AddReprintJob(sealed.id, kPrintable, "first", {sealed.id, 5000, "a", "x", "", 0});
  ASSERT_TRUE(job.ok()) << job.status();
  waiting.join();
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(woke);
  EXPECT_LT(waited, std::chrono::milliseconds(kWaitMs / 2)) << "woken by the timeout, not the job";
  auto after = watcher.ListPrintJobs("", 0, 10);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].sequence, job->sequence);
}

LevelRecord PendingLevel(const DocumentRecord& d, int64_t next_attempt_ms) {
  LevelRecord l;
  l.document_id = d.id;
  l.revision = d.latest_revision;
  l.level = "B-B";
  l.target_level = "B-LTA";
  l.signature_levels = "officer=B-T;seal=B-B";
  l.upgrade_pending = true;
  l.next_attempt_ms = next_attempt_ms;
  l.problem = "TSA down";
  l.update_time_ms = 1000;
  return l;
}

TEST_P(StoreContract, APendingUpgradeIsClaimedByOneInstanceAndResumedAfterItsClaimEnds) {
  const DocumentRecord sealed = testing::SampleRecord(1, 1001, DocumentState::kSealed);
  Add(sealed);
  ASSERT_TRUE(store_->PutLevel(PendingLevel(sealed, 5000)).ok());
  auto read = store_->GetLevel(sealed.id);
  ASSERT_TRUE(read.ok() && read->has_value()) << read.status();
  EXPECT_EQ((*read)->signature_levels, "officer=B-T;seal=B-B");
  EXPECT_TRUE((*read)->upgrade_pending);
  EXPECT_EQ((*read)->next_attempt_ms, 5000);
  EXPECT_EQ(*store_->CountPendingUpgrades(), 1);
  EXPECT_FALSE(store_->GetLevel(testing::DocumentId(9))->has_value());

  // Not due yet; then due, and claimed: no other instance gets it while the claim lasts.
  EXPECT_FALSE(store_->ClaimDueLevel(4999, "a", 20'000)->has_value());
  auto claimed = store_->ClaimDueLevel(5000, "a", 20'000);
  ASSERT_TRUE(claimed.ok() && claimed->has_value()) << claimed.status();
  EXPECT_EQ((*claimed)->document_id, sealed.id);
  EXPECT_FALSE(Other().ClaimDueLevel(6000, "b", 30'000)->has_value());
  // The claimant died: once its claim has passed another instance resumes the work.
  auto resumed = Other().ClaimDueLevel(20'000, "b", 40'000);
  ASSERT_TRUE(resumed.ok() && resumed->has_value()) << resumed.status();

  // The upgrade's revision: only right after the latest, only in an allowed state.
  RevisionRecord upgrade{sealed.id, 3,     RevisionPurpose::kLevelUpgrade, std::string(64, 'e'), 9,
                         "",        21'000};
  LevelRecord done = PendingLevel(sealed, 0);
  done.revision = 2;
  done.level = "B-LTA";
  done.upgrade_pending = false;
  done.problem.clear();
  done.renew_at_ms = 90'000;
  const HistoryEvent event{sealed.id, 21'000, "taichod", "level_upgraded", "B-B → B-LTA", 2};
  EXPECT_TRUE(HasCode(store_->AddLevelRevision(upgrade, kPrintable, done, event).status(),
                      ErrorCode::kTransitionInvalid));
  upgrade.number = 2;
  EXPECT_TRUE(
      HasCode(store_->AddLevelRevision(upgrade, {DocumentState::kIssued}, done, event).status(),
              ErrorCode::kTransitionInvalid));
  auto added = store_->AddLevelRevision(upgrade, kPrintable, done, event);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->latest_revision, 2);
  EXPECT_EQ(added->state, DocumentState::kSealed);  // an upgrade moves no state
  EXPECT_EQ(store_->GetDocument(sealed.id)->latest_revision, 2);
  EXPECT_EQ(store_->ListRevisions(sealed.id)->back().purpose, RevisionPurpose::kLevelUpgrade);
  EXPECT_EQ(store_->ListHistory(sealed.id)->back().action, "level_upgraded");
  EXPECT_EQ(*store_->CountPendingUpgrades(), 0);
  read = Other().GetLevel(sealed.id);
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_FALSE((*read)->upgrade_pending);
  EXPECT_EQ((*read)->level, "B-LTA");
  EXPECT_EQ((*read)->revision, 2);

  // The renewal comes due at its date (and the claim the success released is gone).
  EXPECT_FALSE(store_->ClaimDueLevel(89'999, "a", 100'000)->has_value());
  EXPECT_TRUE(store_->ClaimDueLevel(90'000, "a", 100'000)->has_value());
}

TEST_P(StoreContract, APrintOfTheRevisionBeforeAnUpgradeIsStillThePrint) {
  const DocumentRecord sealed = testing::SampleRecord(1, 1001, DocumentState::kSealed);
  Add(sealed);
  auto job =
      store_->AddReprintJob(sealed.id, kPrintable, "first", {sealed.id, 2000, "a", "x", "", 0});
  ASSERT_TRUE(job.ok()) << job.status();
  LevelRecord done = PendingLevel(sealed, 0);
  done.revision = 2;
  done.upgrade_pending = false;
  ASSERT_TRUE(
      store_
          ->AddLevelRevision(
              {sealed.id, 2, RevisionPurpose::kLevelUpgrade, std::string(64, 'e'), 9, "", 3000},
              kPrintable, done, {sealed.id, 3000, "taichod", "level_upgraded", "", 2})
          .ok());
  // The station printed revision 1 while the worker added revision 2: the same signatures.
  PrintRecord printed = Print(sealed, "p1", 4000);
  printed.revision = 1;
  auto out = store_->RecordPrint(printed, kPrintable, DocumentState::kIssued,
                                 {sealed.id, 4000, "a", "printed", "", 1});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->document.state, DocumentState::kIssued);
  PrintRecord beyond = Print(sealed, "p2", 5000);
  beyond.revision = 3;
  EXPECT_TRUE(HasCode(store_
                          ->RecordPrint(beyond, kPrintable, DocumentState::kIssued,
                                        {sealed.id, 5000, "a", "printed", "", 3})
                          .status(),
                      ErrorCode::kTransitionInvalid));
}

// The level record is written in the signature's own transaction: a seal refused inside it
// (here: its number voided meanwhile, found after the record was written) leaves no record, and
// one committed is never visible without it — no window in which a crash leaves a revision
// without its record, or a record without its revision.
TEST_P(StoreContract, ASealsLevelRecordCommitsWithItsRevisionOrNotAtAll) {
  DocumentRecord d = AddDraft(1);
  ASSERT_TRUE(store_
                  ->Transition(d.id, {DocumentState::kDraft}, DocumentState::kApproved,
                               {d.id, 1050, "t", "approved", "", 1})
                  .ok());
  RegisterEntry entry;
  entry.agency = "UBND XÃ A";
  entry.year = 2026;
  entry.document_id = d.id;
  entry.session_id = "voided";
  auto number = store_->AllocateNumber(entry, {d.id, 1100, "t", "number_allocated", "", 1});
  ASSERT_TRUE(number.ok()) << number.status();
  ASSERT_TRUE(store_->VoidNumber(entry.agency, entry.year, number->number, "test").ok());
  LevelRecord level = PendingLevel(d, 1200);
  level.revision = 2;
  const RevisionRecord rev{d.id, 2, RevisionPurpose::kSeal, std::string(64, 'c'), 5, "CN=X", 1200};
  auto refused =
      store_->AddSignature({d.id, 1, DocumentState::kApproved, DocumentState::kSealed, "voided"},
                           rev, {d.id, 1200, "t", "sealed", "", 2}, level);
  EXPECT_TRUE(HasCode(refused.status(), ErrorCode::kSessionSuperseded)) << refused.status();
  EXPECT_FALSE(Other().GetLevel(d.id)->has_value());
  EXPECT_EQ(Other().GetDocument(d.id)->latest_revision, 1);
  EXPECT_EQ(*Other().CountPendingUpgrades(), 0);

  entry.session_id = "seal";
  ASSERT_TRUE(store_->AllocateNumber(entry, {d.id, 1300, "t", "number_allocated", "", 1}).ok());
  auto sealed =
      store_->AddSignature({d.id, 1, DocumentState::kApproved, DocumentState::kSealed, "seal"}, rev,
                           {d.id, 1400, "t", "sealed", "", 2}, level);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  auto read = Other().GetLevel(d.id);
  ASSERT_TRUE(read.ok() && read->has_value()) << read.status();
  EXPECT_EQ((*read)->revision, 2);
  EXPECT_TRUE((*read)->upgrade_pending);
  EXPECT_EQ(*Other().CountPendingUpgrades(), 1);

  // A split signature: the officer's record (below the policy) with its completed session.
  DocumentRecord e = AddDraft(2);
  ASSERT_TRUE(
      store_->PutSession(OpenSession("officer", e), {e.id, 1100, "t", "signature_prepared", "", 1})
          .ok());
  LevelRecord officer = PendingLevel(e, 1200);
  officer.revision = 2;
  officer.target_level = "B-T";
  const RevisionRecord erev{e.id,    2,   RevisionPurpose::kApproval, std::string(64, 'd'), 5,
                            "CN=An", 1200};
  ASSERT_TRUE(
      Other().CompleteSession("officer", erev, {e.id, 1200, "t", "approved", "", 2}, officer).ok());
  read = store_->GetLevel(e.id);
  ASSERT_TRUE(read.ok() && read->has_value()) << read.status();
  EXPECT_EQ((*read)->target_level, "B-T");
  EXPECT_EQ((*read)->revision, 2);
}

// A worker finishing with an older revision's record does not overwrite the one a later
// revision (the seal) wrote meanwhile.
TEST_P(StoreContract, PutLevelKeepsTheRecordOfALaterRevision) {
  const DocumentRecord sealed = testing::SampleRecord(1, 1001, DocumentState::kSealed);
  Add(sealed);
  LevelRecord seal = PendingLevel(sealed, 5000);
  seal.revision = 3;
  seal.level = "B-LTA";
  seal.upgrade_pending = false;
  ASSERT_TRUE(store_->PutLevel(seal).ok());
  LevelRecord officer = PendingLevel(sealed, 9000);
  officer.revision = 2;
  ASSERT_TRUE(Other().PutLevel(officer).ok());
  auto read = store_->GetLevel(sealed.id);
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->revision, 3);
  EXPECT_EQ((*read)->level, "B-LTA");
  EXPECT_FALSE((*read)->upgrade_pending);
  // The same revision again replaces it (a worker's rescheduled attempt).
  seal.problem = "again";
  ASSERT_TRUE(Other().PutLevel(seal).ok());
  EXPECT_EQ((*store_->GetLevel(sealed.id))->problem, "again");
}

// Documents sealed before the store kept levels are found for the worker's backfill, and only
// until they have a record.
TEST_P(StoreContract, DocumentsWithoutALevelRecordAreListedOldestFirst) {
  Add(testing::SampleRecord(1, 1003, DocumentState::kIssued));
  Add(testing::SampleRecord(2, 1001, DocumentState::kSealed));
  Add(testing::SampleRecord(3, 1002, DocumentState::kApproved));   // not sealed: not listed
  Add(testing::SampleRecord(4, 1004, DocumentState::kWithdrawn));  // kept as it is
  Add(testing::SampleRecord(5, 1005, DocumentState::kSealed));
  ASSERT_TRUE(store_->PutLevel(PendingLevel(testing::SampleRecord(5, 1005), 0)).ok());
  auto ids = Other().ListDocumentsWithoutLevel(10);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<std::string>{testing::DocumentId(2), testing::DocumentId(1)}));
  EXPECT_EQ(store_->ListDocumentsWithoutLevel(1)->size(), 1u);
  LevelRecord unknown;
  unknown.document_id = testing::DocumentId(2);
  unknown.revision = 1;
  ASSERT_TRUE(store_->PutLevel(unknown).ok());
  EXPECT_EQ(*store_->ListDocumentsWithoutLevel(10),
            (std::vector<std::string>{testing::DocumentId(1)}));
}

TEST_P(StoreContract, LevelsListPendingUpgradesFirstThenRenewalsSoonestFirst) {
  for (int n = 1; n <= 4; ++n) Add(testing::SampleRecord(n, 1000 + n, DocumentState::kSealed));
  auto at = [](int n, bool pending, int64_t renew_at) {
    LevelRecord l = PendingLevel(testing::SampleRecord(n, 1000 + n, DocumentState::kSealed), 100);
    l.upgrade_pending = pending;
    l.level = pending ? "B-T" : "B-LTA";
    l.renew_at_ms = renew_at;
    return l;
  };
  ASSERT_TRUE(store_->PutLevel(at(1, false, 9000)).ok());
  ASSERT_TRUE(store_->PutLevel(at(2, false, 5000)).ok());
  ASSERT_TRUE(store_->PutLevel(at(3, true, 0)).ok());
  ASSERT_TRUE(store_->PutLevel(at(4, false, 0)).ok());
  auto all = store_->ListLevels({});
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::string> order;
  for (const LevelRecord& l : *all) order.push_back(l.document_id);
  EXPECT_EQ(order, (std::vector<std::string>{testing::DocumentId(3), testing::DocumentId(2),
                                             testing::DocumentId(1), testing::DocumentId(4)}));
  EXPECT_EQ(store_->ListLevels({"B-T", false, 100})->size(), 1u);
  EXPECT_EQ(store_->ListLevels({"", true, 100})->size(), 1u);
  EXPECT_EQ(store_->ListLevels({"B-LTA", false, 2})->size(), 2u);
  // Two instances claiming at once each get a different document.
  auto a = store_->ClaimDueLevel(10'000, "a", 20'000);
  auto b = Other().ClaimDueLevel(10'000, "b", 20'000);
  ASSERT_TRUE(a.ok() && a->has_value() && b.ok() && b->has_value());
  EXPECT_NE((*a)->document_id, (*b)->document_id);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace taicho::store
