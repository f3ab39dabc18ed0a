#include "server/document_service.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <vector>

#include "errors/error.h"
#include "server/proto_convert.h"

namespace taicho::server {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

// One log line per call: method, caller, outcome, time. Never data, images or signatures.
class CallLog {
 public:
  CallLog(const char* method, grpc::ServerContext* context)
      : method_(method), peer_(context->peer()), start_(std::chrono::steady_clock::now()) {}
  void set_resource(std::string resource) { resource_ = std::move(resource); }
  grpc::Status Finish(const absl::Status& status, grpc::ServerContext* context) {
    const auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
            .count();
    if (status.ok()) {
      spdlog::info("{} {} ok {:.1f} ms peer={}", method_, resource_, ms, peer_);
    } else {
      spdlog::warn("{} {} {} {} {:.1f} ms peer={}", method_, resource_,
                   absl::StatusCodeToString(status.code()), CodeOf(status), ms, peer_);
    }
    return ToGrpc(status, context);
  }

 private:
  const char* method_;
  std::string peer_;
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

}  // namespace

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
  const v1::Document& doc = request->document();
  absl::StatusOr<std::string> data = DataToJson(doc.data());
  if (!data.ok()) return log.Finish(data.status(), context);
  workflow::CreateInput input{doc.kind(),      doc.dossier_code(), request->request_id(),
                              doc.procedure(), doc.desk(),         *std::move(data),
                              context->peer()};
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
  auto name = ParseDocumentName(request->name(), /*allow_revision=*/false);
  if (!name.ok()) return log.Finish(name.status(), context);
  log.set_resource(request->name());
  auto cancelled = workflow_.Cancel(name->first, request->reason(), context->peer());
  if (!cancelled.ok()) return log.Finish(cancelled.status(), context);
  return log.Finish(FillChanged(workflow_, name->first, response), context);
}

grpc::Status DocumentServiceImpl::PrepareSignature(grpc::ServerContext* context,
                                                   const v1::PrepareSignatureRequest* request,
                                                   v1::PrepareSignatureResponse* response) {
  CallLog log("PrepareSignature", context);
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
  input.scheme = SchemeFromProto(request->scheme());
  input.image_png = request->appearance().image_png();
  input.caption = request->appearance().caption();
  input.seal_diameter_mm = request->appearance().seal_diameter_mm();
  input.reason = request->reason();
  input.location = request->location();
  input.actor = context->peer();
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
  const std::string& value = request->signature_value();
  auto completed = workflow_.Complete(
      *session, ByteSpan(reinterpret_cast<const uint8_t*>(value.data()), value.size()),
      context->peer());
  if (!completed.ok()) return log.Finish(completed.status(), context);
  FillRevision(completed->revision, response->mutable_revision());
  return log.Finish(FillChanged(workflow_, completed->document.id, response->mutable_document()),
                    context);
}

grpc::Status DocumentServiceImpl::VerifyDocument(grpc::ServerContext* context,
                                                 const v1::VerifyDocumentRequest* request,
                                                 v1::VerificationReport* response) {
  CallLog log("VerifyDocument", context);
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
