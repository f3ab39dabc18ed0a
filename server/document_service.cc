#include "server/document_service.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <vector>

#include "errors/error.h"
#include "server/call_log.h"
#include "server/proto_convert.h"
#include "signer/certificate_info.h"

namespace taicho::server {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

std::vector<Bytes> ToBytesList(const google::protobuf::RepeatedPtrField<std::string>& in) {
  std::vector<Bytes> out;
  for (const std::string& s : in) out.emplace_back(s.begin(), s.end());
  return out;
}

std::optional<signer::SignatureScheme> SchemeFromProto(v1::SignatureScheme s) {
  switch (s) {
    case v1::RSA_PKCS1_V15:
      return signer::SignatureScheme::kRsaPkcs1v15;
    case v1::RSA_PSS:
      return signer::SignatureScheme::kRsaPss;
    case v1::ECDSA:
      return signer::SignatureScheme::kEcdsa;
    default:
      return std::nullopt;
  }
}

v1::SignatureScheme SchemeToProto(signer::SignatureScheme s) {
  switch (s) {
    case signer::SignatureScheme::kRsaPkcs1v15:
      return v1::RSA_PKCS1_V15;
    case signer::SignatureScheme::kRsaPss:
      return v1::RSA_PSS;
    case signer::SignatureScheme::kEcdsa:
      return v1::ECDSA;
  }
  return v1::SIGNATURE_SCHEME_UNSPECIFIED;
}

void FillView(const workflow::DocumentView& view, bool with_data, v1::Document* out) {
  FillDocument(view.document, with_data, out);
  for (const store::RevisionRecord& r : view.revisions) FillRevision(r, out->add_revisions());
  for (const store::HistoryEvent& e : view.history) FillHistory(e, out->add_history());
}

// A document as a response after a change: metadata and revisions (no history, no data).
absl::Status FillChanged(workflow::DocumentWorkflow& workflow, const std::string& id,
                         v1::Document* out) {
  absl::StatusOr<workflow::DocumentView> view = workflow.Get(id, /*with_history=*/false);
  if (!view.ok()) return view.status();
  FillView(*view, /*with_data=*/false, out);
  return absl::OkStatus();
}

// A signature's response: the new revision, and the document as it stands after it (the
// workflow's own result: no second read of what it just wrote).
void FillCompleted(const workflow::CompleteOutput& done, v1::CompleteSignatureResponse* out) {
  FillRevision(done.revision, out->mutable_revision());
  FillView({done.document, done.revisions, {}}, /*with_data=*/false, out->mutable_document());
}

// The x509 property gRPC's TLS transport gives for the verified peer certificate.
constexpr char kPeerCertificatePem[] = "x509_pem_cert";

}  // namespace

absl::StatusOr<DocumentServiceImpl::Caller> DocumentServiceImpl::Identify(
    grpc::ServerContext* context) const {
  if (!authenticate_clients_) return Caller{context->peer(), std::nullopt};
  std::shared_ptr<const grpc::AuthContext> auth_context = context->auth_context();
  const std::vector<grpc::string_ref> pems =
      auth_context ? auth_context->FindPropertyValues(kPeerCertificatePem)
                   : std::vector<grpc::string_ref>{};
  // The TLS handshake already required and verified a certificate; none here is a wiring bug.
  if (pems.empty()) return Error(ErrorCode::kRoleNotAllowed, "no client certificate");
  absl::StatusOr<auth::Principal> principal =
      auth::PrincipalFromCertificatePem(std::string_view(pems.front().data(), pems.front().size()));
  if (!principal.ok()) return principal.status();
  std::string actor = principal->Actor();
  return Caller{std::move(actor), *std::move(principal)};
}

absl::Status DocumentServiceImpl::Allow(const Caller& caller, auth::Operation operation) {
  if (!caller.principal) return absl::OkStatus();
  return auth::Authorize(*caller.principal, operation);
}

