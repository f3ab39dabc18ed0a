// The use cases in process, without gRPC: the real SQLite store, real keys (PKCS#12 files of the
// sample PKI), the real PDF and signing code. Every state × action pair of the lifecycle gives the
// right code, and the rules the gRPC handlers used to hold — who may do what, with which
// certificate, which session — hold for any front end.
#include "workflow/document_workflow.h"

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "pades/pdf_signer.h"
#include "render/document_kind.h"
#include "render/issue_fields.h"
#include "signer/certificate_info.h"
#include "signer/key_signer.h"
#include "store/sqlite_store.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_images.h"
#include "tests/support/signed_pdf_checks.h"
#include "workflow/register_csv.h"

namespace taicho::workflow {
namespace {

using domain::Action;
using domain::Principal;
using domain::Role;
using store::DocumentState;
using enum DocumentState;

std::unique_ptr<signer::KeySigner> P12(const std::string& name) {
  auto key = signer::LoadPkcs12Signer(testing::GetSamplePki().dir + "/" + name + ".p12", "taicho");
  EXPECT_TRUE(key.ok()) << key.status();
  return key.ok() ? *std::move(key) : nullptr;
}

std::string SubjectOf(signer::KeySigner& key) {
  auto info = signer::DescribeCertificate(key.CertificateChain().front());
  EXPECT_TRUE(info.ok()) << info.status();
  return info.ok() ? info->subject : "";
}

::testing::AssertionResult HasCodeOf(const absl::Status& st, ErrorCode code) {
  if (HasCode(st, code)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "want " << std::string(CodeName(code)) << ", got " << st;
}

class WorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("workflow");
    officer_an_ = P12("officer-an");
    officer_binh_ = P12("officer-binh");
    seal_ = P12("seal");
    ASSERT_TRUE(officer_an_ && officer_binh_ && seal_);
    WorkflowConfig config;
    config.kinds_dir = render::DefaultKindsDir();
    config.font_dir = pdf::kDefaultFontDir;
    config.trust_anchors_pem =
        testing::ReadFileBytes(testing::GetSamplePki().dir + "/ca-bundle.pem");
    auto s = store::OpenSqliteStore(dir_ + "/store");
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
    workflow_ = std::make_unique<DocumentWorkflow>(*store_, config);
    an_ = Caller::Of(Principal{Role::kOfficer, SubjectOf(*officer_an_)});
    binh_ = Caller::Of(Principal{Role::kOfficer, SubjectOf(*officer_binh_)});
  }

  static Caller As(Role role) { return Caller::Of(Principal{role, "CN=Người thử"}); }

  std::string Create() {
    CreateInput in;
    in.kind = "quyet-dinh-ubnd";
    in.dossier_code = "HS-" + std::to_string(++counter_);
    in.request_id = "1";
    in.desk = "mot-cua";
    in.data_json = testing::BlankDecisionJson();
    auto out = workflow_->Create(As(Role::kIntake), in);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->document.id : "";
  }

  PrepareInput Input(const std::string& id, SignatureRole role, signer::KeySigner& key) {
    PrepareInput in;
    in.document_id = id;
    in.role = role;
    in.chain = key.CertificateChain();
    return in;
  }

  absl::Status Approve(const std::string& id) {
    auto p = workflow_->Prepare(an_, Input(id, SignatureRole::kApprover, *officer_an_));
    if (!p.ok()) return p.status();
    auto value = officer_an_->Sign(p->to_be_signed, p->digest);
    if (!value.ok()) return value.status();
    return workflow_->Complete(an_, p->session.id, *value).status();
  }

  absl::Status Seal(const std::string& id) {
    return workflow_
        ->SignWith(As(Role::kSealClerk), Input(id, SignatureRole::kSeal, *seal_), *seal_)
        .status();
  }

  absl::Status Print(const std::string& id, const std::string& print_id) {
    auto doc = store_->GetDocument(id);
    if (!doc.ok()) return doc.status();
    PrintInput in;
    in.document_id = in.revision_document_id = id;
    in.print_id = print_id;
    in.revision = doc->latest_revision;
    in.printer = "folder";
    return workflow_->MarkPrinted(As(Role::kPrintStation), in).status();
  }

