// Issuing as Decree 30/2020 describes it: the officer certifies the draft (DocMDP P=2), the seal
// step fills the number and the date into the draft's blanks in the same update as the agency's
// signature, and the register gives each agency one number per document per year, never twice.
// Every signed PDF is checked by pdfsig, qpdf --check, openssl cms and our verifier; where the
// number and the date land is checked on pdftotext's word boxes.
#include <podofo/podofo.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "env/env.h"
#include "errors/error.h"
#include "gtest/gtest.h"
#include "pades/pdf_signer.h"
#include "pades/pdf_verifier.h"
#include "render/document_kind.h"
#include "render/issue_fields.h"
#include "signer/key_signer.h"
#include "store/sqlite_store.h"
#include "tests/support/checkers.h"
#include "tests/support/commands.h"
#include "tests/support/pdf_update.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_images.h"
#include "tests/support/signed_pdf_checks.h"
#include "workflow/document_workflow.h"

namespace taicho {
namespace {

// Callers of a workflow that authenticates no one (the rules of roles are workflow_test's).
workflow::Caller TestCaller() { return workflow::Caller::Unauthenticated("test"); }
workflow::Caller Clerk() { return workflow::Caller::Unauthenticated("clerk"); }

using namespace taicho::testing;

std::string WriteBlankDecision(const std::string& dir) {
  const std::string path = dir + "/blank.json";
  std::ofstream(path) << testing::BlankDecisionJson();
  return path;
}

const testing::SampleImagePaths& Images() { return testing::SampleImages(); }

// The issued lines read as typed text: pdftotext finds "Số: 05/QĐ-UBND" and the whole place and
// date line contiguous, and every word of both lines sits where a document rendered with the
// number and date given up front puts it (pdftotext's word boxes, within 0.5 pt).
void ExpectLinesAsTyped(const std::string& issued, const std::string& dir,
                        const std::string& number, const std::string& iso_date) {
  SCOPED_TRACE(issued);
  nlohmann::json j = nlohmann::json::parse(testing::BlankDecisionJson());
  j["number"] = number;
  j["date"] = iso_date;
  const std::string data = dir + "/typed.json", typed = dir + "/typed.pdf";
  std::ofstream(data) << j.dump();
  auto r =
      Sh(Taicho("render --kind quyet-dinh-ubnd --data " + Quote(data) + " --out " + Quote(typed)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto text = Sh("pdftotext -f 1 -l 1 " + Quote(issued) + " -");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  auto typed_text = Sh("pdftotext -f 1 -l 1 " + Quote(typed) + " -");
  const std::string n = number.size() == 1 ? "0" + number : number;
  const std::string number_line = "Số: " + n + "/QĐ-UBND";
  EXPECT_NE(text.output.find(number_line), std::string::npos) << text.output;
  EXPECT_NE(typed_text.output.find(number_line), std::string::npos) << typed_text.output;
  // The date line as the typed document writes it, found whole in the issued one.
  const size_t at = typed_text.output.find("Long Phước, ngày");
  ASSERT_NE(at, std::string::npos) << typed_text.output;
  const std::string date_line = typed_text.output.substr(at, typed_text.output.find('\n', at) - at);
  EXPECT_NE(date_line.find(" năm " + iso_date.substr(0, 4)), std::string::npos) << date_line;
  EXPECT_NE(text.output.find(date_line), std::string::npos) << date_line << "\n" << text.output;

  // Word by word, in the header (above the title), the same boxes.
  auto header = [](const std::vector<testing::Word>& words) {
    std::vector<testing::Word> out;
    for (const testing::Word& w : words) {
      if (w.y0 < 200) out.push_back(w);
    }
    return out;
  };
  const std::vector<testing::Word> a = header(WordsOfPage1(issued));
  const std::vector<testing::Word> b = header(WordsOfPage1(typed));
  ASSERT_EQ(a.size(), b.size());
  int compared = 0;
  for (const testing::Word& wa : a) {
    const testing::Word* match = nullptr;
    for (const testing::Word& wb : b) {
      if (wb.text == wa.text && std::abs(wb.y0 - wa.y0) < 3 && std::abs(wb.x0 - wa.x0) < 3) {
        match = &wb;
      }
    }
    ASSERT_NE(match, nullptr) << "'" << wa.text << "' at " << wa.x0 << "," << wa.y0;
    EXPECT_NEAR(wa.x0, match->x0, 0.5) << wa.text;
    EXPECT_NEAR(wa.x1, match->x1, 0.5) << wa.text;
    EXPECT_NEAR(wa.y0, match->y0, 0.5) << wa.text;
    EXPECT_NEAR(wa.y1, match->y1, 0.5) << wa.text;
    ++compared;
  }
  EXPECT_GE(compared, 12);  // the agency, the national title, the motto, the number, the date
}

// --- the command line: render, certify with the officer's token, fill + seal with the agency's ---

TEST(IssueStep, CertifiedDraftGetsNumberAndDateWithTheSeal) {
  GetSamplePki();  // tokens + SOFTHSM2_CONF
  const std::string dir = MakeTempDir("issue-cli");
  const std::string draft = dir + "/draft.pdf", approved = dir + "/approved.pdf",
                    sealed = dir + "/sealed.pdf";
  auto r = Sh(Taicho("render --kind quyet-dinh-ubnd --data " + Quote(WriteBlankDecision(dir)) +
                     " --out " + Quote(draft)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string module = TAICHO_SOFTHSM_MODULE;
  r = Sh("echo 123456 | " + Taicho("sign --in " + Quote(draft) + " --out " + Quote(approved) +
                                   " --module " + module + " --token " + Quote("Nguyễn Văn An") +
                                   " --pin-stdin --appearance officer --image " +
                                   Quote(Images().signature) + " --certify 2"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("DocMDP P=2"), std::string::npos) << r.output;
  ExpectAllSignaturesValid(approved, 1, 1);
  // The draft's blanks stay blank until the issue step.
  EXPECT_EQ(FindOnLine(WordsOfPage1(approved), "ngày", "05"), nullptr);

  r = Sh("echo 123456 | " +
         Taicho("sign --in " + Quote(approved) + " --out " + Quote(sealed) + " --module " + module +
                " --token " + Quote("Con dấu UBND Châu Đức") +
                " --pin-stdin --appearance seal --image " + Quote(Images().seal) +
                " --issue-number 5 --issue-date 2026-03-05"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 trường / fields"), std::string::npos) << r.output;
  ExpectAllSignaturesValid(sealed, 2);
  ExpectNumberAndDateInPlace(sealed, "05", "05", "3", "2026");
  ExpectLinesAsTyped(sealed, dir, "5", "2026-03-05");

  // The fill went into the seal's update: the certified revision has no number, the certifying
  // signature covers it, and the sealed file only adds to it.
  const std::string approved_bytes = testing::ReadFileBytes(approved);
  const std::string sealed_bytes = testing::ReadFileBytes(sealed);
  EXPECT_EQ(sealed_bytes.compare(0, approved_bytes.size(), approved_bytes), 0);
  auto report = pades::VerifyPdf(sealed);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->signatures.size(), 2u);
  EXPECT_FALSE(report->signatures[0].covers_whole_file);
  // Our verifier: the officer's certification allows the fill, and names it.
  const pades::SignatureReport& officer = report->signatures[0];
  EXPECT_EQ(officer.certification_p, 2);
  EXPECT_TRUE(officer.changes_permitted) << report->ToText();
  int fills = 0;
  for (const pades::DetectedChange& c : officer.changes_after) {
    EXPECT_TRUE(c.permitted) << c.text_en;
    if (c.kind == "form_fill") ++fills;
    if (c.text_en.find("'so'") != std::string::npos) {
      // The field holds the whole line it draws.
      EXPECT_NE(c.text_en.find("'Số: 05/QĐ-UBND'"), std::string::npos) << c.text_en;
    }
  }
  EXPECT_EQ(fills, 2) << report->ToText();
  EXPECT_NE(report->ToText().find("Điền trường biểu mẫu 'so'"), std::string::npos)
      << report->ToText();

  // A change beyond the permitted ones after the certification: page 1's text edited.
  const std::string tampered = dir + "/tampered.pdf";
  std::filesystem::copy_file(sealed, tampered);
  const testing::RevisionFacts facts = testing::ReadRevisionFacts(tampered);
  testing::AppendUpdate(tampered,
                        {{facts.contents[0], testing::StreamObject("BT /F1 12 Tf 72 700 Td "
                                                                   "(Sua noi dung) Tj ET")}});
  auto broken =
      pades::VerifyPdf(tampered, testing::ReadFileBytes(GetSamplePki().dir + "/ca-bundle.pem"));
  ASSERT_TRUE(broken.ok()) << broken.status();
  ASSERT_EQ(broken->signatures.size(), 2u);
  for (const pades::SignatureReport& s : broken->signatures) {
    EXPECT_EQ(s.indication, "TOTAL-FAILED") << broken->ToText();
    EXPECT_FALSE(s.changes_permitted);
  }
  EXPECT_NE(broken->ToText().find("Page 1 content changed"), std::string::npos) << broken->ToText();

  // The officer's signature taken out of the form by a later update: the final revision no longer
  // lists it, and the verifier says a signature is gone instead of reporting the seal alone.
  const std::string hidden = dir + "/hidden.pdf";
  std::filesystem::copy_file(sealed, hidden);
  int acroform = 0;
  {
    PoDoFo::PdfMemDocument doc;
    doc.Load(hidden.c_str());
    acroform = static_cast<int>(
        doc.GetCatalog()->GetDictionary().GetKey("AcroForm")->GetReference().ObjectNumber());
  }
  testing::AppendUpdate(
      hidden, {{acroform, testing::EditedObject(hidden, acroform, [](PoDoFo::PdfObject& form) {
                  PoDoFo::PdfArray& fields = form.GetDictionary().GetKey("Fields")->GetArray();
                  fields.erase(fields.begin());  // "officer", the first field of the draft
                })}});
  auto gone = pades::VerifyPdf(hidden);
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_EQ(gone->signatures.size(), 1u);
  ASSERT_EQ(gone->problems.size(), 1u) << gone->ToText();
  EXPECT_NE(gone->problems[0].find("removed or hidden"), std::string::npos);
  EXPECT_FALSE(gone->all_passed());

  // January and February take a leading zero, days below 10 too (Decree 30).
  const std::string sealed2 = dir + "/sealed2.pdf";
  r = Sh("echo 123456 | " +
         Taicho("sign --in " + Quote(approved) + " --out " + Quote(sealed2) + " --module " +
                module + " --token " + Quote("Con dấu UBND Châu Đức") +
                " --pin-stdin --appearance seal --image " + Quote(Images().seal) +
                " --issue-number 123 --issue-date 2027-02-09"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectNumberAndDateInPlace(sealed2, "123", "09", "02", "2027");
}

// --- the library: what may and may not be filled or certified ---

std::unique_ptr<signer::KeySigner> P12(const std::string& name) {
  auto key = signer::LoadPkcs12Signer(GetSamplePki().dir + "/" + name + ".p12", "taicho");
  EXPECT_TRUE(key.ok()) << key.status();
  return key.ok() ? *std::move(key) : nullptr;
}

class IssueLibrary : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("issue-lib");
    draft_ = dir_ + "/draft.pdf";
    auto r = Sh(Taicho("render --kind quyet-dinh-ubnd --data " + Quote(WriteBlankDecision(dir_)) +
                       " --out " + Quote(draft_)));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    officer_ = P12("officer-an");
    seal_ = P12("seal");
    ASSERT_TRUE(officer_ && seal_);
  }

  absl::StatusOr<pades::SignResult> Sign(const std::string& in, const std::string& out,
                                         signer::KeySigner& key, const std::string& field,
                                         int certification,
                                         std::vector<pdf::FieldFill> fills = {}) {
    pades::SignOptions o;
    o.field_name = field;
    o.certification = certification;
    o.fills = std::move(fills);
    return pades::SignPdf(in, out, key, o);
  }

  std::string dir_, draft_;
  std::unique_ptr<signer::KeySigner> officer_, seal_;
};

TEST_F(IssueLibrary, CertificationMustBeTheFirstSignature) {
  const std::string a = dir_ + "/a.pdf", b = dir_ + "/b.pdf";
  ASSERT_TRUE(Sign(draft_, a, *officer_, "officer", 0).ok());
  auto second = Sign(a, b, *seal_, "seal", 2);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(HasCode(second.status(), ErrorCode::kUsage)) << second.status();
  EXPECT_FALSE(std::filesystem::exists(b));
  // P outside 1..3 is refused too.
  auto bad = Sign(draft_, b, *officer_, "officer", 4);
  EXPECT_TRUE(HasCode(bad.status(), ErrorCode::kUsage)) << bad.status();
}

TEST_F(IssueLibrary, OnlyEmptyTextFieldsAreFilled) {
  const std::string a = dir_ + "/a.pdf", b = dir_ + "/b.pdf", c = dir_ + "/c.pdf";
  auto certified = Sign(draft_, a, *officer_, "officer", 2);
  ASSERT_TRUE(certified.ok()) << certified.status();
  EXPECT_EQ(certified->certification, 2);
  // No such field; a signature field is not a text field.
  for (const char* name : {"so-hieu", "seal"}) {
    auto r = Sign(a, b, *seal_, "seal", 0, {{name, "05"}});
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_TRUE(HasCode(r.status(), ErrorCode::kUsage)) << r.status();
    EXPECT_FALSE(std::filesystem::exists(b));
  }
  auto filled = Sign(a, b, *seal_, "seal", 0, render::IssueFills(7, {2026, 12, 31}));
  ASSERT_TRUE(filled.ok()) << filled.status();
  EXPECT_EQ(filled->filled_fields, 2u);
  ExpectAllSignaturesValid(b, 2);
  ExpectNumberAndDateInPlace(b, "07", "31", "12", "2026");
  // Once filled, the number is never written again.
  auto again = Sign(b, c, *seal_, "", 0, {{render::kNumberField, "08"}});
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(HasCode(again.status(), ErrorCode::kUsage)) << again.status();
}

// --- the register (store/) ---

store::RegisterEntry Entry(const std::string& agency, int year, const std::string& doc) {
  store::RegisterEntry e;
  e.agency = agency;
  e.year = year;
  e.document_id = doc;
  e.session_id = "session-" + doc;
  e.issue_date = std::to_string(year) + "-01-01";
  e.kind = "quyet-dinh-ubnd";
  e.symbol = "QĐ-UBND";
  e.summary = "Về việc " + doc;
  return e;
}

// Registers need documents (foreign key): one stored draft per id.
void AddDocuments(store::Store& s, int count, const std::string& prefix) {
  for (int i = 0; i < count; ++i) {
    store::DocumentRecord d;
    d.id = prefix + std::to_string(i);
    d.kind = "quyet-dinh-ubnd";
    d.dossier_code = "HS-" + d.id;
    d.request_id = "r";
    d.request_hash = "h";
    d.data_json = "{}";
    store::RevisionRecord rev{d.id, 1, store::RevisionPurpose::kDraft, "00", 1, "", 0};
    ASSERT_TRUE(s.CreateDocument(d, rev, {d.id, 0, "test", "created", "", 1}).ok());
  }
}

TEST(Register, ConcurrentIssuesGetDistinctConsecutiveNumbers) {
  const std::string dir = MakeTempDir("register");
  const std::string agency = "ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC";
  // Allocated again after the restart: a document whose number is not the one voided below
  // (which document gets 64 depends on how the threads ran).
  std::string again;
  {
    auto s = store::OpenSqliteStore(dir);
    ASSERT_TRUE(s.ok()) << s.status();
    AddDocuments(**s, 66, "doc");
    std::vector<int> numbers(64, 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < 64; ++i) {
      threads.emplace_back([&, i] {
        auto e = (*s)->AllocateNumber(Entry(agency, 2026, "doc" + std::to_string(i)),
                                      {"doc" + std::to_string(i), 0, "test", "n", "", 1});
        numbers[i] = e.ok() ? e->number : -1;
      });
    }
    for (std::thread& t : threads) t.join();
    std::set<int> distinct(numbers.begin(), numbers.end());
    ASSERT_EQ(distinct.size(), 64u);
    EXPECT_EQ(*distinct.begin(), 1);
    EXPECT_EQ(*distinct.rbegin(), 64);
    again = numbers[0] == 64 ? "doc1" : "doc0";
    // Another agency and a new year each start at 01.
    auto other =
        (*s)->AllocateNumber(Entry("UBND XÃ KHÁC", 2026, "doc64"), {"doc64", 0, "t", "n", "", 1});
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(other->number, 1);
    auto next_year =
        (*s)->AllocateNumber(Entry(agency, 2027, "doc65"), {"doc65", 0, "t", "n", "", 1});
    ASSERT_TRUE(next_year.ok());
    EXPECT_EQ(next_year->number, 1);
    // A failed issue leaves its number as a recorded gap.
    ASSERT_TRUE((*s)->VoidNumber(agency, 2026, 64, "token removed").ok());
    EXPECT_TRUE(HasCode((*s)->VoidNumber(agency, 2026, 64, "again"), ErrorCode::kUsage));
  }
  // Reopened (a restart): the counter goes on after the gap, never back into it.
  auto s = store::OpenSqliteStore(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  auto after = (*s)->AllocateNumber(Entry(agency, 2026, again), {again, 0, "t", "n", "", 1});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->number, 65);
  store::RegisterFilter filter;
  filter.agency = agency;
  filter.year = 2026;
  auto listed = (*s)->ListRegister(filter);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 65u);
  EXPECT_EQ((*listed)[63].state, store::RegisterState::kVoid);
  EXPECT_EQ((*listed)[63].void_reason, "token removed");
  // Its first number was superseded by its new allocation: a gap, with why.
  const auto first = std::find_if(listed->begin(), listed->end(),
                                  [&](const auto& e) { return e.document_id == again; });
  ASSERT_NE(first, listed->end());
  EXPECT_EQ(first->state, store::RegisterState::kVoid);
  EXPECT_NE(first->void_reason.find("superseded"), std::string::npos);
}

// --- the workflow: the seal step allocates, fills and seals; a crash between leaves a gap ---

class IssueWorkflow : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("issue-wf");
    config_.kinds_dir = render::DefaultKindsDir();
    config_.font_dir = pdf::kDefaultFontDir;
    config_.trust_anchors_pem = testing::ReadFileBytes(GetSamplePki().dir + "/ca-bundle.pem");
    Open();
    officer_ = P12("officer-an");
    seal_ = P12("seal");
    ASSERT_TRUE(officer_ && seal_);
  }

  void Open() {
    workflow_.reset();
    store_.reset();
    auto s = store::OpenSqliteStore(dir_ + "/store");
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
    workflow_ = std::make_unique<workflow::DocumentWorkflow>(*store_, config_);
  }

  std::string Create(const std::string& dossier,
                     const std::string& data = testing::BlankDecisionJson()) {
    workflow::CreateInput in;
    in.kind = "quyet-dinh-ubnd";
    in.dossier_code = dossier;
    in.request_id = "1";
    in.procedure = "1.001612";
    in.desk = "mot-cua";
    in.data_json = data;
    auto out = workflow_->Create(workflow::Caller::Unauthenticated("intake"), in);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->document.id : "";
  }

  absl::StatusOr<workflow::PrepareOutput> Prepare(const std::string& id,
                                                  workflow::SignatureRole role,
                                                  signer::KeySigner& key) {
    workflow::PrepareInput in;
    in.document_id = id;
    in.role = role;
    in.chain = key.CertificateChain();
    return workflow_->Prepare(TestCaller(), in);
  }

  absl::StatusOr<workflow::CompleteOutput> Complete(const workflow::PrepareOutput& p,
                                                    signer::KeySigner& key) {
    auto value = key.Sign(p.to_be_signed, p.digest);
    if (!value.ok()) return value.status();
    return workflow_->Complete(TestCaller(), p.session.id, *value);
  }

  void Approve(const std::string& id) {
    auto p = Prepare(id, workflow::SignatureRole::kApprover, *officer_);
    ASSERT_TRUE(p.ok()) << p.status();
    auto c = Complete(*p, *officer_);
    ASSERT_TRUE(c.ok()) << c.status();
  }

  std::string LatestPdf(const std::string& id) {
    auto rev = workflow_->OpenRevision(TestCaller(), id, 0);
    EXPECT_TRUE(rev.ok()) << rev.status();
    return rev.ok() ? rev->second : "";
  }

  std::string dir_;
  workflow::WorkflowConfig config_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<workflow::DocumentWorkflow> workflow_;
  std::unique_ptr<signer::KeySigner> officer_, seal_;
};

TEST_F(IssueWorkflow, SealStepNumbersDatesAndRegisters) {
  const std::string first = Create("HS-001"), second = Create("HS-002");
  Approve(first);
  Approve(second);
  // The officer's revision is a P=2 certification with the blanks still empty.
  auto approved = pades::VerifyPdf(LatestPdf(first), config_.trust_anchors_pem);
  ASSERT_TRUE(approved.ok());

  auto p1 = Prepare(first, workflow::SignatureRole::kSeal, *seal_);
  ASSERT_TRUE(p1.ok()) << p1.status();
  // A crash here: the number is allocated and durable, the seal never completed.
  Open();
  auto p2 = Prepare(second, workflow::SignatureRole::kSeal, *seal_);
  ASSERT_TRUE(p2.ok()) << p2.status();
  ASSERT_TRUE(Complete(*p2, *seal_).ok());
  // The first document is sealed again after the restart: a new number; its old one is a gap.
  auto p1b = Prepare(first, workflow::SignatureRole::kSeal, *seal_);
  ASSERT_TRUE(p1b.ok()) << p1b.status();
  auto done = Complete(*p1b, *seal_);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->document.state, store::DocumentState::kSealed);
  // The first session cannot complete any more (the document moved on).
  EXPECT_FALSE(Complete(*p1, *seal_).ok());

  const std::string sealed_first = LatestPdf(first), sealed_second = LatestPdf(second);
  ExpectAllSignaturesValid(sealed_first, 2);
  ExpectAllSignaturesValid(sealed_second, 2);
  const render::IssueDate today = render::IssueDateAt(std::time(nullptr));
  ExpectNumberAndDateInPlace(sealed_second, "02", render::DayText(today.day),
                             render::MonthText(today.month), std::to_string(today.year));
  ExpectNumberAndDateInPlace(sealed_first, "03", render::DayText(today.day),
                             render::MonthText(today.month), std::to_string(today.year));

  auto listed = store_->ListRegister({});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].number, 1);
  EXPECT_EQ((*listed)[0].state, store::RegisterState::kVoid);
  EXPECT_EQ((*listed)[0].document_id, first);
  EXPECT_EQ((*listed)[1].number, 2);
  EXPECT_EQ((*listed)[1].state, store::RegisterState::kIssued);
  EXPECT_EQ((*listed)[1].dossier_code, "HS-002");
  EXPECT_EQ((*listed)[1].symbol, "QĐ-UBND");
  EXPECT_NE((*listed)[1].signer.find("Nguyễn Văn An"), std::string::npos) << (*listed)[1].signer;
  EXPECT_NE((*listed)[1].agency.find("XÃ LONG PHƯỚC"), std::string::npos);
  EXPECT_EQ((*listed)[2].number, 3);
  EXPECT_EQ((*listed)[2].state, store::RegisterState::kIssued);
  EXPECT_GT((*listed)[2].issue_time_ms, 0);
}

// A key whose signatures do not match the certificate it presents (a misconfigured server key).
class MismatchedKey : public signer::KeySigner {
 public:
  MismatchedKey(signer::KeySigner& shown, signer::KeySigner& signing)
      : shown_(shown), signing_(signing) {}
  const std::vector<Bytes>& CertificateChain() const override { return shown_.CertificateChain(); }
  signer::SignatureScheme scheme() const override { return shown_.scheme(); }
  absl::StatusOr<Bytes> Sign(ByteSpan data, signer::DigestAlgorithm md) override {
    return signing_.Sign(data, md);
  }