grpc::Status ToGrpc(const absl::Status& status, grpc::ServerContext* context) {
  if (status.ok()) return grpc::Status::OK;
  const std::string code = CodeOf(status);
  context->AddTrailingMetadata(kErrorCodeTrailer, code == "UNKNOWN" ? "INTERNAL" : code);
  // absl and gRPC share the canonical code numbers.
  const auto grpc_code =
      code == "UNKNOWN" ? grpc::StatusCode::INTERNAL : static_cast<grpc::StatusCode>(status.code());
  return grpc::Status(grpc_code, std::string(status.message()));
}

grpc::Status DocumentServiceImpl::CreateDocument(grpc::ServerContext* context,
                                                 const v1::CreateDocumentRequest* request,
                                                 v1::Document* response) {
  CallLog log("CreateDocument", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kCreateDocument); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  const v1::Document& doc = request->document();
  absl::StatusOr<std::string> data = DataToJson(doc.data());
  if (!data.ok()) return log.Finish(data.status(), context);
  workflow::CreateInput input{doc.kind(),      doc.dossier_code(), request->request_id(),
                              doc.procedure(), doc.desk(),         *std::move(data),
                              caller->actor};
  absl::StatusOr<workflow::CreateOutput> created = workflow_.Create(input);
  if (!created.ok()) return log.Finish(created.status(), context);
  log.set_resource(DocumentName(created->document.id) + (created->created ? "" : " (retry)"));
  absl::StatusOr<workflow::DocumentView> view = workflow_.Get(created->document.id, false);
  if (!view.ok()) return log.Finish(view.status(), context);
  FillView(*view, /*with_data=*/true, response);
  return log.Finish(absl::OkStatus(), context);
}

grpc::Status DocumentServiceImpl::GetDocument(grpc::ServerContext* context,
                                              const v1::GetDocumentRequest* request,
                                              v1::Document* response) {
  CallLog log("GetDocument", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kGetDocument); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
  if (!name.ok()) return log.Finish(name.status(), context);
  log.set_resource(request->name());
  absl::StatusOr<workflow::DocumentView> view = workflow_.Get(name->first, /*with_history=*/true);
  if (!view.ok()) return log.Finish(view.status(), context);
  FillView(*view, /*with_data=*/true, response);
  return log.Finish(absl::OkStatus(), context);
}

grpc::Status DocumentServiceImpl::ListDocuments(grpc::ServerContext* context,
                                                const v1::ListDocumentsRequest* request,
                                                v1::ListDocumentsResponse* response) {
  CallLog log("ListDocuments", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kListDocuments); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  store::ListFilter filter;
  if (request->page_size() < 0) {
    return log.Finish(Error(ErrorCode::kUsage, "page_size: âm / negative"), context);
  }
  filter.limit =
      request->page_size() == 0 ? kDefaultPageSize : std::min(request->page_size(), kMaxPageSize);
  if (request->state() != v1::Document::STATE_UNSPECIFIED) {
    filter.state = FromProto(request->state());
    if (!filter.state) return log.Finish(Error(ErrorCode::kUsage, "state"), context);
  }
  filter.desk = request->desk();
  filter.procedure = request->procedure();
  using google::protobuf::util::TimeUtil;
  if (request->has_create_time_from()) {
    filter.created_from_ms = TimeUtil::TimestampToMilliseconds(request->create_time_from());
  }
  if (request->has_create_time_to()) {
    filter.created_to_ms = TimeUtil::TimestampToMilliseconds(request->create_time_to());
  }
  if (!request->page_token().empty()) {
    auto after = DecodePageToken(request->page_token());
    if (!after.ok()) return log.Finish(after.status(), context);
    filter.after = *after;
  }
  // One more than asked tells whether another page exists.
  ++filter.limit;
  auto documents = workflow_.List(filter);
  if (!documents.ok()) return log.Finish(documents.status(), context);
  const bool more = static_cast<int>(documents->size()) == filter.limit;
  if (more) documents->pop_back();
  for (const store::DocumentRecord& d : *documents) {
    FillDocument(d, /*with_data=*/false, response->add_documents());
  }
  if (more && !documents->empty()) {
    response->set_next_page_token(
        EncodePageToken(documents->back().create_time_ms, documents->back().id));
  }
  return log.Finish(absl::OkStatus(), context);
}