  // A new document brought to `state` through the use cases themselves.
  std::string DocumentIn(DocumentState state) {
    const std::string id = Create();
    auto check = [](const absl::Status& st) { EXPECT_TRUE(st.ok()) << st; };
    if (state == kCancelled) {
      check(workflow_->Cancel(As(Role::kIntake), id, "rút hồ sơ").status());
      return id;
    }
    if (state == kDraft) return id;
    check(Approve(id));
    if (state == kApproved) return id;
    check(Seal(id));
    if (state == kSealed) return id;
    if (state == kWithdrawn) {
      check(workflow_->Withdraw(As(Role::kSealClerk), id, "sai thẩm quyền").status());
      return id;
    }
    check(Print(id, "first"));
    return id;  // kIssued
  }

  // Performs `action` on the document as the role that may do it.
  absl::Status Perform(const std::string& id, Action action) {
    switch (action) {
      case Action::kApprove:
        return Approve(id);
      case Action::kSeal:
        return Seal(id);
      case Action::kPrint: {
        // An issued document prints again only for a reprint asked for: ask first when allowed.
        auto doc = store_->GetDocument(id);
        if (doc.ok() && doc->state == kIssued) {
          auto job = workflow_->RequestReprint(As(Role::kPrintStation), id, "giấy hỏng");
          if (!job.ok()) return job.status();
        }
        return Print(id, "p-" + std::to_string(++counter_));
      }
      case Action::kRequestReprint:
        return workflow_->RequestReprint(As(Role::kPrintStation), id, "giấy hỏng").status();
      case Action::kCancel:
        return workflow_->Cancel(As(Role::kIntake), id, "rút hồ sơ").status();
      case Action::kWithdraw:
        return workflow_->Withdraw(As(Role::kSealClerk), id, "sai thẩm quyền").status();
    }
    return absl::InternalError("unknown action");
  }

  DocumentState StateOf(const std::string& id) {
    auto doc = store_->GetDocument(id);
    EXPECT_TRUE(doc.ok()) << doc.status();
    return doc.ok() ? doc->state : kDraft;
  }

  std::string dir_;
  int counter_ = 0;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<DocumentWorkflow> workflow_;
  std::unique_ptr<signer::KeySigner> officer_an_, officer_binh_, seal_;
  Caller an_, binh_;
};

// The lifecycle, written out here independently of domain/transitions.cc: the state each action
// leads to from each state; absent: STATE_TRANSITION_INVALID.
const std::map<std::pair<DocumentState, Action>, DocumentState>& Expected() {
  static const auto* const table = new std::map<std::pair<DocumentState, Action>, DocumentState>{
      {{kDraft, Action::kApprove}, kApproved},    {{kDraft, Action::kCancel}, kCancelled},
      {{kApproved, Action::kSeal}, kSealed},      {{kApproved, Action::kCancel}, kCancelled},
      {{kSealed, Action::kPrint}, kIssued},       {{kSealed, Action::kWithdraw}, kWithdrawn},
      {{kIssued, Action::kPrint}, kIssued},       {{kIssued, Action::kRequestReprint}, kIssued},
      {{kIssued, Action::kWithdraw}, kWithdrawn},
  };
  return *table;
}

TEST(Transitions, TheTableIsTheLifecycle) {
  ASSERT_EQ(domain::AllStates().size(), 6u);
  ASSERT_EQ(domain::AllActions().size(), 6u);
  for (DocumentState from : domain::AllStates()) {
    for (Action action : domain::AllActions()) {
      auto next = domain::Next(from, action);
      const auto want = Expected().find({from, action});
      SCOPED_TRACE(std::string(domain::StateName(from)) + " × " + domain::ActionName(action));
      if (want == Expected().end()) {
        EXPECT_TRUE(HasCodeOf(next.status(), ErrorCode::kTransitionInvalid));
        EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
      } else {
        ASSERT_TRUE(next.ok()) << next.status();
        EXPECT_EQ(*next, want->second);
      }
    }
  }
  // The two ends point to each other.
  EXPECT_NE(domain::Next(kSealed, Action::kCancel).status().message().find("WithdrawDocument"),
            std::string::npos);
  EXPECT_NE(domain::Next(kApproved, Action::kWithdraw).status().message().find("CancelDocument"),
            std::string::npos);
}

// Every state × action through the use cases, the store and real signatures.
TEST_F(WorkflowTest, EveryStateAndActionGivesTheRightCode) {
  for (DocumentState from : domain::AllStates()) {
    for (Action action : domain::AllActions()) {
      SCOPED_TRACE(std::string(domain::StateName(from)) + " × " + domain::ActionName(action));
      const std::string id = DocumentIn(from);
      ASSERT_EQ(StateOf(id), from);
      const absl::Status st = Perform(id, action);
      const auto want = Expected().find({from, action});
      if (want == Expected().end()) {
        EXPECT_TRUE(HasCodeOf(st, ErrorCode::kTransitionInvalid));
        EXPECT_EQ(StateOf(id), from);  // nothing changed
      } else {
        EXPECT_TRUE(st.ok()) << st;
        EXPECT_EQ(StateOf(id), want->second);
      }
    }
  }
}

TEST_F(WorkflowTest, AnOfficerSignsAndCompletesOnlyWithTheirOwnCertificate) {
  const std::string id = Create();
  // Bình cannot open a session with An's certificate.
  auto other = workflow_->Prepare(binh_, Input(id, SignatureRole::kApprover, *officer_an_));
  EXPECT_TRUE(HasCodeOf(other.status(), ErrorCode::kSignerMismatch));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kPermissionDenied);