 private:
  signer::KeySigner& shown_;
  signer::KeySigner& signing_;
};

// Font programs (/FontFile2 streams) written after the first `from` bytes of `pdf`.
int FontProgramsAfter(const std::string& pdf, size_t from) {
  const std::string bytes = testing::ReadFileBytes(pdf);
  int count = 0;
  for (size_t at = bytes.find("/FontFile2", from); at != std::string::npos;
       at = bytes.find("/FontFile2", at + 1)) {
    ++count;
  }
  return count;
}

TEST_F(IssueWorkflow, ServerSealIsOnePassAndAFailedOneLeavesAGap) {
  const std::string first = Create("HS-101"), second = Create("HS-102"), third = Create("HS-103");
  for (const std::string& id : {first, second, third}) Approve(id);
  const size_t approved_size = testing::ReadFileBytes(LatestPdf(first)).size();

  // A key that signs with another key than its certificate's: refused before anything is
  // stored; the number allocated for it becomes a gap with the reason.
  MismatchedKey wrong(*seal_, *officer_);
  workflow::PrepareInput in;
  in.document_id = first;
  in.role = workflow::SignatureRole::kSeal;
  int computing_calls = 0, signed_calls = 0;
  workflow::ComputeHooks counted;
  counted.computing = [&] {
    ++computing_calls;
    return absl::OkStatus();
  };
  counted.computed = [&] { ++signed_calls; };  // once a signed file is complete, before storing
  auto failed = workflow_->SignWith(Clerk(), in, wrong, counted);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(computing_calls, 1);
  EXPECT_EQ(signed_calls, 0);
  EXPECT_TRUE(HasCode(failed.status(), ErrorCode::kSignatureValueInvalid)) << failed.status();
  auto view = workflow_->Get(TestCaller(), first, true);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->document.state, store::DocumentState::kApproved);
  EXPECT_EQ(view->revisions.size(), 2u);

