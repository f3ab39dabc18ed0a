#include "workflow/document_workflow.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "domain/signing_session.h"
#include "errors/error.h"
#include "nlohmann/json.hpp"
#include "pades/pdf_signer.h"
#include "render/document_data.h"
#include "render/document_kind.h"
#include "render/document_renderer.h"
#include "signer/certificate_info.h"
#include "workflow/issue_numbering.h"
#include "workflow/level_keeper.h"
#include "workflow/signature_names.h"
#include "workflow/verification_code.h"

namespace taicho::workflow {
namespace {

using domain::Action;
using domain::Authorize;
using domain::AuthorizeSigner;
using domain::Operation;

constexpr char kWithdrawnAction[] = "withdrawn";

// A work file removed when the scope ends, unless the store adopted (moved) it already.
class ScratchFile {
 public:
  explicit ScratchFile(std::string path) : path_(std::move(path)) {}
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  ~ScratchFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(std::string(reinterpret_cast<const char*>(md), len));
}

absl::Status WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Error(ErrorCode::kIo, "cannot write a work file");
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SizeOf(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error(ErrorCode::kIo, absl::StrCat(path, ": ", ec.message()));
  return static_cast<int64_t>(size);
}

absl::Status CheckKey(const std::string& name, const std::string& value, bool required) {
  if (required && value.empty()) {
    return Error(ErrorCode::kUsage, absl::StrCat(name, ": bắt buộc / required"));
  }
  if (value.size() > kMaxKeyLength) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat(name, ": dài quá / longer than ", kMaxKeyLength, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<store::RevisionRecord> FindRevision(const std::vector<store::RevisionRecord>& revs,
                                                   int number, const std::string& id) {
  for (const store::RevisionRecord& r : revs) {
    if (r.number == number) return r;
  }
  return Error(ErrorCode::kDocumentNotFound, absl::StrCat("documents/", id, "/revisions/", number));
}

// A TSA or responder that did not answer (or answered wrongly): what "issue-and-upgrade" lets a
// seal go on without. A revoked or untrusted certificate is never one of them.
bool IsOutage(const absl::Status& st) {
  return HasCode(st, ErrorCode::kTsaUnavailable) || HasCode(st, ErrorCode::kTsaRejected) ||
         HasCode(st, ErrorCode::kTsaResponseInvalid) ||
         HasCode(st, ErrorCode::kRevocationUnavailable);
}

// What a signature reached after its own time-stamp (or none) and the updates above it.
struct ReachedLevel {
  PadesLevel level = PadesLevel::kBB;
  RaisedFile raised;    // the DSS / document time-stamp file, when written
  std::string problem;  // under issue-and-upgrade: why it is below `target`
};

// From a signature just made (`signed_path`, `result`) towards `target`: B-T when it carries a
// signature time-stamp, then the DSS and document time-stamp in `raised_path` (RaiseLevel).
// Without a token (only the fallback client returns without one) or with a TSA or responder
// down for the updates, issue-and-upgrade keeps the level reached, with why; otherwise the
// outage is the error.
absl::StatusOr<ReachedLevel> ReachLevel(const SigningPolicy& policy,
                                        const pades::SignResult& result, PadesLevel target,
                                        const std::string& signed_path,
                                        const std::string& raised_path, const Env* env,
                                        std::string problem) {
  ReachedLevel out;
  out.level = result.level == "B-T" ? PadesLevel::kBT : PadesLevel::kBB;
  if (out.level < std::min(target, PadesLevel::kBT)) {
    std::string why;
    for (const std::string& p : result.tsa_problems) absl::StrAppend(&why, p, "; ");
    absl::StrAppend(&problem, problem.empty() ? "" : "; ", "no signature time-stamp: ", why);
  }
  if (out.level >= PadesLevel::kBT) {
    absl::StatusOr<RaisedFile> raised = RaiseLevel(policy, target, signed_path, raised_path, env);
    if (raised.ok()) {
      out.raised = *std::move(raised);
      if (out.raised.written) out.level = target;
    } else if (policy.when_unavailable == WhenUnavailable::kIssueAndUpgrade &&
               IsOutage(raised.status())) {
      absl::StrAppend(&problem, problem.empty() ? "" : "; ", raised.status().message());
    } else {
      return raised.status();
    }
  }
  out.problem = std::move(problem);
  return out;
}

// The time-stamp client a signature completed at `level` asks: none below B-T; under
// issue-and-upgrade the one falling back to B-B (with the reasons) instead of failing.
const tsa::TsaClient* TsaFor(const SigningPolicy& policy, PadesLevel level) {
  if (level < PadesLevel::kBT) return nullptr;
  if (policy.when_unavailable == WhenUnavailable::kIssueAndUpgrade &&
      policy.seal_tsa_fallback != nullptr) {
    return policy.seal_tsa_fallback.get();
  }
  return policy.tsa.get();
}

// Each signature's level after a seal that reached `reached` at the policy's level: the DSS
// covers every signature and the document time-stamp follows, so the officer's signature is at
// the seal's level when it carries its own time-stamp (the officer's policy ≥ B-T; one completed
// without, during an outage, is read from the file instead: SealRecord); without one, the archive
// time-stamp is what gives it B-T, and it stops at B-LT (EN 319 142-1; pades/baseline_level.cc
// reads files the same way).
std::string SignatureLevelsAfterSeal(const std::vector<store::RevisionRecord>& revisions,
                                     PadesLevel reached, PadesLevel officer) {
  std::string out;
  for (const store::RevisionRecord& r : revisions) {
    if (r.purpose != store::RevisionPurpose::kApproval) continue;
    PadesLevel level = officer;
    if (reached >= PadesLevel::kBLT) {
      level = officer >= PadesLevel::kBT ? reached : PadesLevel::kBLT;
    }
    absl::StrAppend(&out, StepOf(SignatureRole::kApprover).field, "=", LevelName(level), ";");
  }
  absl::StrAppend(&out, StepOf(SignatureRole::kSeal).field, "=", LevelName(reached));
  return out;
}

// The approving officer: the signer of the approval revision ("" before approval).
std::string ApproverOf(const std::vector<store::RevisionRecord>& revisions) {
  for (const store::RevisionRecord& r : revisions) {
    if (r.purpose == store::RevisionPurpose::kApproval) return r.signer;
  }
  return "";
}

}  // namespace

// The caller's document data with `verification` in place of whatever it sent (key order kept).
absl::StatusOr<std::string> WithVerification(const std::string& data_json,
                                             const render::Verification& verification) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(data_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(ErrorCode::kInternal, "the document data parsed once but not twice");
  }
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  v["code"] = verification.code;
  if (!verification.url.empty()) v["url"] = verification.url;
  j["verification"] = std::move(v);
  return j.dump();
}

std::string RandomId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // The OS random source failing is not something to work around with a weaker one.
    abort();
  }
  return absl::BytesToHexString(std::string(reinterpret_cast<const char*>(bytes), 16));
}