  auto prepared = workflow_->Prepare(an_, Input(id, SignatureRole::kApprover, *officer_an_));
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  auto value = officer_an_->Sign(prepared->to_be_signed, prepared->digest);
  ASSERT_TRUE(value.ok());
  // Nor complete An's session.
  EXPECT_TRUE(HasCodeOf(workflow_->Complete(binh_, prepared->session.id, *value).status(),
                        ErrorCode::kSignerMismatch));
  // Roles without a completion are refused before the session is looked up.
  EXPECT_TRUE(
      HasCodeOf(workflow_->Complete(As(Role::kPrintStation), "no-such-session", *value).status(),
                ErrorCode::kRoleNotAllowed));
  // The seal clerk may complete seals, not approvals.
  EXPECT_TRUE(
      HasCodeOf(workflow_->Complete(As(Role::kSealClerk), prepared->session.id, *value).status(),
                ErrorCode::kRoleNotAllowed));
  EXPECT_EQ(StateOf(id), kDraft);
  // An completes it: the session was untouched.
  auto done = workflow_->Complete(an_, prepared->session.id, *value);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->document.state, kApproved);
  EXPECT_EQ(done->revision.signer, an_.principal->subject);
}

TEST_F(WorkflowTest, EachSignatureNeedsItsRole) {
  const std::string draft = Create();
  const std::string approved = DocumentIn(kApproved);
  // The clerk does not approve; the officer does not seal, neither in two steps nor in one.
  EXPECT_TRUE(HasCodeOf(
      workflow_->Prepare(As(Role::kSealClerk), Input(draft, SignatureRole::kApprover, *seal_))
          .status(),
      ErrorCode::kRoleNotAllowed));
  EXPECT_TRUE(HasCodeOf(
      workflow_->Prepare(an_, Input(approved, SignatureRole::kSeal, *officer_an_)).status(),
      ErrorCode::kRoleNotAllowed));
  EXPECT_TRUE(HasCodeOf(
      workflow_->SignWith(an_, Input(approved, SignatureRole::kSeal, *seal_), *seal_).status(),
      ErrorCode::kRoleNotAllowed));
  // A key the server holds signs only as the seal.
  EXPECT_TRUE(HasCodeOf(
      workflow_
          ->SignWith(As(Role::kSealClerk), Input(draft, SignatureRole::kApprover, *seal_), *seal_)
          .status(),
      ErrorCode::kUsage));
  // No key ring configured: a server seal names no key.
  ServerSealInput server_seal;
  server_seal.document_id = approved;
  server_seal.key_name = "seal";
  EXPECT_TRUE(HasCodeOf(workflow_->SealWithServerKey(As(Role::kSealClerk), server_seal).status(),
                        ErrorCode::kKeyNotFound));
  // A seal session prepared by the clerk is the clerk's to complete, not an officer's.
  auto prepared =
      workflow_->Prepare(As(Role::kSealClerk), Input(approved, SignatureRole::kSeal, *seal_));
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  auto value = seal_->Sign(prepared->to_be_signed, prepared->digest);
  ASSERT_TRUE(value.ok());
  EXPECT_TRUE(HasCodeOf(workflow_->Complete(an_, prepared->session.id, *value).status(),
                        ErrorCode::kRoleNotAllowed));
  auto done = workflow_->Complete(As(Role::kSealClerk), prepared->session.id, *value);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->document.state, kSealed);
  auto path = workflow_->OpenRevision(As(Role::kAuditor), approved, 0);
  ASSERT_TRUE(path.ok()) << path.status();
  testing::ExpectAllSignaturesValid(path->second, 2);
}