  // The same day's seals: each one its number, the date the same, drawn with the digit subsets
  // kept between seals — and each update carries one font program per font, not one per field.
  for (const std::string& id : {first, second, third}) {
    in.document_id = id;
    const size_t revisions_before = workflow_->Get(TestCaller(), id, true)->revisions.size();
    workflow::ComputeHooks hooks;
    hooks.computing = [&] {
      ++computing_calls;
      return absl::OkStatus();
    };
    hooks.computed = [&] {
      ++signed_calls;
      // Not stored yet when the hook runs.
      EXPECT_EQ(workflow_->Get(TestCaller(), id, true)->revisions.size(), revisions_before);
    };
    auto sealed = workflow_->SignWith(Clerk(), in, *seal_, hooks);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    EXPECT_EQ(sealed->document.state, store::DocumentState::kSealed);
    EXPECT_EQ(sealed->revision.number, 3);
  }
  EXPECT_EQ(signed_calls, 3);
  EXPECT_EQ(computing_calls, 4);
  const render::IssueDate today = render::IssueDateAt(std::time(nullptr));
  const std::string day = render::DayText(today.day), month = render::MonthText(today.month),
                    year = std::to_string(today.year);
  ExpectAllSignaturesValid(LatestPdf(first), 2);
  ExpectNumberAndDateInPlace(LatestPdf(first), "02", day, month, year);
  // The seal's file is named by the SHA-256 the signer computed as it wrote it: coreutils agrees.
  for (const std::string& id : {first, third}) {
    const std::string path = LatestPdf(id);
    EXPECT_EQ(path.substr(path.rfind('/') + 1), taicho::testing::Sha256sum(path) + ".pdf");
  }
  ExpectAllSignaturesValid(LatestPdf(third), 2);
  ExpectNumberAndDateInPlace(LatestPdf(third), "04", day, month, year);
  // The number (Regular) and the date (Italic): two font programs in the seal's update.
  EXPECT_EQ(FontProgramsAfter(LatestPdf(first), approved_size), 2);