DocumentWorkflow::DocumentWorkflow(store::Store& store, WorkflowConfig config)
    : store_(store), config_(std::move(config)), kinds_(config_.kinds_dir) {}

int64_t DocumentWorkflow::Now() const {
  return (config_.env != nullptr ? *config_.env : Env::Default()).NowUnixMillis();
}

absl::StatusOr<CreateOutput> DocumentWorkflow::Create(const Caller& caller, const CreateInput& in) {
  if (absl::Status st = Authorize(caller, Operation::kCreateDocument); !st.ok()) return st;
  struct Key {
    const char* name;
    const std::string& value;
    bool required;
  };
  for (const Key& key : {Key{"kind", in.kind, true}, Key{"dossier_code", in.dossier_code, true},
                         Key{"request_id", in.request_id, true},
                         Key{"procedure", in.procedure, false}, Key{"desk", in.desk, false}}) {
    absl::Status st = CheckKey(key.name, key.value, key.required);
    if (!st.ok()) return st;
  }
  // What the key promises: the same request, byte for byte, in every field that shapes the
  // document. Each field is length-prefixed so no two different requests hash alike.
  std::string hashed;
  for (const std::string* field : {&in.kind, &in.procedure, &in.desk, &in.data_json}) {
    absl::StrAppend(&hashed, field->size(), ":", *field);
  }
  const std::string request_hash = Sha256Hex(hashed);
  auto existing = store_.FindByRequest(in.dossier_code, in.request_id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    if ((*existing)->request_hash != request_hash) {
      return Error(ErrorCode::kRequestIdReused, absl::StrCat("documents/", (*existing)->id));
    }
    return CreateOutput{**existing, false};
  }

  absl::StatusOr<std::shared_ptr<const render::DocumentKind>> kind = kinds_.Get(in.kind);
  if (!kind.ok()) return kind.status();
  absl::StatusOr<render::DocumentData> data = render::ParseDocumentJson(in.data_json, **kind);
  if (!data.ok()) return data.status();
  // The code under the QR code is ours, never the caller's: a caller's code could be guessed
  // (sequential numbers), and the page behind it shows the original.
  const std::string code = NewVerificationCode();
  data->verification.code = code;
  data->verification.url =
      config_.verification_url_prefix.empty() ? "" : config_.verification_url_prefix + code;
  absl::StatusOr<std::string> data_json = WithVerification(in.data_json, data->verification);
  if (!data_json.ok()) return data_json.status();

  ScratchFile draft(Scratch(".pdf"));
  render::RenderOptions options;
  options.output_path = draft.path();
  options.font_dir = config_.font_dir;
  options.font_files = &drawings_.fonts();  // shared with the seals' field texts
  absl::StatusOr<render::RenderedDocument> rendered =
      render::RenderDocument(**kind, *data, options);
  if (!rendered.ok()) return rendered.status();
  absl::StatusOr<int64_t> size = SizeOf(draft.path());
  if (!size.ok()) return size.status();
  absl::StatusOr<std::string> sha = store_.PutBlob(draft.path());
  if (!sha.ok()) return sha.status();

  const int64_t now = Now();
  store::DocumentRecord doc;
  doc.id = RandomId();
  doc.kind = in.kind;
  doc.dossier_code = in.dossier_code;
  doc.request_id = in.request_id;
  doc.request_hash = request_hash;
  doc.procedure = in.procedure;
  doc.desk = in.desk;
  const std::string& type = data->type.empty() ? (*kind)->type : data->type;
  doc.title = data->summary.empty() ? type : absl::StrCat(type, " ", data->summary);
  doc.data_json = *std::move(data_json);
  doc.verification_code = code;
  doc.state = store::DocumentState::kDraft;
  doc.create_time_ms = doc.update_time_ms = now;
  doc.latest_revision = 1;
  const store::RevisionRecord revision{doc.id, 1,  store::RevisionPurpose::kDraft, *sha, *size,
                                       "",     now};
  const store::HistoryEvent event{
      doc.id,
      now,
      caller.actor,
      "created",
      absl::StrCat("kind ", in.kind, ", ", rendered->page_count, " pages"),
      1};
  absl::StatusOr<store::CreateOutcome> outcome = store_.CreateDocument(doc, revision, event);
  if (!outcome.ok()) return outcome.status();
  // Another request with the same key may have won the race while this one rendered.
  if (!outcome->created && outcome->document.request_hash != request_hash) {
    return Error(ErrorCode::kRequestIdReused, "documents/" + outcome->document.id);
  }
  return CreateOutput{std::move(outcome->document), outcome->created};
}

absl::StatusOr<DocumentView> DocumentWorkflow::Get(const Caller& caller, const std::string& id,
                                                   bool with_history) {
  if (absl::Status st = Authorize(caller, Operation::kGetDocument); !st.ok()) return st;
  DocumentView view;
  absl::StatusOr<store::DocumentRecord> doc = store_.GetDocument(id);
  if (!doc.ok()) return doc.status();
  view.document = *std::move(doc);
  auto revisions = store_.ListRevisions(id);
  if (!revisions.ok()) return revisions.status();
  view.revisions = *std::move(revisions);
  if (with_history) {
    auto history = store_.ListHistory(id);
    if (!history.ok()) return history.status();
    view.history = *std::move(history);
  }
  auto withdrawal = WithdrawalOf(view.document);
  if (!withdrawal.ok()) return withdrawal.status();
  view.withdrawal = *std::move(withdrawal);
  auto level = store_.GetLevel(id);
  if (!level.ok()) return level.status();
  // A record whose seal was never stored (a gap) says nothing about this document.
  if (level->has_value() && !(*level)->level.empty()) view.level = **std::move(level);
  return view;
}