TEST_F(WorkflowTest, EveryUseCaseAsksTheAccessPolicyFirst) {
  const std::string id = Create();
  const Caller no_role = Caller::Of(Principal{std::nullopt, "CN=Không vai trò"});
  const Caller printer = As(Role::kPrintStation);
  for (const Caller* caller : {&no_role, &printer}) {
    EXPECT_TRUE(
        HasCodeOf(workflow_->Cancel(*caller, id, "x").status(), ErrorCode::kRoleNotAllowed));
    EXPECT_TRUE(
        HasCodeOf(workflow_->Withdraw(*caller, id, "x").status(), ErrorCode::kRoleNotAllowed));
    EXPECT_TRUE(
        HasCodeOf(workflow_->ListRegister(*caller, {}).status(), ErrorCode::kRoleNotAllowed));
  }
  EXPECT_TRUE(HasCodeOf(workflow_->Get(no_role, id, false).status(), ErrorCode::kRoleNotAllowed));
  EXPECT_TRUE(
      HasCodeOf(workflow_->ListServerKeys(As(Role::kIntake)).status(), ErrorCode::kRoleNotAllowed));
  EXPECT_TRUE(HasCodeOf(workflow_->ReadyToPrint(As(Role::kIntake), "", 0, 10, 0).status(),
                        ErrorCode::kRoleNotAllowed));
  // A refused caller learns nothing, not even whether the document exists.
  EXPECT_TRUE(
      HasCodeOf(workflow_->Get(no_role, "0000", false).status(), ErrorCode::kRoleNotAllowed));
  // Without authentication (a front end that authenticates no one) everything is allowed.
  EXPECT_TRUE(workflow_->Get(Caller::Unauthenticated("127.0.0.1"), id, false).ok());
  EXPECT_EQ(StateOf(id), kDraft);
}

TEST_F(WorkflowTest, APrintNamesARevisionOfItsOwnDocument) {
  const std::string a = DocumentIn(kSealed);
  const std::string b = DocumentIn(kSealed);
  PrintInput in;
  in.document_id = a;
  in.revision_document_id = b;
  in.revision = 3;
  in.print_id = "p";
  in.printer = "folder";
  EXPECT_TRUE(
      HasCodeOf(workflow_->MarkPrinted(As(Role::kPrintStation), in).status(), ErrorCode::kUsage));
  EXPECT_EQ(StateOf(a), kSealed);
}