grpc::Status DocumentServiceImpl::DownloadRevision(
    grpc::ServerContext* context, const v1::DownloadRevisionRequest* request,
    grpc::ServerWriter<v1::DownloadRevisionChunk>* writer) {
  CallLog log("DownloadRevision", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kDownloadRevision); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  auto name = ParseDocumentName(request->name(), /*allow_revision=*/true);
  if (!name.ok()) return log.Finish(name.status(), context);
  log.set_resource(request->name());
  auto revision = workflow_.OpenRevision(name->first, name->second);
  if (!revision.ok()) return log.Finish(revision.status(), context);
  std::ifstream in(revision->second, std::ios::binary);
  if (!in) return log.Finish(Error(ErrorCode::kIo, "the revision's file cannot be read"), context);
  std::string buffer(kChunkBytes, '\0');
  int64_t offset = 0;
  bool first = true;
  while (!context->IsCancelled()) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize n = in.gcount();
    if (n <= 0 && !first) break;
    v1::DownloadRevisionChunk chunk;
    if (first) FillRevision(revision->first, chunk.mutable_revision());
    chunk.set_offset(offset);
    chunk.set_data(buffer.data(), static_cast<size_t>(n));
    if (!writer->Write(chunk)) break;  // the client went away
    offset += n;
    first = false;
    if (n < static_cast<std::streamsize>(buffer.size())) break;
  }
  if (offset != revision->first.size) {
    return log.Finish(Error(ErrorCode::kIo, "the revision's file changed size"), context);
  }
  return log.Finish(absl::OkStatus(), context);
}

grpc::Status DocumentServiceImpl::CancelDocument(grpc::ServerContext* context,
                                                 const v1::CancelDocumentRequest* request,
                                                 v1::Document* response) {
  CallLog log("CancelDocument", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kCancelDocument); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
  if (!name.ok()) return log.Finish(name.status(), context);
  log.set_resource(request->name());
  auto cancelled = workflow_.Cancel(name->first, request->reason(), caller->actor);
  if (!cancelled.ok()) return log.Finish(cancelled.status(), context);
  return log.Finish(FillChanged(workflow_, name->first, response), context);
}

