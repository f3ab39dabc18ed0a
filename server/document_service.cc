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
  if (view.withdrawal) FillWithdrawal(*view.withdrawal, out->mutable_withdrawal());
  for (const store::RevisionRecord& r : view.revisions) FillRevision(r, out->add_revisions());
  for (const store::HistoryEvent& e : view.history) FillHistory(e, out->add_history());
  if (view.level) FillLevel(*view.level, out);
}

// A document as a response after a change: metadata and revisions (no history, no data).
absl::Status FillChanged(workflow::DocumentWorkflow& workflow, const workflow::Caller& caller,
                         const std::string& id, v1::Document* out) {
  absl::StatusOr<workflow::DocumentView> view = workflow.Get(caller, id, /*with_history=*/false);
  if (!view.ok()) return view.status();
  FillView(*view, /*with_data=*/false, out);
  return absl::OkStatus();
}

// A signature's response: the new revision, and the document as it stands after it (the
// workflow's own result: no second read of what it just wrote).
void FillCompleted(const workflow::CompleteOutput& done, v1::CompleteSignatureResponse* out) {
  FillRevision(done.revision, out->mutable_revision());
  FillView({done.document, done.revisions, {}, {}, {}}, /*with_data=*/false,
           out->mutable_document());
  // The level reached now, and the upgrade owed when it is below the policy's.
  v1::Document* doc = out->mutable_document();
  doc->set_level(workflow::LevelName(done.level));
  doc->set_target_level(workflow::LevelName(done.upgrade_to.value_or(done.level)));
  doc->set_upgrade_pending(done.upgrade_to.has_value());
  doc->set_upgrade_problem(done.upgrade_problem);
}

// The x509 property gRPC's TLS transport gives for the verified peer certificate.
constexpr char kPeerCertificatePem[] = "x509_pem_cert";

}  // namespace

absl::StatusOr<workflow::Caller> DocumentServiceImpl::Identify(grpc::ServerContext* context) const {
  if (!authenticate_clients_) return workflow::Caller::Unauthenticated(context->peer());
  std::shared_ptr<const grpc::AuthContext> auth_context = context->auth_context();
  const std::vector<grpc::string_ref> pems =
      auth_context ? auth_context->FindPropertyValues(kPeerCertificatePem)
                   : std::vector<grpc::string_ref>{};
  // The TLS handshake already required and verified a certificate; none here is a wiring bug.
  if (pems.empty()) return Error(ErrorCode::kRoleNotAllowed, "no client certificate");
  absl::StatusOr<auth::Principal> principal =
      auth::PrincipalFromCertificatePem(std::string_view(pems.front().data(), pems.front().size()));
  if (!principal.ok()) return principal.status();
  return workflow::Caller::Of(*std::move(principal));
}

grpc::Status DocumentServiceImpl::Serve(const char* method, grpc::ServerContext* context,
                                        std::optional<domain::Operation> operation,
                                        absl::FunctionRef<absl::Status(Call)> body) {
  CallLog log(method, context);
  // Every call ends here: its log line, its count and time, and a store probe after an I/O error.
  const auto finish = [&](const absl::Status& status) {
    grpc::Status out = log.Finish(status, context);
    if (observers_.metrics != nullptr) {
      observers_.metrics->CountCall(method, log.grpc_code(), log.error_code(), log.seconds());
    }
    if (observers_.health != nullptr && CodeOf(status) == CodeName(ErrorCode::kIo)) {
      observers_.health->StoreFailed();
    }
    return out;
  };
  absl::StatusOr<workflow::Caller> caller = Identify(context);
  if (!caller.ok()) return finish(caller.status());
  log.set_caller(caller->actor);
  // Before the request is read at all: a refused caller learns nothing, not even which of its
  // fields are wrong.
  if (operation) {
    if (absl::Status allowed = domain::Authorize(*caller, *operation); !allowed.ok()) {
      return finish(allowed);
    }
  }
  return finish(body(Call{*caller, log}));
}