// Thu hồi: the number stays given and says withdrawn, the print job closes, the history names
// the caller, the lookup and the verifier say it.
TEST_F(WorkflowTest, WithdrawingKeepsTheNumberClosesThePrintJobAndIsReported) {
  const std::string id = DocumentIn(kSealed);
  auto jobs = workflow_->ReadyToPrint(As(Role::kPrintStation), "", 0, 10, 0);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].document_id, id);

  // Cancelling it is refused and says what to do instead.
  auto cancelled = workflow_->Cancel(As(Role::kIntake), id, "rút hồ sơ");
  EXPECT_TRUE(HasCodeOf(cancelled.status(), ErrorCode::kTransitionInvalid));
  EXPECT_NE(cancelled.status().message().find("WithdrawDocument"), std::string::npos);
  // A reason is required.
  EXPECT_TRUE(
      HasCodeOf(workflow_->Withdraw(As(Role::kSealClerk), id, "").status(), ErrorCode::kUsage));
  EXPECT_EQ(StateOf(id), kSealed);

  const Caller clerk = As(Role::kSealClerk);
  const std::string reason = "Quyết định thu hồi số 12/QĐ-UBND";
  auto withdrawn = workflow_->Withdraw(clerk, id, reason);
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_EQ(withdrawn->state, kWithdrawn);

  // The register: the number stays, withdrawn, with the reason and time.
  auto entries = workflow_->ListRegister(clerk, {});
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 1u);
  const store::RegisterEntry entry = (*entries)[0];
  EXPECT_EQ(entry.document_id, id);
  EXPECT_EQ(entry.state, store::RegisterState::kWithdrawn);
  EXPECT_EQ(entry.withdraw_reason, reason);
  EXPECT_GT(entry.withdraw_time_ms, 0);
  const std::string csv = RegisterCsv(*entries);
  EXPECT_NE(csv.find("Đã thu hồi / withdrawn"), std::string::npos) << csv;
  EXPECT_NE(csv.find(reason), std::string::npos) << csv;

  // The print job is closed: nothing to print, and a print is refused.
  jobs = workflow_->ReadyToPrint(As(Role::kPrintStation), "", 0, 10, 0);
  ASSERT_TRUE(jobs.ok());
  EXPECT_TRUE(jobs->empty());
  EXPECT_TRUE(HasCodeOf(Print(id, "late"), ErrorCode::kTransitionInvalid));

  // The lookup and the history.
  auto view = workflow_->Get(As(Role::kAuditor), id, /*with_history=*/true);
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_TRUE(view->withdrawal.has_value());
  EXPECT_EQ(view->withdrawal->reason, reason);
  EXPECT_EQ(view->withdrawal->actor, clerk.actor);
  EXPECT_EQ(view->history.back().action, "withdrawn");
  EXPECT_EQ(view->history.back().actor, clerk.actor);

  // The verifier: the signatures are still valid, and the document withdrawn.
  auto verified = workflow_->VerifyRevision(As(Role::kAuditor), id, 0, nullptr);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->report.all_passed());
  ASSERT_TRUE(verified->withdrawal.has_value());
  EXPECT_EQ(verified->withdrawal->reason, reason);
  auto revision = workflow_->OpenRevision(As(Role::kAuditor), id, 0);
  ASSERT_TRUE(revision.ok());
  testing::ExpectAllSignaturesValid(revision->second, 2);

  // The number is never given again: the next seal gets the next one.
  const std::string next = DocumentIn(kSealed);
  entries = workflow_->ListRegister(clerk, {});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].document_id, next);
  EXPECT_EQ((*entries)[1].number, entry.number + 1);
  EXPECT_EQ((*entries)[1].state, store::RegisterState::kIssued);
}

TEST_F(WorkflowTest, AnIssuedDocumentIsWithdrawnWithItsPendingReprint) {
  const std::string id = DocumentIn(kIssued);
  ASSERT_TRUE(workflow_->RequestReprint(As(Role::kPrintStation), id, "giấy hỏng").ok());
  auto jobs = workflow_->ReadyToPrint(As(Role::kPrintStation), "", 0, 10, 0);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  ASSERT_TRUE(workflow_->Withdraw(As(Role::kIntake), id, "sai sót").ok());
  jobs = workflow_->ReadyToPrint(As(Role::kPrintStation), "", 0, 10, 0);
  ASSERT_TRUE(jobs.ok());
  EXPECT_TRUE(jobs->empty());
  auto entries = workflow_->ListRegister(As(Role::kAuditor), {});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].state, store::RegisterState::kWithdrawn);
}