grpc::Status DocumentServiceImpl::PrepareSignature(grpc::ServerContext* context,
                                                   const v1::PrepareSignatureRequest* request,
                                                   v1::PrepareSignatureResponse* response) {
  CallLog log("PrepareSignature", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
  if (!name.ok()) return log.Finish(name.status(), context);
  log.set_resource(request->name());
  workflow::PrepareInput input;
  input.document_id = name->first;
  switch (request->role()) {
    case v1::APPROVER:
      input.role = workflow::SignatureRole::kApprover;
      break;
    case v1::SEAL:
      input.role = workflow::SignatureRole::kSeal;
      break;
    default:
      return log.Finish(Error(ErrorCode::kUsage, "role: APPROVER hoặc / or SEAL"), context);
  }
  input.chain = ToBytesList(request->certificate_chain());
  const auth::Operation operation = input.role == workflow::SignatureRole::kSeal
                                        ? auth::Operation::kPrepareSeal
                                        : auth::Operation::kPrepareApproval;
  if (absl::Status allowed = Allow(*caller, operation); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  if (caller->principal && !input.chain.empty()) {
    // An officer prepares only with their own certificate (the workflow rejects an empty chain).
    absl::StatusOr<signer::CertificateInfo> signer =
        signer::DescribeCertificate(input.chain.front());
    if (!signer.ok()) return log.Finish(signer.status(), context);
    absl::Status own = auth::AuthorizeSigner(*caller->principal, operation, signer->subject);
    if (!own.ok()) return log.Finish(own, context);
  }
  input.scheme = SchemeFromProto(request->scheme());
  if (!request->appearance().image_png().empty()) {
    input.image_png = std::make_shared<const std::string>(request->appearance().image_png());
  }
  input.caption = request->appearance().caption();
  input.seal_diameter_mm = request->appearance().seal_diameter_mm();
  input.reason = request->reason();
  input.location = request->location();
  input.actor = caller->actor;
  auto prepared = workflow_.Prepare(input);
  if (!prepared.ok()) return log.Finish(prepared.status(), context);
  response->set_session(SessionName(prepared->session.id));
  response->set_to_be_signed(prepared->to_be_signed.data(), prepared->to_be_signed.size());
  response->set_digest_algorithm(std::string(signer::DigestName(prepared->digest)));
  response->set_scheme(SchemeToProto(prepared->scheme));
  *response->mutable_expire_time() =
      google::protobuf::util::TimeUtil::MillisecondsToTimestamp(prepared->session.expire_time_ms);
  response->set_signing_time(prepared->signing_time);
  response->set_base_revision(prepared->session.base_revision);
  log.set_resource(request->name() + " " + response->session());
  return log.Finish(absl::OkStatus(), context);
}

grpc::Status DocumentServiceImpl::CompleteSignature(grpc::ServerContext* context,
                                                    const v1::CompleteSignatureRequest* request,
                                                    v1::CompleteSignatureResponse* response) {
  CallLog log("CompleteSignature", context);
  auto session = ParseSessionName(request->session());
  if (!session.ok()) return log.Finish(session.status(), context);
  log.set_resource(request->session());
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (caller->principal) {
    // Refused before the lookup when no completion is allowed, so a caller without a signing
    // role learns nothing about which sessions exist.
    absl::Status approval = Allow(*caller, auth::Operation::kCompleteApproval);
    if (!approval.ok() && !Allow(*caller, auth::Operation::kCompleteSeal).ok()) {
      return log.Finish(approval, context);
    }
    absl::StatusOr<store::SessionRecord> stored = workflow_.GetSession(*session);
    if (!stored.ok()) return log.Finish(stored.status(), context);
    const auth::Operation operation = stored->purpose == store::RevisionPurpose::kSeal
                                          ? auth::Operation::kCompleteSeal
                                          : auth::Operation::kCompleteApproval;
    if (absl::Status allowed = Allow(*caller, operation); !allowed.ok()) {
      return log.Finish(allowed, context);
    }
    // An officer completes only a session opened with their own signing certificate.
    absl::Status own = auth::AuthorizeSigner(*caller->principal, operation, stored->signer);
    if (!own.ok()) return log.Finish(own, context);
  }
  const std::string& value = request->signature_value();
  auto completed = workflow_.Complete(
      *session, ByteSpan(reinterpret_cast<const uint8_t*>(value.data()), value.size()),
      caller->actor);
  if (!completed.ok()) return log.Finish(completed.status(), context);
  FillCompleted(*completed, response);
  return log.Finish(absl::OkStatus(), context);
}

grpc::Status DocumentServiceImpl::VerifyDocument(grpc::ServerContext* context,
                                                 const v1::VerifyDocumentRequest* request,
                                                 v1::VerificationReport* response) {
  CallLog log("VerifyDocument", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kVerifyDocument); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  absl::StatusOr<pades::VerificationReport> report;
  if (request->has_name()) {
    auto name = ParseDocumentName(request->name(), /*allow_revision=*/true);
    if (!name.ok()) return log.Finish(name.status(), context);
    log.set_resource(request->name());
    report = workflow_.VerifyRevision(name->first, name->second,
                                      [context] { return context->IsCancelled(); });
  } else {
    log.set_resource("(uploaded PDF)");
    report = workflow_.VerifyBytes(request->pdf(), [context] { return context->IsCancelled(); });
  }
  if (!report.ok()) return log.Finish(report.status(), context);
  FillReport(*report, response);
  return log.Finish(absl::OkStatus(), context);
}

// --- server-held keys --------------------------------------------------------------------

namespace {

constexpr char kServerKeyPrefix[] = "serverKeys/";

absl::StatusOr<std::string> ParseServerKeyName(const std::string& name) {
  const std::string_view prefix = kServerKeyPrefix;
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) {
    return Error(ErrorCode::kUsage, "key: serverKeys/{key}");
  }
  return name.substr(prefix.size());
}

void FillServerKey(const keyring::KeyStatus& key, v1::ServerKey* out) {
  out->set_name(kServerKeyPrefix + key.name);
  out->set_token_label(key.token_label);
  out->set_activated(key.activated);
  out->set_signer(key.signer);
  if (key.activated) {
    *out->mutable_activate_time() =
        google::protobuf::util::TimeUtil::MillisecondsToTimestamp(key.activate_time_ms);
  }
  out->set_last_error_code(key.last_error);
}

absl::Status NoKeys() {
  return Error(ErrorCode::kKeyNotFound, "taichod is configured with no server keys");
}

}  // namespace

grpc::Status DocumentServiceImpl::SignDocument(grpc::ServerContext* context,
                                               const v1::SignDocumentRequest* request,
                                               v1::CompleteSignatureResponse* response) {
  CallLog log("SignDocument", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (request->role() != v1::SEAL) {
    return log.Finish(Error(ErrorCode::kUsage, "role: SEAL"), context);
  }
  if (absl::Status allowed = Allow(*caller, auth::Operation::kServerSeal); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
  if (!name.ok()) return log.Finish(name.status(), context);
  absl::StatusOr<std::string> key_name = ParseServerKeyName(request->key());
  if (!key_name.ok()) return log.Finish(key_name.status(), context);
  log.set_resource(request->name() + " " + request->key());
  if (keys_ == nullptr) return log.Finish(NoKeys(), context);
  absl::StatusOr<std::shared_ptr<keyring::ActiveKey>> key = keys_->Get(*key_name);
  if (!key.ok()) return log.Finish(key.status(), context);
  const keyring::KeyConfig* config = keys_->Find(*key_name);

  workflow::PrepareInput input;
  input.document_id = name->first;
  input.role = workflow::SignatureRole::kSeal;
  if (!config->seal_image.empty()) {
    // Read when the key was activated (keyring/key_ring.h), not per seal.
    const absl::StatusOr<std::shared_ptr<const std::string>>& image = (*key)->seal_image();
    if (!image.ok()) return log.Finish(image.status(), context);
    input.image_png = *image;
    input.seal_diameter_mm = config->seal_diameter_mm;
  }
  input.reason = request->reason();
  input.location = request->location();
  input.actor = caller->actor;
  // The gate covers the seal's computing only: planning it (the issue number's allocation can
  // wait for a group commit's fsync) and storing it (fsyncs, the commit) wait outside, so that
  // the cores keep computing other seals meanwhile.
  std::optional<FifoGate::Pass> pass;
  workflow::ComputeHooks hooks;
  hooks.computing = [&]() -> absl::Status {
    pass.emplace(seal_gate_.Enter([context] { return context->IsCancelled(); }));
    return pass->admitted() ? absl::OkStatus() : Error(ErrorCode::kCancelled);
  };
  hooks.computed = [&pass] { pass.reset(); };
  auto signed_revision = workflow_.SignWith(input, **key, hooks);
  if (!signed_revision.ok()) {
    keys_->ReportFailure(*key_name, key->get(), signed_revision.status());
    return log.Finish(signed_revision.status(), context);
  }
  FillCompleted(*signed_revision, response);
  return log.Finish(absl::OkStatus(), context);
}

grpc::Status DocumentServiceImpl::ActivateKey(grpc::ServerContext* context,
                                              const v1::ActivateKeyRequest* request,
                                              v1::ServerKey* response) {
  // The PIN leaves the request message at once (the buffer it leaves is wiped) and is wiped
  // after the login; it never reaches a log line, an error or the record.
  pkcs11::SecretString pin(std::move(*const_cast<v1::ActivateKeyRequest*>(request)->mutable_pin()));
  CallLog log("ActivateKey", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kActivateKey); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  absl::StatusOr<std::string> key_name = ParseServerKeyName(request->name());
  if (!key_name.ok()) return log.Finish(key_name.status(), context);
  log.set_resource(request->name());
  if (keys_ == nullptr) return log.Finish(NoKeys(), context);
  absl::Status activated = keys_->Activate(*key_name, pin);
  if (!activated.ok()) return log.Finish(activated, context);
  for (const keyring::KeyStatus& key : keys_->List()) {
    if (key.name == *key_name) FillServerKey(key, response);
  }
  return log.Finish(absl::OkStatus(), context);
}

grpc::Status DocumentServiceImpl::ListServerKeys(grpc::ServerContext* context,
                                                 const v1::ListServerKeysRequest* /*request*/,
                                                 v1::ListServerKeysResponse* response) {
  CallLog log("ListServerKeys", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kListServerKeys); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  if (keys_ != nullptr) {
    for (const keyring::KeyStatus& key : keys_->List()) FillServerKey(key, response->add_keys());
  }
  return log.Finish(absl::OkStatus(), context);
}

// --- The print station ---------------------------------------------------------------------

namespace {

// How long one wait for new jobs lasts before the watch looks again (and notices a cancelled
// call or a job another instance added).
constexpr int64_t kWatchPollMs = 1000;
constexpr int kWatchBatch = 100;

void FillPrint(const store::PrintRecord& p, v1::PrintRecord* print) {
  print->set_print_id(p.print_id);
  print->set_revision(RevisionName(p.document_id, p.revision));
  print->set_printer(p.printer);
  print->set_copies(p.copies);
  print->set_officer(p.officer);
  print->set_actor(p.actor);
  *print->mutable_print_time() =
      google::protobuf::util::TimeUtil::MillisecondsToTimestamp(p.time_ms);
  print->set_sequence(p.job_sequence);
  print->set_status(p.status == store::PrintStatus::kFailed ? v1::FAILED : v1::PRINTED);
  print->set_failure_reason(p.failure_reason);
}

// The failed print as the station described it.
absl::StatusOr<workflow::PrintInput> PrintInputOf(const v1::ReportPrintFailureRequest& request,
                                                  const std::string& actor) {
  auto name = ParseDocumentName(request.name(), /*allow_revision=*/false);
  if (!name.ok()) return name.status();
  auto revision = ParseDocumentName(request.revision(), /*allow_revision=*/true);
  if (!revision.ok()) return revision.status();
  if (revision->first != name->first)
    return Error(ErrorCode::kUsage, "revision of another document");
  workflow::PrintInput in;
  in.document_id = name->first;
  in.print_id = request.print_id();
  in.revision = revision->second;
  in.printer = request.printer();
  in.copies = request.copies();
  in.officer = request.officer();
  in.actor = actor;
  return in;
}

absl::Status FillReady(workflow::DocumentWorkflow& workflow, const store::PrintJob& job,
                       v1::ReadyDocument* out) {
  out->set_sequence(job.sequence);
  if (absl::Status st = FillChanged(workflow, job.document_id, out->mutable_document()); !st.ok()) {
    return st;
  }
  out->set_revision(RevisionName(job.document_id, job.revision));
  out->set_reprint_reason(job.reason);
  *out->mutable_ready_time() =
      google::protobuf::util::TimeUtil::MillisecondsToTimestamp(job.time_ms);
  if (job.last_failure) FillPrint(*job.last_failure, out->mutable_last_failure());
  return absl::OkStatus();
}

}  // namespace

grpc::Status DocumentServiceImpl::WatchReady(grpc::ServerContext* context,
                                             const v1::WatchReadyRequest* request,
                                             grpc::ServerWriter<v1::ReadyDocument>* writer) {
  CallLog log("WatchReady", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kWatchReady); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  log.set_resource("desk=" + request->desk());
  int64_t cursor = request->after_sequence();
  while (!context->IsCancelled()) {
    auto jobs = workflow_.ReadyToPrint(request->desk(), cursor, kWatchBatch, kWatchPollMs);
    if (!jobs.ok()) return log.Finish(jobs.status(), context);
    for (const store::PrintJob& job : *jobs) {
      v1::ReadyDocument ready;
      if (absl::Status st = FillReady(workflow_, job, &ready); !st.ok()) {
        return log.Finish(st, context);
      }
      // The client went away: it resumes from its own cursor, so nothing is lost here.
      if (!writer->Write(ready)) return log.Finish(absl::OkStatus(), context);
      cursor = job.sequence;
    }
  }
  return log.Finish(absl::OkStatus(), context);
}

grpc::Status DocumentServiceImpl::MarkPrinted(grpc::ServerContext* context,
                                              const v1::MarkPrintedRequest* request,
                                              v1::MarkPrintedResponse* response) {
  CallLog log("MarkPrinted", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kMarkPrinted); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
  if (!name.ok()) return log.Finish(name.status(), context);
  auto revision = ParseDocumentName(request->revision(), /*allow_revision=*/true);
  if (!revision.ok()) return log.Finish(revision.status(), context);
  if (revision->first != name->first) {
    return log.Finish(Error(ErrorCode::kUsage, "revision of another document"), context);
  }
  log.set_resource(request->name());
  workflow::PrintInput in;
  in.document_id = name->first;
  in.print_id = request->print_id();
  in.revision = revision->second;
  in.printer = request->printer();
  in.copies = request->copies();
  in.officer = request->officer();
  in.actor = caller->actor;
  auto outcome = workflow_.MarkPrinted(in);
  if (!outcome.ok()) return log.Finish(outcome.status(), context);
  const store::PrintRecord& p = outcome->print;
  v1::PrintRecord* print = response->mutable_print();
  print->set_print_id(p.print_id);
  print->set_revision(RevisionName(p.document_id, p.revision));
  print->set_printer(p.printer);
  print->set_copies(p.copies);
  print->set_officer(p.officer);
  print->set_actor(p.actor);
  *print->mutable_print_time() =
      google::protobuf::util::TimeUtil::MillisecondsToTimestamp(p.time_ms);
  print->set_sequence(p.job_sequence);
  print->set_status(v1::PRINTED);  // a print id reported failed is refused by the workflow
  response->set_already_recorded(!outcome->recorded);
  return log.Finish(FillChanged(workflow_, name->first, response->mutable_document()), context);
}

grpc::Status DocumentServiceImpl::ReportPrintFailure(grpc::ServerContext* context,
                                                     const v1::ReportPrintFailureRequest* request,
                                                     v1::ReportPrintFailureResponse* response) {
  CallLog log("ReportPrintFailure", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kReportPrintFailure); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  auto in = PrintInputOf(*request, caller->actor);
  if (!in.ok()) return log.Finish(in.status(), context);
  log.set_resource(request->name());
  workflow::PrintFailureInput failure{*std::move(in), request->job_state(), request->reason()};
  auto outcome = workflow_.ReportPrintFailure(failure);
  if (!outcome.ok()) return log.Finish(outcome.status(), context);
  FillPrint(outcome->failure, response->mutable_failure());
  response->set_already_recorded(!outcome->recorded);
  if (outcome->recorded) {
    if (absl::Status st = FillReady(workflow_, outcome->retry, response->mutable_retry());
        !st.ok()) {
      return log.Finish(st, context);
    }
  }
  return log.Finish(FillChanged(workflow_, failure.print.document_id, response->mutable_document()),
                    context);
}

grpc::Status DocumentServiceImpl::RequestReprint(grpc::ServerContext* context,
                                                 const v1::RequestReprintRequest* request,
                                                 v1::ReadyDocument* response) {
  CallLog log("RequestReprint", context);
  absl::StatusOr<Caller> caller = Identify(context);
  if (!caller.ok()) return log.Finish(caller.status(), context);
  log.set_caller(caller->actor);
  if (absl::Status allowed = Allow(*caller, auth::Operation::kRequestReprint); !allowed.ok()) {
    return log.Finish(allowed, context);
  }
  auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
  if (!name.ok()) return log.Finish(name.status(), context);
  log.set_resource(request->name());
  auto job = workflow_.RequestReprint(name->first, request->reason(), caller->actor);
  if (!job.ok()) return log.Finish(job.status(), context);
  return log.Finish(FillReady(workflow_, *job, response), context);
}

}  // namespace taicho::server