void DocumentServiceImpl::CountSignature(const workflow::CompleteOutput& done) {
  if (observers_.metrics == nullptr) return;
  observers_.metrics->CountSignature(
      done.revision.purpose == store::RevisionPurpose::kSeal ? "seal" : "officer",
      workflow::LevelName(done.level));
}

void DocumentServiceImpl::ObserveSeal(const absl::StatusOr<workflow::CompleteOutput>& sealed,
                                      std::chrono::steady_clock::time_point start) {
  if (!sealed.ok()) {
    // A pulled token deactivates the key (keyring/key_ring.h): the health follows.
    if (observers_.health != nullptr) observers_.health->KeysChanged();
    return;
  }
  if (observers_.metrics != nullptr) {
    observers_.metrics->ObserveSealSeconds(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  CountSignature(*sealed);
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
  return Serve(
      "CreateDocument", context, auth::Operation::kCreateDocument, [&](Call call) -> absl::Status {
        const v1::Document& doc = request->document();
        absl::StatusOr<std::string> data = DataToJson(doc.data());
        if (!data.ok()) return data.status();
        workflow::CreateInput input{doc.kind(),      doc.dossier_code(), request->request_id(),
                                    doc.procedure(), doc.desk(),         *std::move(data)};
        auto created = workflow_.Create(call.caller, input);
        if (!created.ok()) return created.status();
        call.log.set_resource(DocumentName(created->document.id) +
                              (created->created ? "" : " (retry)"));
        auto view = workflow_.Get(call.caller, created->document.id, false);
        if (!view.ok()) return view.status();
        FillView(*view, /*with_data=*/true, response);
        return absl::OkStatus();
      });
}

grpc::Status DocumentServiceImpl::GetDocument(grpc::ServerContext* context,
                                              const v1::GetDocumentRequest* request,
                                              v1::Document* response) {
  return Serve("GetDocument", context, auth::Operation::kGetDocument,
               [&](Call call) -> absl::Status {
                 auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
                 if (!name.ok()) return name.status();
                 call.log.set_resource(request->name());
                 auto view = workflow_.Get(call.caller, name->first, /*with_history=*/true);
                 if (!view.ok()) return view.status();
                 FillView(*view, /*with_data=*/true, response);
                 return absl::OkStatus();
               });
}

grpc::Status DocumentServiceImpl::ListDocumentLevels(grpc::ServerContext* context,
                                                     const v1::ListDocumentLevelsRequest* request,
                                                     v1::ListDocumentLevelsResponse* response) {
  return Serve("ListDocumentLevels", context, auth::Operation::kListDocuments,
               [&](Call call) -> absl::Status {
                 if (request->page_size() < 0) {
                   return Error(ErrorCode::kUsage, "page_size: âm / negative");
                 }
                 store::LevelFilter filter;
                 filter.level = request->level();
                 filter.pending_only = request->upgrade_pending_only();
                 filter.limit = request->page_size();
                 auto levels = workflow_.ListLevels(call.caller, filter);
                 if (!levels.ok()) return levels.status();
                 for (const store::LevelRecord& r : *levels) {
                   FillLevel(r, response->add_documents());
                 }
                 return absl::OkStatus();
               });
}

grpc::Status DocumentServiceImpl::ListDocuments(grpc::ServerContext* context,
                                                const v1::ListDocumentsRequest* request,
                                                v1::ListDocumentsResponse* response) {
  return Serve(
      "ListDocuments", context, auth::Operation::kListDocuments, [&](Call call) -> absl::Status {
        store::ListFilter filter;
        if (request->page_size() < 0) {
          return Error(ErrorCode::kUsage, "page_size: âm / negative");
        }
        filter.limit = request->page_size() == 0 ? kDefaultPageSize
                                                 : std::min(request->page_size(), kMaxPageSize);
        if (request->state() != v1::Document::STATE_UNSPECIFIED) {
          filter.state = FromProto(request->state());
          if (!filter.state) return Error(ErrorCode::kUsage, "state");
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
          if (!after.ok()) return after.status();
          filter.after = *after;
        }
        // One more than asked tells whether another page exists.
        ++filter.limit;
        auto documents = workflow_.List(call.caller, filter);
        if (!documents.ok()) return documents.status();
        const bool more = static_cast<int>(documents->size()) == filter.limit;
        if (more) documents->pop_back();
        for (const store::DocumentRecord& d : *documents) {
          FillDocument(d, /*with_data=*/false, response->add_documents());
        }
        if (more && !documents->empty()) {
          response->set_next_page_token(
              EncodePageToken(documents->back().create_time_ms, documents->back().id));
        }
        return absl::OkStatus();
      });
}

grpc::Status DocumentServiceImpl::DownloadRevision(
    grpc::ServerContext* context, const v1::DownloadRevisionRequest* request,
    grpc::ServerWriter<v1::DownloadRevisionChunk>* writer) {
  return Serve("DownloadRevision", context, auth::Operation::kDownloadRevision,
               [&](Call call) -> absl::Status {
                 auto name = ParseDocumentName(request->name(), /*allow_revision=*/true);
                 if (!name.ok()) return name.status();
                 call.log.set_resource(request->name());
                 auto revision = workflow_.OpenRevision(call.caller, name->first, name->second);
                 if (!revision.ok()) return revision.status();
                 std::ifstream in(revision->second, std::ios::binary);
                 if (!in) return Error(ErrorCode::kIo, "the revision's file cannot be read");
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
                   return Error(ErrorCode::kIo, "the revision's file changed size");
                 }
                 return absl::OkStatus();
               });
}

grpc::Status DocumentServiceImpl::CancelDocument(grpc::ServerContext* context,
                                                 const v1::CancelDocumentRequest* request,
                                                 v1::Document* response) {
  return Serve("CancelDocument", context, auth::Operation::kCancelDocument,
               [&](Call call) -> absl::Status {
                 auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
                 if (!name.ok()) return name.status();
                 call.log.set_resource(request->name());
                 auto cancelled = workflow_.Cancel(call.caller, name->first, request->reason());
                 if (!cancelled.ok()) return cancelled.status();
                 return FillChanged(workflow_, call.caller, name->first, response);
               });
}

grpc::Status DocumentServiceImpl::WithdrawDocument(grpc::ServerContext* context,
                                                   const v1::WithdrawDocumentRequest* request,
                                                   v1::Document* response) {
  return Serve("WithdrawDocument", context, auth::Operation::kWithdrawDocument,
               [&](Call call) -> absl::Status {
                 auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
                 if (!name.ok()) return name.status();
                 call.log.set_resource(request->name());
                 auto withdrawn = workflow_.Withdraw(call.caller, name->first, request->reason());
                 if (!withdrawn.ok()) return withdrawn.status();
                 return FillChanged(workflow_, call.caller, name->first, response);
               });
}

grpc::Status DocumentServiceImpl::PrepareSignature(grpc::ServerContext* context,
                                                   const v1::PrepareSignatureRequest* request,
                                                   v1::PrepareSignatureResponse* response) {
  // The operation depends on the role asked for: the use case authorizes.
  return Serve("PrepareSignature", context, std::nullopt, [&](Call call) -> absl::Status {
    auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
    if (!name.ok()) return name.status();
    call.log.set_resource(request->name());
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
        return Error(ErrorCode::kUsage, "role: APPROVER hoặc / or SEAL");
    }
    input.chain = ToBytesList(request->certificate_chain());
    input.scheme = SchemeFromProto(request->scheme());
    if (!request->appearance().image_png().empty()) {
      input.image_png = std::make_shared<const std::string>(request->appearance().image_png());
    }
    input.caption = request->appearance().caption();
    input.seal_diameter_mm = request->appearance().seal_diameter_mm();
    input.reason = request->reason();
    input.location = request->location();
    auto prepared = workflow_.Prepare(call.caller, input);
    if (!prepared.ok()) return prepared.status();
    response->set_session(SessionName(prepared->session.id));
    response->set_to_be_signed(prepared->to_be_signed.data(), prepared->to_be_signed.size());
    response->set_digest_algorithm(std::string(signer::DigestName(prepared->digest)));
    response->set_scheme(SchemeToProto(prepared->scheme));
    *response->mutable_expire_time() =
        google::protobuf::util::TimeUtil::MillisecondsToTimestamp(prepared->session.expire_time_ms);
    response->set_signing_time(prepared->signing_time);
    response->set_base_revision(prepared->session.base_revision);
    call.log.set_resource(request->name() + " " + response->session());
    return absl::OkStatus();
  });
}