// A key the server holds (SoftHSM2, the sample seal token): the operator activates it, it seals
// only as the seal, for the roles that may seal; a failure that is the document's leaves the key
// active (only a token that is gone deactivates it: KeyRing::ReportFailure).
TEST_F(WorkflowTest, AServerKeySealsOnlyAsTheSealAndADocumentsFailureKeepsItActive) {
  keyring::KeyConfig seal;
  seal.name = "seal";
  seal.module = testing::GetSamplePki().module_path;
  seal.token_label = "Con dấu UBND Châu Đức";
  seal.key_label = "seal";
  seal.key_id_hex = "01";
  seal.sessions = 1;
  keyring::KeyRing ring({seal});
  WorkflowConfig config;
  config.kinds_dir = render::DefaultKindsDir();
  config.font_dir = pdf::kDefaultFontDir;
  config.keys = &ring;
  DocumentWorkflow wf(*store_, config);

  const std::string approved = DocumentIn(kApproved);
  ServerSealInput in;
  in.document_id = approved;
  in.key_name = "seal";
  EXPECT_TRUE(
      HasCodeOf(wf.SealWithServerKey(As(Role::kIntake), in).status(), ErrorCode::kKeyNotActivated));
  pkcs11::SecretString pin(std::string("123456"));
  EXPECT_TRUE(HasCodeOf(wf.ActivateKey(As(Role::kIntake), "seal", pin).status(),
                        ErrorCode::kRoleNotAllowed));
  auto activated = wf.ActivateKey(As(Role::kOperator), "seal", pin);
  ASSERT_TRUE(activated.ok()) << activated.status();
  EXPECT_TRUE(activated->activated);
  EXPECT_TRUE(pin.empty());  // wiped
  auto keys = wf.ListServerKeys(As(Role::kOperator));
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);

  EXPECT_TRUE(HasCodeOf(wf.SealWithServerKey(an_, in).status(), ErrorCode::kRoleNotAllowed));
  ServerSealInput as_approver = in;
  as_approver.role = SignatureRole::kApprover;
  EXPECT_TRUE(
      HasCodeOf(wf.SealWithServerKey(As(Role::kIntake), as_approver).status(), ErrorCode::kUsage));
  // The document's failure (a draft cannot be sealed): the key stays active.
  ServerSealInput draft = in;
  draft.document_id = Create();
  EXPECT_TRUE(HasCodeOf(wf.SealWithServerKey(As(Role::kIntake), draft).status(),
                        ErrorCode::kTransitionInvalid));
  EXPECT_TRUE(ring.List()[0].activated);

  auto sealed = wf.SealWithServerKey(As(Role::kIntake), in);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->document.state, kSealed);
  auto path = wf.OpenRevision(As(Role::kAuditor), approved, 0);
  ASSERT_TRUE(path.ok());
  testing::ExpectAllSignaturesValid(path->second, 2);
}