  // The record: no session for a one-pass seal, the number's allocation and the seal.
  view = workflow_->Get(TestCaller(), first, true);
  ASSERT_TRUE(view.ok());
  std::vector<std::string> actions;
  for (const store::HistoryEvent& e : view->history) actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"created", "signature_prepared", "approved",
                                               "number_allocated", "number_allocated", "sealed"}));
  auto listed = store_->ListRegister({});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 4u);
  EXPECT_EQ((*listed)[0].state, store::RegisterState::kVoid);
  EXPECT_NE((*listed)[0].void_reason.find("signing failed"), std::string::npos)
      << (*listed)[0].void_reason;
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ((*listed)[i].state, store::RegisterState::kIssued);

  // A caller that gives up before computing (a cancelled call waiting for taichod's seal gate):
  // nothing signed or stored, the number it was given becomes a gap with the reason.
  const std::string fourth = Create("HS-104");
  Approve(fourth);
  in.document_id = fourth;
  workflow::ComputeHooks gave_up;
  gave_up.computing = [] { return Error(ErrorCode::kCancelled, "the caller went away"); };
  gave_up.computed = [&] { ++signed_calls; };
  auto cancelled = workflow_->SignWith(Clerk(), in, *seal_, gave_up);
  EXPECT_TRUE(HasCode(cancelled.status(), ErrorCode::kCancelled)) << cancelled.status();
  EXPECT_EQ(signed_calls, 3);
  EXPECT_EQ(workflow_->Get(TestCaller(), fourth, true)->document.state,
            store::DocumentState::kApproved);
  EXPECT_EQ(workflow_->Get(TestCaller(), fourth, true)->revisions.size(), 2u);
  listed = store_->ListRegister({});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 5u);
  EXPECT_EQ((*listed)[4].state, store::RegisterState::kVoid);
  EXPECT_NE((*listed)[4].void_reason.find("the caller went away"), std::string::npos)
      << (*listed)[4].void_reason;
}

