#include "server/document_service.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <vector>

#include "errors/error.h"
#include "server/proto_convert.h"
#include "signer/certificate_info.h"

namespace taicho::server {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

// One log line per call: method, caller, outcome, time. Never data, images or signatures.
class CallLog {
 public:
  CallLog(const char* method, grpc::ServerContext* context)
      : method_(method), caller_(context->peer()), start_(std::chrono::steady_clock::now()) {}
  void set_resource(std::string resource) { resource_ = std::move(resource); }
  // The authenticated identity replaces the address once known (subjects are not secrets).
  void set_caller(std::string caller) { caller_ = std::move(caller); }
  grpc::Status Finish(const absl::Status& status, grpc::ServerContext* context) {
    const auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
            .count();
    if (status.ok()) {
      spdlog::info("{} {} ok {:.1f} ms caller={}", method_, resource_, ms, caller_);
    } else {
      spdlog::warn("{} {} {} {} {:.1f} ms caller={}", method_, resource_,
                   absl::StatusCodeToString(status.code()), CodeOf(status), ms, caller_);
    }
    return ToGrpc(status, context);
  }

 private:
  const char* method_;
  std::string caller_;  // the peer address until the caller is identified
  std::string resource_;
  std::chrono::steady_clock::time_point start_;
};

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
  input.image_png = request->appearance().image_png();
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
  FillRevision(completed->revision, response->mutable_revision());
  return log.Finish(FillChanged(workflow_, completed->document.id, response->mutable_document()),
                    context);
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
    report = workflow_.VerifyRevision(name->first, name->second);
  } else {
    log.set_resource("(uploaded PDF)");
    report = workflow_.VerifyBytes(request->pdf());
  }
  if (!report.ok()) return log.Finish(report.status(), context);
  FillReport(*report, response);
  return log.Finish(absl::OkStatus(), context);
}

}  // namespace taicho::server