absl::StatusOr<std::optional<domain::Withdrawal>> DocumentWorkflow::WithdrawalOf(
    const store::DocumentRecord& doc) {
  if (doc.state != store::DocumentState::kWithdrawn) return std::optional<domain::Withdrawal>();
  auto history = store_.ListHistory(doc.id);
  if (!history.ok()) return history.status();
  for (auto e = history->rbegin(); e != history->rend(); ++e) {
    if (e->action == kWithdrawnAction) {
      return std::optional<domain::Withdrawal>(domain::Withdrawal{e->detail, e->actor, e->time_ms});
    }
  }
  return Error(ErrorCode::kInternal, "documents/" + doc.id + ": withdrawn without its event");
}

absl::StatusOr<std::vector<store::DocumentRecord>> DocumentWorkflow::List(
    const Caller& caller, const store::ListFilter& filter) {
  if (absl::Status st = Authorize(caller, Operation::kListDocuments); !st.ok()) return st;
  return store_.ListDocuments(filter);
}

absl::StatusOr<std::pair<store::RevisionRecord, std::string>> DocumentWorkflow::OpenRevision(
    const Caller& caller, const std::string& id, int number) {
  if (absl::Status st = Authorize(caller, Operation::kDownloadRevision); !st.ok()) return st;
  return OpenRevisionOf(id, number);
}

absl::StatusOr<std::pair<store::RevisionRecord, std::string>> DocumentWorkflow::OpenRevisionOf(
    const std::string& id, int number) {
  absl::StatusOr<store::DocumentRecord> doc = store_.GetDocument(id);
  if (!doc.ok()) return doc.status();
  auto revisions = store_.ListRevisions(id);
  if (!revisions.ok()) return revisions.status();
  auto revision = FindRevision(*revisions, number == 0 ? doc->latest_revision : number, id);
  if (!revision.ok()) return revision.status();
  absl::StatusOr<std::string> path = store_.BlobPath(revision->sha256);
  if (!path.ok()) return path.status();
  return std::make_pair(*std::move(revision), *std::move(path));
}

absl::Status DocumentWorkflow::CheckNext(const std::string& id, Action action) {
  absl::StatusOr<store::DocumentRecord> doc = store_.GetDocument(id);
  if (!doc.ok()) return doc.status();
  return domain::Next(doc->state, action).status();
}