// The sample decision with its signer's name or its issuing agency replaced.
std::string DecisionWith(const std::string& signer, const std::string& agency) {
  nlohmann::json j = nlohmann::json::parse(testing::BlankDecisionJson());
  if (!signer.empty()) j["signer"]["name"] = signer;
  if (!agency.empty()) j["agency"]["name"] = agency;
  return j.dump();
}

// Issue 17: the officer's certificate must name the document's signer (NFC, exact diacritics),
// checked before anything is prepared.
TEST_F(IssueWorkflow, OfficerMustBeTheSignerTheDocumentNames) {
  // "Nguyễn Văn An" written decomposed (NFD): the same name.
  const std::string nfd = "Nguye\xcc\x82\xcc\x83n Va\xcc\x86n An";
  const std::string same = Create("HS-201", DecisionWith(nfd, ""));
  auto ok = Prepare(same, workflow::SignatureRole::kApprover, *officer_);
  EXPECT_TRUE(ok.ok()) << ok.status();
  for (const char* other : {"Nguyễn Văn Bình", "Nguyễn Văn Ân", "nguyễn văn an"}) {
    SCOPED_TRACE(other);
    const std::string id = Create(std::string("HS-202-") + other, DecisionWith(other, ""));
    auto refused = Prepare(id, workflow::SignatureRole::kApprover, *officer_);
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(HasCode(refused.status(), ErrorCode::kSignerNameMismatch)) << refused.status();
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.status().message().find(other), std::string::npos) << refused.status();
    EXPECT_NE(refused.status().message().find("Nguyễn Văn An"), std::string::npos);
    // Nothing prepared: the document stays a draft with its one revision, no session.
    auto view = workflow_->Get(TestCaller(), id, true);
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->document.state, store::DocumentState::kDraft);
    EXPECT_EQ(view->history.size(), 1u);
  }
}