grpc::Status DocumentServiceImpl::CompleteSignature(grpc::ServerContext* context,
                                                    const v1::CompleteSignatureRequest* request,
                                                    v1::CompleteSignatureResponse* response) {
  // The operation depends on the stored session's purpose: the use case authorizes.
  return Serve("CompleteSignature", context, std::nullopt, [&](Call call) -> absl::Status {
    auto session = ParseSessionName(request->session());
    if (!session.ok()) return session.status();
    call.log.set_resource(request->session());
    const std::string& value = request->signature_value();
    auto completed =
        workflow_.Complete(call.caller, *session,
                           ByteSpan(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
    if (!completed.ok()) return completed.status();
    call.log.set_document(completed->document.id);
    CountSignature(*completed);
    FillCompleted(*completed, response);
    return absl::OkStatus();
  });
}

grpc::Status DocumentServiceImpl::VerifyDocument(grpc::ServerContext* context,
                                                 const v1::VerifyDocumentRequest* request,
                                                 v1::VerificationReport* response) {
  return Serve(
      "VerifyDocument", context, auth::Operation::kVerifyDocument, [&](Call call) -> absl::Status {
        const auto cancelled = [context] { return context->IsCancelled(); };
        if (!request->has_name()) {
          call.log.set_resource("(uploaded PDF)");
          auto report = workflow_.VerifyBytes(call.caller, request->pdf(), cancelled);
          if (!report.ok()) return report.status();
          FillReport(*report, response);
          return absl::OkStatus();
        }
        auto name = ParseDocumentName(request->name(), /*allow_revision=*/true);
        if (!name.ok()) return name.status();
        call.log.set_resource(request->name());
        auto verified = workflow_.VerifyRevision(call.caller, name->first, name->second, cancelled);
        if (!verified.ok()) return verified.status();
        FillReport(verified->report, response);
        if (verified->withdrawal) FillWithdrawal(*verified->withdrawal, response);
        return absl::OkStatus();
      });
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

}  // namespace

grpc::Status DocumentServiceImpl::SignDocument(grpc::ServerContext* context,
                                               const v1::SignDocumentRequest* request,
                                               v1::CompleteSignatureResponse* response) {
  return Serve("SignDocument", context, auth::Operation::kServerSeal,
               [&](Call call) -> absl::Status {
                 const auto start = std::chrono::steady_clock::now();
                 workflow::ServerSealInput input;
                 // Any other role is refused by the use case: a server key signs only as the seal.
                 input.role = request->role() == v1::SEAL ? workflow::SignatureRole::kSeal
                                                          : workflow::SignatureRole::kApprover;
                 if (request->role() != v1::SEAL && request->role() != v1::APPROVER) {
                   return Error(ErrorCode::kUsage, "role: SEAL");
                 }
                 auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
                 if (!name.ok()) return name.status();
                 absl::StatusOr<std::string> key_name = ParseServerKeyName(request->key());
                 if (!key_name.ok()) return key_name.status();
                 call.log.set_resource(request->name() + " " + request->key());
                 input.document_id = name->first;
                 input.key_name = *key_name;
                 input.reason = request->reason();
                 input.location = request->location();
                 // The gate covers the seal's computing only: planning it (the issue number's
                 // allocation can wait for a group commit's fsync) and storing it (fsyncs, the
                 // commit) wait outside, so that the cores keep computing other seals meanwhile.
                 // The wait ends when the client gives up: the gate is this front end's (it bounds
                 // this process's signing threads and knows the call's cancellation), handed to the
                 // use case as its hooks.
                 std::optional<FifoGate::Pass> pass;
                 workflow::ComputeHooks hooks;
                 hooks.computing = [&]() -> absl::Status {
                   pass.emplace(seal_gate_.Enter([context] { return context->IsCancelled(); }));
                   return pass->admitted() ? absl::OkStatus() : Error(ErrorCode::kCancelled);
                 };
                 hooks.computed = [&pass] { pass.reset(); };
                 auto signed_revision = workflow_.SealWithServerKey(call.caller, input, hooks);
                 ObserveSeal(signed_revision, start);
                 if (!signed_revision.ok()) return signed_revision.status();
                 FillCompleted(*signed_revision, response);
                 return absl::OkStatus();
               });
}

grpc::Status DocumentServiceImpl::ActivateKey(grpc::ServerContext* context,
                                              const v1::ActivateKeyRequest* request,
                                              v1::ServerKey* response) {
  // The PIN leaves the request message at once (the buffer it leaves is wiped) and is wiped
  // after the login; it never reaches a log line, an error or the record.
  pkcs11::SecretString pin(std::move(*const_cast<v1::ActivateKeyRequest*>(request)->mutable_pin()));
  return Serve("ActivateKey", context, auth::Operation::kActivateKey,
               [&](Call call) -> absl::Status {
                 absl::StatusOr<std::string> key_name = ParseServerKeyName(request->name());
                 if (!key_name.ok()) return key_name.status();
                 call.log.set_resource(request->name());
                 auto key = workflow_.ActivateKey(call.caller, *key_name, pin);
                 if (observers_.health != nullptr) observers_.health->KeysChanged();
                 if (!key.ok()) return key.status();
                 FillServerKey(*key, response);
                 return absl::OkStatus();
               });
}

grpc::Status DocumentServiceImpl::ListServerKeys(grpc::ServerContext* context,
                                                 const v1::ListServerKeysRequest* /*request*/,
                                                 v1::ListServerKeysResponse* response) {
  return Serve("ListServerKeys", context, auth::Operation::kListServerKeys,
               [&](Call call) -> absl::Status {
                 auto keys = workflow_.ListServerKeys(call.caller);
                 if (!keys.ok()) return keys.status();
                 for (const keyring::KeyStatus& key : *keys) {
                   FillServerKey(key, response->add_keys());
                 }
                 return absl::OkStatus();
               });
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

// A print as the station names it: the document, and the revision it printed in full (the
// workflow refuses a revision of another document).
template <typename Request>
absl::StatusOr<workflow::PrintInput> PrintInputOf(const Request& request) {
  auto name = ParseDocumentName(request.name(), /*allow_revision=*/false);
  if (!name.ok()) return name.status();
  auto revision = ParseDocumentName(request.revision(), /*allow_revision=*/true);
  if (!revision.ok()) return revision.status();
  workflow::PrintInput in;
  in.document_id = name->first;
  in.print_id = request.print_id();
  in.revision_document_id = revision->first;
  in.revision = revision->second;
  in.printer = request.printer();
  in.copies = request.copies();
  in.officer = request.officer();
  return in;
}

absl::Status FillReady(workflow::DocumentWorkflow& workflow, const workflow::Caller& caller,
                       const store::PrintJob& job, v1::ReadyDocument* out) {
  out->set_sequence(job.sequence);
  if (absl::Status st = FillChanged(workflow, caller, job.document_id, out->mutable_document());
      !st.ok()) {
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
  return Serve("WatchReady", context, auth::Operation::kWatchReady, [&](Call call) -> absl::Status {
    call.log.set_resource("desk=" + request->desk());
    int64_t cursor = request->after_sequence();
    while (!context->IsCancelled()) {
      auto jobs =
          workflow_.ReadyToPrint(call.caller, request->desk(), cursor, kWatchBatch, kWatchPollMs);
      if (!jobs.ok()) return jobs.status();
      for (const store::PrintJob& job : *jobs) {
        v1::ReadyDocument ready;
        if (absl::Status st = FillReady(workflow_, call.caller, job, &ready); !st.ok()) return st;
        // The client went away: it resumes from its own cursor, so nothing is lost here.
        if (!writer->Write(ready)) return absl::OkStatus();
        cursor = job.sequence;
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status DocumentServiceImpl::MarkPrinted(grpc::ServerContext* context,
                                              const v1::MarkPrintedRequest* request,
                                              v1::MarkPrintedResponse* response) {
  return Serve(
      "MarkPrinted", context, auth::Operation::kMarkPrinted, [&](Call call) -> absl::Status {
        absl::StatusOr<workflow::PrintInput> in = PrintInputOf(*request);
        if (!in.ok()) return in.status();
        call.log.set_resource(request->name());
        auto outcome = workflow_.MarkPrinted(call.caller, *in);
        if (!outcome.ok()) return outcome.status();
        FillPrint(outcome->print, response->mutable_print());
        response->set_already_recorded(!outcome->recorded);
        return FillChanged(workflow_, call.caller, in->document_id, response->mutable_document());
      });
}

grpc::Status DocumentServiceImpl::ReportPrintFailure(grpc::ServerContext* context,
                                                     const v1::ReportPrintFailureRequest* request,
                                                     v1::ReportPrintFailureResponse* response) {
  return Serve("ReportPrintFailure", context, auth::Operation::kReportPrintFailure,
               [&](Call call) -> absl::Status {
                 absl::StatusOr<workflow::PrintInput> in = PrintInputOf(*request);
                 if (!in.ok()) return in.status();
                 call.log.set_resource(request->name());
                 const workflow::PrintFailureInput failure{*std::move(in), request->job_state(),
                                                           request->reason()};
                 auto outcome = workflow_.ReportPrintFailure(call.caller, failure);
                 if (!outcome.ok()) return outcome.status();
                 // Counted once: a station reporting the same print again changes nothing.
                 if (outcome->recorded && observers_.metrics != nullptr) {
                   observers_.metrics->CountPrintFailure(failure.job_state);
                 }
                 FillPrint(outcome->failure, response->mutable_failure());
                 response->set_already_recorded(!outcome->recorded);
                 if (outcome->recorded) {
                   if (absl::Status st = FillReady(workflow_, call.caller, outcome->retry,
                                                   response->mutable_retry());
                       !st.ok()) {
                     return st;
                   }
                 }
                 return FillChanged(workflow_, call.caller, failure.print.document_id,
                                    response->mutable_document());
               });
}

grpc::Status DocumentServiceImpl::RequestReprint(grpc::ServerContext* context,
                                                 const v1::RequestReprintRequest* request,
                                                 v1::ReadyDocument* response) {
  return Serve("RequestReprint", context, auth::Operation::kRequestReprint,
               [&](Call call) -> absl::Status {
                 auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
                 if (!name.ok()) return name.status();
                 call.log.set_resource(request->name());
                 auto job = workflow_.RequestReprint(call.caller, name->first, request->reason());
                 if (!job.ok()) return job.status();
                 return FillReady(workflow_, call.caller, *job, response);
               });
}

}  // namespace taicho::server