namespace {

absl::Status CheckReason(const std::string& reason) {
  if (reason.empty() || reason.size() > 2000) {
    return Error(ErrorCode::kUsage,
                 "reason: bắt buộc, tối đa 2000 byte / required, at most 2000 bytes");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<store::DocumentRecord> DocumentWorkflow::Cancel(const Caller& caller,
                                                               const std::string& id,
                                                               const std::string& reason) {
  if (absl::Status st = Authorize(caller, Operation::kCancelDocument); !st.ok()) return st;
  if (absl::Status st = CheckReason(reason); !st.ok()) return st;
  // Checked first for the table's message; again inside the store's transaction.
  if (absl::Status st = CheckNext(id, Action::kCancel); !st.ok()) return st;
  const store::HistoryEvent event{id, Now(), caller.actor, "cancelled", reason, 0};
  return store_.Transition(id, domain::StatesAllowing(Action::kCancel),
                           store::DocumentState::kCancelled, event);
}

absl::StatusOr<store::DocumentRecord> DocumentWorkflow::Withdraw(const Caller& caller,
                                                                 const std::string& id,
                                                                 const std::string& reason) {
  if (absl::Status st = Authorize(caller, Operation::kWithdrawDocument); !st.ok()) return st;
  if (absl::Status st = CheckReason(reason); !st.ok()) return st;
  if (absl::Status st = CheckNext(id, Action::kWithdraw); !st.ok()) return st;
  const domain::Withdrawal withdrawal{reason, caller.actor, Now()};
  const store::HistoryEvent event{id, withdrawal.time_ms, caller.actor, kWithdrawnAction, reason,
                                  0};
  return store_.Withdraw(id, domain::StatesAllowing(Action::kWithdraw), withdrawal, event);
}

// What SealRecord needs of a seal just made.
struct DocumentWorkflow::SealLevelInput {
  std::string document_id;
  int revision = 0;                                  // the seal's
  const std::vector<store::RevisionRecord>& before;  // the document's revisions before it
  PadesLevel reached = PadesLevel::kBB;              // the seal's own level
  PadesLevel target = PadesLevel::kBB;               // the policy's for this seal
  std::string problem;                               // why below it (issue-and-upgrade)
  int base_revision = 0;                             // the revision the seal was made on
  const std::string& file;                           // the sealed file
  const ArchiveStamp& doc_timestamp;                 // the one added, when B-LTA
  int64_t now_ms = 0;
};

// What both ways of signing decide before any PDF work.
struct DocumentWorkflow::SigningPlan {
  const RoleStep* step = nullptr;
  store::DocumentRecord doc;
  store::RevisionRecord base;
  std::vector<store::RevisionRecord> revisions;  // the document's so far, `base` the latest
  std::string base_path;
  signer::CertificateInfo cert;
  signer::SignatureScheme scheme = signer::SignatureScheme::kRsaPkcs1v15;
  pades::SignOptions options;
  std::string signing_id;  // the session's id, or the one-step signature's
  // The seal step issues: number and date allocated now, written in the same update as the seal.
  std::optional<IssueAllocation> issue;
  PadesLevel level = PadesLevel::kBB;  // what the signing policy asks of this signature
  int64_t now = 0;
  // Issue-and-upgrade: the seal's certificate status could not be fetched before signing; the
  // worker's validation data checks it later (the record keeps why).
  std::string deferred_problem;

  // From the allocation on, a failure leaves the allocated number as a recorded gap, never
  // silently reused. Returns `why`.
  absl::Status Abandon(store::Store& store, const absl::Status& why) const {
    if (!issue) return why;
    const store::RegisterEntry& e = issue->entry;
    // Should this fail too, the number stays "allocated" and the next signing of the document
    // voids it as superseded: a gap either way, never a reuse.
    store.VoidNumber(e.agency, e.year, e.number, absl::StrCat("signing failed: ", why.message()))
        .IgnoreError();
    return why;
  }
};

absl::StatusOr<DocumentWorkflow::SigningPlan> DocumentWorkflow::Plan(
    const Caller& caller, const PrepareInput& in, signer::CertificateCache* certificates) {
  SigningPlan plan;
  plan.step = &StepOf(in.role);
  const RoleStep& step = *plan.step;
  absl::StatusOr<store::DocumentRecord> doc = store_.GetDocument(in.document_id);
  if (!doc.ok()) return doc.status();
  if (absl::StatusOr<store::DocumentState> next = domain::Next(doc->state, step.transition);
      !next.ok()) {
    return next.status();
  }
  plan.doc = *std::move(doc);
  if (in.chain.empty() || in.chain.size() > kMaxChainCertificates) {
    return Error(ErrorCode::kUsage, absl::StrCat("certificate_chain: 1 to ", kMaxChainCertificates,
                                                 " certificates / chứng thư"));
  }
  absl::StatusOr<signer::CertificateInfo> cert =
      signer::DescribeCertificate(in.chain.front(), certificates);
  if (!cert.ok()) return cert.status();
  plan.cert = *std::move(cert);
  plan.now = Now();
  // The signer's certificate is checked first, before anything is allocated or written: a revoked,
  // expired or untrusted one costs no register number, and comparing the page's names with an
  // untrusted certificate's would say nothing.
  if (absl::Status st = CheckSignerCertificate(config_.signing, in.chain, plan.now / 1000,
                                               certificates, &signer_checks_);
      !st.ok()) {
    // A seal (a server key's or one completed through the split path) is the agency's own:
    // during a responder outage it may go on when the policy says so, and the status is fetched
    // for the DSS later (at CompleteSignature, or by the level keeper). An officer's is not.
    const bool deferrable = config_.signing.when_unavailable == WhenUnavailable::kIssueAndUpgrade &&
                            in.role == SignatureRole::kSeal &&
                            HasCode(st, ErrorCode::kRevocationUnavailable);
    if (!deferrable) return st;
    plan.deferred_problem = absl::StrCat("status not checked at the seal: ", st.message());
  }
  // The document's data, parsed once: the names check and the issue number both read it.
  absl::StatusOr<std::shared_ptr<const render::DocumentKind>> kind = kinds_.Get(plan.doc.kind);
  if (!kind.ok()) return kind.status();
  absl::StatusOr<render::DocumentData> data = render::ParseDocumentJson(plan.doc.data_json, **kind);
  if (!data.ok()) return data.status();
  // The names on the page must be the certificates' (issue 17; workflow/signature_names.h).
  if (absl::Status st = CheckSignatureNames(*data, in.role, plan.cert, in.key_agency); !st.ok()) {
    return st;
  }
  plan.scheme =
      plan.cert.is_ec ? signer::SignatureScheme::kEcdsa : signer::SignatureScheme::kRsaPkcs1v15;
  if (in.scheme) {
    if ((*in.scheme == signer::SignatureScheme::kEcdsa) != plan.cert.is_ec) {
      return Error(ErrorCode::kUsage, "scheme: does not fit the certificate's key");
    }
    plan.scheme = *in.scheme;
  }

  auto revisions = store_.ListRevisions(plan.doc.id);
  if (!revisions.ok()) return revisions.status();
  auto base = FindRevision(*revisions, plan.doc.latest_revision, plan.doc.id);
  if (!base.ok()) return base.status();
  plan.base = *std::move(base);
  plan.revisions = *std::move(revisions);
  absl::StatusOr<std::string> base_path = store_.BlobPath(plan.base.sha256);
  if (!base_path.ok()) return base_path.status();
  plan.base_path = *std::move(base_path);

  pades::SignOptions& options = plan.options;
  // The officer certifies (DocMDP P=2): the number and date filled at the seal step and the
  // agency's signature are then permitted changes.
  if (in.role == SignatureRole::kApprover) options.certification = 2;
  options.font_dir = config_.font_dir;
  options.drawings = &drawings_;
  options.certificates = certificates;
  options.field_name = step.field;
  options.reason = in.reason;
  options.location = in.location;
  options.signing_time = plan.now / 1000;
  // A scratch file: PutBlob fsyncs it before the store names it.
  options.output_durability = pdf::Durability::kAtomicOnly;
  if (in.image_png != nullptr && !in.image_png->empty()) {
    if (in.image_png->size() > kMaxImageBytes) {
      return Error(ErrorCode::kUsage, "appearance.image_png: larger than 2 MiB");
    }
    options.appearance.kind = step.appearance;
    // Drawn from memory: no work file to write, sync and read back for every signature.
    options.appearance.image_png = in.image_png;
    options.appearance.caption = in.caption;
    if (in.seal_diameter_mm > 0) options.appearance.seal_diameter_mm = in.seal_diameter_mm;
    options.appearance.font_path = config_.font_dir + "/LiberationSerif-Regular.ttf";
    absl::Status st = pdf::CheckAppearanceSpec(options.appearance);
    if (!st.ok()) return st;
  }

  plan.level = in.server_key.empty() ? config_.signing.LevelFor(in.role == SignatureRole::kSeal)
                                     : config_.signing.SealLevel(in.server_key);
  // B-T and above: the signature value is time-stamped here, server-side (the officer's
  // workstation needs no way out); the policy refuses when no TSA answers.
  // Issue-and-upgrade: the time-stamp falls back to B-B rather than failing the seal (the
  // officer's is taken at CompleteSignature, the same way).
  options.tsa = TsaFor(config_.signing, plan.level);

  plan.signing_id = RandomId();
  if (in.role == SignatureRole::kSeal) {
    IssueRequest request{&plan.doc,         kind->get(),     &*data,   ApproverOf(plan.revisions),
                         plan.cert.subject, plan.signing_id, plan.now, caller.actor};
    absl::StatusOr<std::optional<IssueAllocation>> allocated = AllocateIssueNumber(store_, request);
    if (!allocated.ok()) return allocated.status();
    plan.issue = *std::move(allocated);
    if (plan.issue) {
      options.fills = plan.issue->fills;
      // Once issued, the number and date are the document's legal identity: the seal locks them.
      options.lock_fields = true;
    }
  }
  return plan;
}

namespace {

Operation PrepareOperation(SignatureRole role) {
  return role == SignatureRole::kSeal ? Operation::kPrepareSeal : Operation::kPrepareApproval;
}

}  // namespace

absl::StatusOr<PrepareOutput> DocumentWorkflow::Prepare(const Caller& caller,
                                                        const PrepareInput& in) {
  const Operation operation = PrepareOperation(in.role);
  if (absl::Status st = Authorize(caller, operation); !st.ok()) return st;
  if (caller.principal && !in.chain.empty()) {
    // An officer prepares only with their own certificate (Plan rejects an empty chain).
    absl::StatusOr<signer::CertificateInfo> signer =
        signer::DescribeCertificate(in.chain.front(), &certificates_);
    if (!signer.ok()) return signer.status();
    if (absl::Status st = AuthorizeSigner(caller, operation, signer->subject); !st.ok()) return st;
  }
  absl::StatusOr<SigningPlan> plan = Plan(caller, in, &certificates_);
  if (!plan.ok()) return plan.status();
  const RoleStep& step = *plan->step;

  ScratchFile prepared_file(Scratch(".pdf"));
  absl::StatusOr<pades::PreparedSignature> prepared = pades::PrepareSignature(
      plan->base_path, prepared_file.path(), in.chain, plan->scheme, plan->options);
  if (!prepared.ok()) return plan->Abandon(store_, prepared.status());
  absl::StatusOr<std::string> prepared_sha = store_.PutBlob(prepared_file.path());
  if (!prepared_sha.ok()) return plan->Abandon(store_, prepared_sha.status());

  store::SessionRecord session;
  session.id = plan->signing_id;
  session.document_id = plan->doc.id;
  session.base_revision = plan->base.number;
  session.from = step.from;
  session.to = step.to;
  session.purpose = step.purpose;
  // A seal whose status no responder gave (issue-and-upgrade): CompleteSignature records it as
  // SignDocument does.
  prepared->unchecked_status = plan->deferred_problem;
  // The path inside is a scratch path gone by now; Complete points it at the blob.
  session.prepared_json = prepared->ToJson();
  session.prepared_sha256 = *prepared_sha;
  session.signer = plan->cert.subject;
  session.create_time_ms = plan->now;
  session.expire_time_ms = plan->now + config_.session_ttl_ms;
  const store::HistoryEvent event{
      plan->doc.id,
      plan->now,
      caller.actor,
      "signature_prepared",
      absl::StrCat("field ", step.field, " for ", plan->cert.subject, ", session ", session.id),
      plan->base.number};
  absl::Status st = store_.PutSession(session, event);
  if (!st.ok()) return plan->Abandon(store_, st);

  PrepareOutput out;
  out.to_be_signed = prepared->BytesToSign();
  out.digest = plan->options.digest;
  out.scheme = plan->scheme;
  absl::StatusOr<std::string> iso = pdf::Iso8601FromPdfDate(prepared->signing_time);
  out.signing_time = iso.ok() ? *iso : prepared->signing_time;
  out.session = std::move(session);
  return out;
}

absl::StatusOr<CompleteOutput> DocumentWorkflow::Complete(const Caller& caller,
                                                          const std::string& session_id,
                                                          ByteSpan signature_value) {
  // Refused before the lookup when no completion is allowed, so a caller without a signing role
  // learns nothing about which sessions exist.
  absl::Status approval = Authorize(caller, Operation::kCompleteApproval);
  if (!approval.ok() && !Authorize(caller, Operation::kCompleteSeal).ok()) return approval;
  absl::StatusOr<store::SessionRecord> session = store_.GetSession(session_id);
  if (!session.ok()) return session.status();
  const Operation operation = session->purpose == store::RevisionPurpose::kSeal
                                  ? Operation::kCompleteSeal
                                  : Operation::kCompleteApproval;
  if (absl::Status st = Authorize(caller, operation); !st.ok()) return st;
  // An officer completes only a session opened with their own signing certificate.
  if (absl::Status st = AuthorizeSigner(caller, operation, session->signer); !st.ok()) return st;
  // Checked again inside the store's transaction, like the document's state below.
  if (absl::Status open = domain::CheckSessionOpen(*session); !open.ok()) return open;
  const int64_t now = Now();
  if (now >= session->expire_time_ms) return Error(ErrorCode::kSessionExpired);
  // Checked again inside the store's transaction; checking here first saves the PDF work.
  absl::StatusOr<store::DocumentRecord> doc = store_.GetDocument(session->document_id);
  if (!doc.ok()) return doc.status();
  if (doc->state != session->from || doc->latest_revision != session->base_revision) {
    return Error(ErrorCode::kTransitionInvalid,
                 absl::StrCat("the document is ", domain::StateName(doc->state), " at revision ",
                              doc->latest_revision, " since this signature was prepared"));
  }
  absl::StatusOr<pades::PreparedSignature> prepared =
      pades::PreparedSignature::FromJson(session->prepared_json, &certificates_);
  if (!prepared.ok()) return prepared.status();
  absl::StatusOr<std::string> prepared_path = store_.BlobPath(session->prepared_sha256);
  if (!prepared_path.ok()) return prepared_path.status();
  prepared->prepared_pdf = *prepared_path;

  const bool seal = session->purpose == store::RevisionPurpose::kSeal;
  const PadesLevel level = config_.signing.LevelFor(seal);
  ScratchFile signed_file(Scratch(".pdf"));
  absl::StatusOr<pades::SignResult> result = pades::CompleteSignature(
      *prepared, signature_value, signed_file.path(), TsaFor(config_.signing, level),
      pdf::Durability::kAtomicOnly,  // PutBlob fsyncs it
      &certificates_);
  if (!result.ok()) return result.status();
  ScratchFile raised_file(Scratch(".pdf"));
  absl::StatusOr<ReachedLevel> reached =
      ReachLevel(config_.signing, *result, level, signed_file.path(), raised_file.path(),
                 config_.env, prepared->unchecked_status);
  if (!reached.ok()) return reached.status();
  const std::string& final_path = reached->raised.written ? raised_file.path() : signed_file.path();
  absl::StatusOr<int64_t> size = SizeOf(final_path);
  if (!size.ok()) return size.status();

  const RoleStep& step = StepOf(seal ? SignatureRole::kSeal : SignatureRole::kApprover);
  const store::RevisionRecord revision{
      doc->id, session->base_revision + 1, session->purpose, "", *size, session->signer, now};
  // Written with the revision, in its transaction: a seal's always (renewal, upgrade), an
  // officer's only when it is below the policy (the seal raises it; see level_keeper.h).
  std::optional<store::LevelRecord> record;
  std::optional<PadesLevel> upgrade_to;
  if (seal) {
    absl::StatusOr<std::vector<store::RevisionRecord>> before = store_.ListRevisions(doc->id);
    if (!before.ok()) return before.status();
    absl::StatusOr<std::optional<store::LevelRecord>> built =
        SealRecord({doc->id, revision.number, *before, reached->level, level, reached->problem,
                    session->base_revision, final_path, reached->raised.doc_timestamp, now});
    if (!built.ok()) return built.status();
    record = *std::move(built);
    if (record && record->upgrade_pending) upgrade_to = ParseLevel(record->target_level);
  } else if (reached->level < level) {
    store::LevelRecord officer;
    officer.document_id = doc->id;
    officer.revision = revision.number;
    officer.level = LevelName(reached->level);
    officer.target_level = LevelName(level);
    officer.signature_levels = absl::StrCat(step.field, "=", LevelName(reached->level));
    officer.upgrade_pending = true;
    // The worker looks at once, finds the document waiting for its seal and leaves it to it.
    officer.next_attempt_ms = now;
    officer.problem = reached->problem;
    officer.update_time_ms = now;
    record = std::move(officer);
    upgrade_to = level;
  }
  absl::StatusOr<std::string> sha = store_.PutBlob(final_path);
  if (!sha.ok()) return sha.status();
  store::RevisionRecord stored = revision;
  stored.sha256 = *sha;
  const PadesLevel reached_level =
      record && !record->level.empty() ? *ParseLevel(record->level) : reached->level;
  const store::HistoryEvent event{
      doc->id,
      now,
      caller.actor,
      step.action,
      absl::StrCat("signed by ", session->signer, ", PAdES ", LevelName(reached_level),
                   upgrade_to ? absl::StrCat(", upgrade to ", LevelName(*upgrade_to),
                                             " pending: ", record->problem)
                              : std::string()),
      revision.number};
  absl::StatusOr<store::DocumentRecord> updated =
      store_.CompleteSession(session_id, stored, event, record);
  if (!updated.ok()) return updated.status();
  absl::StatusOr<std::vector<store::RevisionRecord>> revisions = store_.ListRevisions(doc->id);
  if (!revisions.ok()) return revisions.status();
  CompleteOutput out{*std::move(updated), stored, *std::move(revisions), reached_level, {}, {}};
  if (upgrade_to) {
    out.upgrade_to = upgrade_to;
    out.upgrade_problem = record->problem;
  }
  return out;
}

absl::StatusOr<CompleteOutput> DocumentWorkflow::SignWith(const Caller& caller, PrepareInput input,
                                                          signer::KeySigner& key,
                                                          const ComputeHooks& hooks) {
  // A key the server holds signs only as the agency's seal (never as an officer).
  if (input.role != SignatureRole::kSeal) return Error(ErrorCode::kUsage, "role: SEAL");
  if (absl::Status st = Authorize(caller, Operation::kServerSeal); !st.ok()) return st;
  input.chain = key.CertificateChain();
  input.scheme = key.scheme();
  // The key's own parsed chain when it keeps one (an activated server key does).
  signer::CertificateCache* certificates =
      key.certificates() != nullptr ? key.certificates() : &certificates_;
  absl::StatusOr<SigningPlan> plan = Plan(caller, input, certificates);
  if (!plan.ok()) return plan.status();
  const RoleStep& step = *plan->step;
  if (hooks.computing) {
    if (absl::Status st = hooks.computing(); !st.ok()) return plan->Abandon(store_, st);
  }
  // One pass: the update is written, digested, signed and embedded in one file, with no
  // prepared copy to store, read back and re-digest, and no session to record.
  ScratchFile signed_file(Scratch(".pdf"));
  absl::StatusOr<pades::SignResult> result =
      pades::SignPdf(plan->base_path, signed_file.path(), key, plan->options);
  if (!result.ok()) return plan->Abandon(store_, result.status());
  // B-LT / B-LTA: the DSS (and the document time-stamp) in their own updates. A responder or
  // TSA that does not answer fails the seal (the number becomes a recorded gap), unless the
  // policy issues now and upgrades later: then the seal is stored at the level it reached.
  ScratchFile raised_file(Scratch(".pdf"));
  absl::StatusOr<ReachedLevel> reached =
      ReachLevel(config_.signing, *result, plan->level, signed_file.path(), raised_file.path(),
                 config_.env, plan->deferred_problem);
  if (!reached.ok()) return plan->Abandon(store_, reached.status());
  const bool raised_written = reached->raised.written;
  if (hooks.computed) hooks.computed();
  // A raised file is stored as read back; a B-B/B-T one with the digest SignPdf computed.
  absl::StatusOr<int64_t> file_size =
      raised_written ? SizeOf(raised_file.path()) : absl::StatusOr<int64_t>(result->file_size);
  if (!file_size.ok()) return plan->Abandon(store_, file_size.status());
  const std::string& final_path = raised_written ? raised_file.path() : signed_file.path();
  absl::StatusOr<std::optional<store::LevelRecord>> record = SealRecord(
      {plan->doc.id, plan->base.number + 1, plan->revisions, reached->level, plan->level,
       reached->problem, plan->base.number, final_path, reached->raised.doc_timestamp, plan->now});
  if (!record.ok()) return plan->Abandon(store_, record.status());
  absl::StatusOr<std::string> sha = raised_written
                                        ? store_.PutBlob(raised_file.path())
                                        : store_.PutBlob(signed_file.path(), result->file_sha256);
  if (!sha.ok()) return plan->Abandon(store_, sha.status());

  const bool pending = *record && (*record)->upgrade_pending;
  const PadesLevel reached_level =
      *record && !(*record)->level.empty() ? *ParseLevel((*record)->level) : reached->level;
  const store::RevisionRecord revision{plan->doc.id, plan->base.number + 1, step.purpose, *sha,
                                       *file_size,   plan->cert.subject,    plan->now};
  const store::HistoryEvent event{
      plan->doc.id,
      plan->now,
      caller.actor,
      step.action,
      absl::StrCat("signed by ", plan->cert.subject, ", PAdES ", LevelName(reached_level),
                   pending ? absl::StrCat(", upgrade to ", (*record)->target_level,
                                          " pending: ", (*record)->problem)
                           : std::string()),
      revision.number};
  const store::SignatureCommit commit{plan->doc.id, plan->base.number, step.from, step.to,
                                      plan->signing_id};
  // The level record goes in the revision's own transaction: no revision without its record.
  absl::StatusOr<store::DocumentRecord> updated =
      store_.AddSignature(commit, revision, event, *record);
  if (!updated.ok()) return plan->Abandon(store_, updated.status());
  // The transaction added it right after the plan's base: the revisions are the plan's and it.
  plan->revisions.push_back(revision);
  CompleteOutput out{*std::move(updated), revision, std::move(plan->revisions),
                     reached_level,       {},       {}};
  if (pending) {
    out.upgrade_to = ParseLevel((*record)->target_level);
    out.upgrade_problem = (*record)->problem;
  }
  return out;
}

absl::StatusOr<std::optional<store::LevelRecord>> DocumentWorkflow::OfficerBelowPolicy(
    const std::string& id, int base_revision) {
  absl::StatusOr<std::optional<store::LevelRecord>> record = store_.GetLevel(id);
  if (!record.ok()) return record.status();
  if (!record->has_value() || !(*record)->upgrade_pending || (*record)->revision != base_revision) {
    return std::optional<store::LevelRecord>();
  }
  return record;
}

// A seal's record: its document's level (the lowest of its signatures), what the policy asks,
// and the renewal date. Without a TSA in the policy and at the policy's level there is nothing
// to keep (nullopt). An officer's signature still below the policy (completed during an outage)
// is raised by the seal's time-stamps as far as they reach: the record then asks for the higher
// of both targets, and the levels are the verifier's reading of the file, as whenever the rule of
// SignatureLevelsAfterSeal may not hold.
absl::StatusOr<std::optional<store::LevelRecord>> DocumentWorkflow::SealRecord(
    const SealLevelInput& in) {
  absl::StatusOr<std::optional<store::LevelRecord>> officer =
      OfficerBelowPolicy(in.document_id, in.base_revision);
  if (!officer.ok()) return officer.status();
  PadesLevel target = in.target;
  std::string problem = in.problem;
  if (officer->has_value()) {
    target = std::max(target, ParseLevel((*officer)->target_level).value_or(target));
    absl::StrAppend(&problem, problem.empty() ? "" : "; ",
                    "the officer's signature was completed without a time-stamp");
  }
  if (config_.signing.tsa == nullptr && in.reached >= target && !officer->has_value()) {
    return std::optional<store::LevelRecord>();
  }
  PadesLevel level = in.reached;
  std::string signature_levels =
      SignatureLevelsAfterSeal(in.before, in.reached, config_.signing.officer_level);
  if (in.reached < in.target || !in.problem.empty() || officer->has_value()) {
    absl::StatusOr<FileLevels> levels = LevelsOfFile(in.file, config_.trust_anchors_pem);
    if (levels.ok()) {
      signature_levels = levels->signature_levels;
      level = std::min(level, levels->level);
    }
  }
  store::LevelRecord record;
  record.document_id = in.document_id;
  record.revision = in.revision;
  record.level = LevelName(level);
  record.target_level = LevelName(target);
  record.signature_levels = std::move(signature_levels);
  record.upgrade_pending = level < target;
  // Due at once: the worker's next pass tries (the outage may already be over).
  record.next_attempt_ms = record.upgrade_pending ? in.now_ms : 0;
  record.problem = record.upgrade_pending || !in.problem.empty() ? problem : "";
  record.renew_at_ms =
      level == PadesLevel::kBLTA ? RenewalTime(config_.signing, in.doc_timestamp, in.now_ms) : 0;
  record.update_time_ms = in.now_ms;
  return std::optional<store::LevelRecord>(std::move(record));
}

absl::StatusOr<std::vector<store::LevelRecord>> DocumentWorkflow::ListLevels(
    const Caller& caller, const store::LevelFilter& filter) {
  if (absl::Status st = Authorize(caller, Operation::kListDocuments); !st.ok()) return st;
  if (!filter.level.empty() && !ParseLevel(filter.level)) {
    return Error(ErrorCode::kUsage, "level: B-B, B-T, B-LT or B-LTA");
  }
  store::LevelFilter f = filter;
  if (f.limit <= 0) f.limit = 100;
  f.limit = std::min(f.limit, 1000);
  return store_.ListLevels(f);
}

namespace {

absl::Status NoKeys() {
  return Error(ErrorCode::kKeyNotFound, "taichod is configured with no server keys");
}

}  // namespace

absl::StatusOr<CompleteOutput> DocumentWorkflow::SealWithServerKey(const Caller& caller,
                                                                   const ServerSealInput& in,
                                                                   const ComputeHooks& hooks) {
  if (in.role != SignatureRole::kSeal) return Error(ErrorCode::kUsage, "role: SEAL");
  if (absl::Status st = Authorize(caller, Operation::kServerSeal); !st.ok()) return st;
  keyring::KeyRing* keys = config_.keys;
  if (keys == nullptr) return NoKeys();
  absl::StatusOr<std::shared_ptr<keyring::ActiveKey>> key = keys->Get(in.key_name);
  if (!key.ok()) return key.status();
  const keyring::KeyConfig* config = keys->Find(in.key_name);

  PrepareInput input;
  input.document_id = in.document_id;
  input.role = SignatureRole::kSeal;
  // The key's own seal image and size: the agency's seal is configured, never sent by a caller.
  if (config != nullptr && !config->seal_image.empty()) {
    // Read when the key was activated (keyring/key_ring.h), not per seal.
    const absl::StatusOr<std::shared_ptr<const std::string>>& image = (*key)->seal_image();
    if (!image.ok()) return image.status();
    input.image_png = *image;
    input.seal_diameter_mm = config->seal_diameter_mm;
  }
  if (config != nullptr) input.key_agency = config->agency;
  input.reason = in.reason;
  input.location = in.location;
  input.server_key = in.key_name;
  absl::StatusOr<CompleteOutput> done = SignWith(caller, std::move(input), **key, hooks);
  // The key ring decides whether the failure was the token's (then the key is deactivated and
  // must be activated again) or the document's.
  if (!done.ok()) keys->ReportFailure(in.key_name, key->get(), done.status());
  return done;
}

absl::StatusOr<keyring::KeyStatus> DocumentWorkflow::ActivateKey(const Caller& caller,
                                                                 const std::string& name,
                                                                 pkcs11::SecretString& pin) {
  if (absl::Status st = Authorize(caller, Operation::kActivateKey); !st.ok()) return st;
  if (config_.keys == nullptr) return NoKeys();
  if (absl::Status st = config_.keys->Activate(name, pin); !st.ok()) return st;
  for (keyring::KeyStatus& key : config_.keys->List()) {
    if (key.name == name) return std::move(key);
  }
  return Error(ErrorCode::kKeyNotFound, "serverKeys/" + name);
}

absl::StatusOr<std::vector<keyring::KeyStatus>> DocumentWorkflow::ListServerKeys(
    const Caller& caller) {
  if (absl::Status st = Authorize(caller, Operation::kListServerKeys); !st.ok()) return st;
  if (config_.keys == nullptr) return std::vector<keyring::KeyStatus>();
  return config_.keys->List();
}

absl::StatusOr<std::vector<store::RegisterEntry>> DocumentWorkflow::ListRegister(
    const Caller& caller, const store::RegisterFilter& f) {
  if (absl::Status st = Authorize(caller, Operation::kReadRegister); !st.ok()) return st;
  return store_.ListRegister(f);
}

absl::StatusOr<std::vector<ProcedureStatistics>> DocumentWorkflow::DeskStatistics(
    const Caller& caller, const StatisticsQuery& query) {
  if (absl::Status st = Authorize(caller, Operation::kReadStatistics); !st.ok()) return st;
  return ComputeDeskStatistics(store_, query, Now());
}

pades::VerifyOptions DocumentWorkflow::VerifyOptionsFor(const std::function<bool()>& cancelled,
                                                        bool online) const {
  pades::VerifyOptions options;
  options.trust_anchors_pem = config_.trust_anchors_pem;
  options.online = online ? config_.online_revocation : nullptr;
  options.max_revisions = config_.max_revisions;
  options.cancelled = cancelled;
  options.certificates = &verified_certificates_;
  return options;
}

absl::StatusOr<pades::VerificationReport> DocumentWorkflow::VerifyBytes(
    const Caller& caller, std::string_view pdf, const std::function<bool()>& cancelled) {
  if (absl::Status st = Authorize(caller, Operation::kVerifyDocument); !st.ok()) return st;
  if (pdf.empty()) return Error(ErrorCode::kPdfUnreadable, "empty");
  ScratchFile file(Scratch(".pdf"));
  absl::Status st = WriteFile(file.path(), pdf);
  if (!st.ok()) return st;
  return pades::VerifyPdf(file.path(), VerifyOptionsFor(cancelled, /*online=*/true));
}

absl::StatusOr<std::unique_ptr<PdfUpload>> DocumentWorkflow::BeginUpload(const Caller& caller) {
  if (absl::Status st = Authorize(caller, Operation::kVerifyDocument); !st.ok()) return st;
  return PdfUpload::Create(Scratch(".upload.pdf"), config_.max_upload_bytes);
}

absl::StatusOr<pades::VerificationReport> DocumentWorkflow::VerifyUploaded(
    PdfUpload& upload, const std::function<bool()>& cancelled) {
  if (absl::Status st = upload.Finish(); !st.ok()) return st;
  // The verifier reads the file from disk (memory-flat), as for a stored revision.
  return pades::VerifyPdf(upload.path(), VerifyOptionsFor(cancelled, /*online=*/false));
}

absl::StatusOr<StoredVerification> DocumentWorkflow::VerifyRevision(
    const Caller& caller, const std::string& id, int number,
    const std::function<bool()>& cancelled) {
  if (absl::Status st = Authorize(caller, Operation::kVerifyDocument); !st.ok()) return st;
  auto revision = OpenRevisionOf(id, number);
  if (!revision.ok()) return revision.status();
  absl::StatusOr<pades::VerificationReport> report =
      pades::VerifyPdf(revision->second, VerifyOptionsFor(cancelled, /*online=*/true));
  if (!report.ok()) return report.status();
  // Read after the verification: a withdrawal committed meanwhile is reported too.
  absl::StatusOr<store::DocumentRecord> doc = store_.GetDocument(id);
  if (!doc.ok()) return doc.status();
  auto withdrawal = WithdrawalOf(*doc);
  if (!withdrawal.ok()) return withdrawal.status();
  return StoredVerification{*std::move(report), *std::move(withdrawal)};
}

}  // namespace taicho::workflow