// Issue 17: the seal must be the issuing agency's — the agency its server key is configured for,
// else the seal certificate's O ("UBND xã Long Phước") — checked before a number is allocated.
TEST_F(IssueWorkflow, SealMustBelongToTheIssuingAgency) {
  const std::string own = Create("HS-301");
  const std::string other = Create("HS-302", DecisionWith("", "ỦY BAN NHÂN DÂN XÃ XUYÊN MỘC"));
  Approve(own);
  Approve(other);
  // Another agency's document, sealed with a certificate whose O is Long Phước.
  auto refused = Prepare(other, workflow::SignatureRole::kSeal, *seal_);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(HasCode(refused.status(), ErrorCode::kAgencyMismatch)) << refused.status();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  // A server key configured for Xuyên Mộc seals Xuyên Mộc's document, not Long Phước's, whatever
  // its certificate's O says.
  workflow::PrepareInput in;
  in.role = workflow::SignatureRole::kSeal;
  in.key_agency = "ỦY BAN NHÂN DÂN XÃ XUYÊN MỘC";
  in.document_id = own;
  auto wrong_key = workflow_->SignWith(Clerk(), in, *seal_);
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_TRUE(HasCode(wrong_key.status(), ErrorCode::kAgencyMismatch)) << wrong_key.status();
  auto listed = store_->ListRegister({});
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty()) << "no number is allocated for a refused seal";
  in.document_id = other;
  auto sealed = workflow_->SignWith(Clerk(), in, *seal_);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  ExpectAllSignaturesValid(LatestPdf(other), 2);
  // Its own agency's document, by the certificate's O ("UBND" read as "ỦY BAN NHÂN DÂN").
  auto p = Prepare(own, workflow::SignatureRole::kSeal, *seal_);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(Complete(*p, *seal_).ok());
  ExpectAllSignaturesValid(LatestPdf(own), 2);
}