// The public page's use case (workflow/public_view.h): taichod's own code on every document (the
// caller's replaced), only sealed, issued and withdrawn documents shown, unknown and non-public
// codes alike, the number the seal gave, the print count, no reason unless configured.
TEST_F(WorkflowTest, PublicViewShowsOnlyPublicDocumentsAndTheirPublicFacts) {
  const std::regex printed("([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}");
  std::set<std::string> codes;
  for (DocumentState state : {kDraft, kApproved, kCancelled, kSealed, kIssued, kWithdrawn}) {
    SCOPED_TRACE(static_cast<int>(state));
    const std::string id = DocumentIn(state);
    auto doc = store_->GetDocument(id);
    ASSERT_TRUE(doc.ok()) << doc.status();
    const std::string code = doc->verification_code;
    EXPECT_TRUE(std::regex_match(code, printed)) << code;
    EXPECT_TRUE(codes.insert(code).second) << code;
    // The stored data (what the QR code, its caption and the print station read) carries it.
    const nlohmann::json data = nlohmann::json::parse(doc->data_json);
    EXPECT_EQ(data["verification"]["code"], code);
    EXPECT_FALSE(data["verification"].contains("url"));  // no verification_url_prefix configured
    auto found = store_->FindByVerificationCode(code);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->id, id);

    auto view = workflow_->PublicView(code, {});
    auto original = workflow_->OpenPublicOriginal(code);
    if (state == kDraft || state == kApproved || state == kCancelled) {
      EXPECT_TRUE(HasCodeOf(view.status(), ErrorCode::kDocumentNotFound));
      EXPECT_TRUE(HasCodeOf(original.status(), ErrorCode::kDocumentNotFound));
      continue;
    }
    ASSERT_TRUE(view.ok()) << view.status();
    ASSERT_TRUE(original.ok()) << original.status();
    EXPECT_EQ(view->state, state);
    EXPECT_EQ(view->code, code);
    // The draft left number and date blank: they are the register's, given at the seal.
    auto entries = workflow_->ListRegister(As(Role::kAuditor), {});
    ASSERT_TRUE(entries.ok()) << entries.status();
    std::string number;
    for (const store::RegisterEntry& e : *entries) {
      if (e.document_id == id && e.state != domain::RegisterState::kVoid) {
        number = render::NumberText(e.number) + "/" + e.symbol;
        EXPECT_EQ(view->date, e.issue_date);
      }
    }
    EXPECT_EQ(view->number, number);
    EXPECT_FALSE(view->number.empty());
    EXPECT_EQ(view->print_count, state == kIssued ? 1 : 0);
    EXPECT_TRUE(view->verdict.all_valid);
    ASSERT_EQ(view->verdict.signatures.size(), 2u);
    for (const PublicSignature& s : view->verdict.signatures) {
      EXPECT_TRUE(s.valid);
      EXPECT_EQ(s.indication, "TOTAL-PASSED");
      EXPECT_EQ(s.level, "B-B");
    }
    EXPECT_EQ(view->withdraw_time_ms > 0, state == kWithdrawn);
    EXPECT_TRUE(view->withdraw_reason.empty());  // staff's words, not shown unless configured
    EXPECT_EQ(original->size, view->original_size);
    // Typed from paper: lower case, spaces, O for 0.
    std::string typed = code;
    for (char& c : typed) c = c == '-' ? ' ' : (c == '0' ? 'O' : static_cast<char>(tolower(c)));
    auto again = workflow_->PublicView(typed, {});
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->code, code);
  }
  for (const char* unknown : {"AAAA-BBBB-CCCC-DDDD-EEEE", "TC-2026-000122", "", "<script>"}) {
    EXPECT_TRUE(
        HasCodeOf(workflow_->PublicView(unknown, {}).status(), ErrorCode::kDocumentNotFound))
        << unknown;
  }
}

// A kept pass answers only for the same chain, from its check's time up to (not including) its
// end; a newer pass of the same chain replaces it; the oldest check goes when the memo is full.
TEST(SignerCheckMemo, HoldsOnlyForTheSameChainWithinItsWindow) {
  SignerCheckMemo memo;
  const std::vector<Bytes> seal = {Bytes{1, 2, 3}, Bytes{4, 5}};
  const std::vector<Bytes> other = {Bytes{1, 2, 3}, Bytes{4, 6}};
  EXPECT_FALSE(memo.Holds(seal, 1000));
  memo.Keep(seal, 1000, 1060);
  EXPECT_TRUE(memo.Holds(seal, 1000));
  EXPECT_TRUE(memo.Holds(seal, 1059));
  EXPECT_FALSE(memo.Holds(seal, 1060));  // the answer's nextUpdate, a notAfter, or the hold
  EXPECT_FALSE(memo.Holds(seal, 999));   // a clock set back checks again
  EXPECT_FALSE(memo.Holds(other, 1001));
  memo.Keep(seal, 1100, 1160);
  EXPECT_FALSE(memo.Holds(seal, 1059));
  EXPECT_TRUE(memo.Holds(seal, 1159));
  for (size_t i = 0; i < SignerCheckMemo::kMaxChains; ++i) {
    memo.Keep({Bytes{static_cast<uint8_t>(i)}}, 2000 + static_cast<int64_t>(i), 3000);
  }
  EXPECT_FALSE(memo.Holds(seal, 1101));  // the oldest check went
  EXPECT_TRUE(memo.Holds({Bytes{0}}, 2500));
}

}  // namespace
}  // namespace taicho::workflow