// --- desk statistics: received, returned, on the spot, receipt-to-return percentiles ---

TEST(DeskStatistics, CountsSharesAndPercentilesPerProcedure) {
  const std::string dir = MakeTempDir("stats");
  auto opened = store::OpenSqliteStore(dir);
  ASSERT_TRUE(opened.ok()) << opened.status();
  store::Store& s = **opened;
  // 2026-03-05 08:00 Vietnam time; the workflow's clock is this test's.
  const int64_t t0 = (1772672400LL) * 1000;
  ManualEnv clock(t0);
  workflow::WorkflowConfig config;
  config.kinds_dir = render::DefaultKindsDir();
  config.font_dir = pdf::kDefaultFontDir;
  config.env = &clock;
  workflow::DocumentWorkflow wf(s, config);
  auto create = [&](const std::string& dossier, const std::string& procedure) {
    workflow::CreateInput in;
    in.kind = "quyet-dinh-ubnd";
    in.dossier_code = dossier;
    in.request_id = "1";
    in.procedure = procedure;
    in.desk = "Quầy 1";
    in.data_json = testing::BlankDecisionJson();
    auto out = wf.Create(TestCaller(), in);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->document.id : "";
  };
  auto move = [&](const std::string& id, store::DocumentState to, int64_t at) {
    ASSERT_TRUE(
        s.Transition(id, {store::DocumentState::kDraft}, to, {id, at, "t", "x", "", 1}).ok());
  };
  constexpr int64_t kMinute = 60 * 1000;
  const std::string a1 = create("A1", "1.001"), a2 = create("A2", "1.001"),
                    a3 = create("A3", "1.001"), a4 = create("A4", "1.001"),
                    b1 = create("B1", "2.002");
  move(a1, store::DocumentState::kIssued, t0 + 30 * kMinute);   // on the spot
  move(a2, store::DocumentState::kIssued, t0 + 180 * kMinute);  // same day, but 3 hours
  move(a3, store::DocumentState::kCancelled, t0 + kMinute);
  move(b1, store::DocumentState::kIssued, t0 + 10 * kMinute);
  clock.SetUnixMillis(t0 + 24 * 60 * kMinute);
  (void)a4;  // still a draft: received, not returned

  auto stats = wf.DeskStatistics(TestCaller(), {});
  ASSERT_TRUE(stats.ok()) << stats.status();
  ASSERT_EQ(stats->size(), 3u);
  const workflow::ProcedureStatistics& a = (*stats)[0];
  EXPECT_EQ(a.procedure, "1.001");
  EXPECT_EQ(a.received, 4);
  EXPECT_EQ(a.issued, 2);
  EXPECT_EQ(a.issued_on_the_spot, 1);
  EXPECT_EQ(a.cancelled, 1);
  EXPECT_DOUBLE_EQ(a.on_the_spot_share, 0.5);
  EXPECT_EQ(a.median_ms, 30 * kMinute);
  EXPECT_EQ(a.p90_ms, 180 * kMinute);
  const workflow::ProcedureStatistics& total = (*stats)[2];
  EXPECT_EQ(total.procedure, "");
  EXPECT_EQ(total.received, 5);
  EXPECT_EQ(total.issued, 3);
  EXPECT_EQ(total.issued_on_the_spot, 2);
  EXPECT_EQ(total.median_ms, 30 * kMinute);
  EXPECT_EQ(total.p90_ms, 180 * kMinute);
  // A period that ends before the dossiers came, and another desk: nothing.
  workflow::StatisticsQuery before;
  before.to_ms = t0 - 1;
  stats = wf.DeskStatistics(TestCaller(), before);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->back().received, 0);
  workflow::StatisticsQuery other;
  other.desk = "Quầy 2";
  stats = wf.DeskStatistics(TestCaller(), other);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->back().received, 0);
}

}  // namespace
}  // namespace taicho
