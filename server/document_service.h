// taicho.v1.DocumentService over a DocumentWorkflow: translates messages, maps errors to gRPC
// statuses (the taicho code in the "taicho-error-code" trailer), logs each call without content.
#pragma once

#include <optional>
#include <string>

#include "auth/access_policy.h"
#include "auth/role.h"
#include "keyring/key_ring.h"
#include "server/fifo_gate.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "workflow/document_workflow.h"

namespace taicho::server {

// The trailing metadata key carrying the stable taicho error code.
inline constexpr char kErrorCodeTrailer[] = "taicho-error-code";

struct ServiceLimits {
  // Server-side seals at once; the others wait in arrival order.
  int seal_concurrency = 2;
  // VerifyUpload calls at once; one more is refused (SERVER_BUSY), never queued holding a stream.
  int concurrent_uploads = 4;
};

class DocumentServiceImpl final : public v1::DocumentService::Service {
 public:
  // `workflow` must outlive the service. With `authenticate_clients` (mutual TLS), every call
  // needs a client certificate whose role auth/access_policy.h allows, and the record names the
  // certificate; without it every call is allowed and the record names the peer address.
  // `keys` (may be null: no server-side signing) must outlive the service too.
  DocumentServiceImpl(workflow::DocumentWorkflow& workflow, bool authenticate_clients,
                      keyring::KeyRing* keys = nullptr, ServiceLimits limits = {})
      : workflow_(workflow),
        authenticate_clients_(authenticate_clients),
        keys_(keys),
        seal_gate_(limits.seal_concurrency),
        upload_gate_(limits.concurrent_uploads) {}

  grpc::Status CreateDocument(grpc::ServerContext* context,
                              const v1::CreateDocumentRequest* request,
                              v1::Document* response) override;
  grpc::Status GetDocument(grpc::ServerContext* context, const v1::GetDocumentRequest* request,
                           v1::Document* response) override;
  grpc::Status ListDocuments(grpc::ServerContext* context, const v1::ListDocumentsRequest* request,
                             v1::ListDocumentsResponse* response) override;
  grpc::Status DownloadRevision(grpc::ServerContext* context,
                                const v1::DownloadRevisionRequest* request,
                                grpc::ServerWriter<v1::DownloadRevisionChunk>* writer) override;
  grpc::Status CancelDocument(grpc::ServerContext* context,
                              const v1::CancelDocumentRequest* request,
                              v1::Document* response) override;
  grpc::Status PrepareSignature(grpc::ServerContext* context,
                                const v1::PrepareSignatureRequest* request,
                                v1::PrepareSignatureResponse* response) override;
  grpc::Status CompleteSignature(grpc::ServerContext* context,
                                 const v1::CompleteSignatureRequest* request,
                                 v1::CompleteSignatureResponse* response) override;
  grpc::Status VerifyDocument(grpc::ServerContext* context,
                              const v1::VerifyDocumentRequest* request,
                              v1::VerificationReport* response) override;
  // A PDF streamed in pieces (server/upload_calls.cc).
  grpc::Status VerifyUpload(grpc::ServerContext* context,
                            grpc::ServerReader<v1::VerifyUploadRequest>* reader,
                            v1::VerificationReport* response) override;
  grpc::Status SignDocument(grpc::ServerContext* context, const v1::SignDocumentRequest* request,
                            v1::CompleteSignatureResponse* response) override;
  grpc::Status ActivateKey(grpc::ServerContext* context, const v1::ActivateKeyRequest* request,
                           v1::ServerKey* response) override;
  grpc::Status ListServerKeys(grpc::ServerContext* context,
                              const v1::ListServerKeysRequest* request,
                              v1::ListServerKeysResponse* response) override;
  // The print station's calls.
  grpc::Status WatchReady(grpc::ServerContext* context, const v1::WatchReadyRequest* request,
                          grpc::ServerWriter<v1::ReadyDocument>* writer) override;
  grpc::Status MarkPrinted(grpc::ServerContext* context, const v1::MarkPrintedRequest* request,
                           v1::MarkPrintedResponse* response) override;
  grpc::Status ReportPrintFailure(grpc::ServerContext* context,
                                  const v1::ReportPrintFailureRequest* request,
                                  v1::ReportPrintFailureResponse* response) override;
  grpc::Status RequestReprint(grpc::ServerContext* context,
                              const v1::RequestReprintRequest* request,
                              v1::ReadyDocument* response) override;
  // The register of issued documents (server/register_calls.cc).
  grpc::Status ListRegister(grpc::ServerContext* context, const v1::ListRegisterRequest* request,
                            v1::ListRegisterResponse* response) override;
  grpc::Status ExportRegister(grpc::ServerContext* context,
                              const v1::ExportRegisterRequest* request,
                              grpc::ServerWriter<v1::ExportRegisterChunk>* writer) override;
  // Desk statistics (server/statistics_calls.cc).
  grpc::Status GetDeskStatistics(grpc::ServerContext* context,
                                 const v1::GetDeskStatisticsRequest* request,
                                 v1::DeskStatistics* response) override;

 private:
  struct Caller {
    std::string actor;                         // who the record names
    std::optional<auth::Principal> principal;  // unset without client authentication
  };
  // Who is calling (kRoleNotAllowed when client authentication is on and no certificate came).
  absl::StatusOr<Caller> Identify(grpc::ServerContext* context) const;
  // OK when the caller may perform `operation` (always, without client authentication). Checked
  // before anything is read from the store, so a refused caller learns nothing from it.
  static absl::Status Allow(const Caller& caller, auth::Operation operation);

  workflow::DocumentWorkflow& workflow_;
  const bool authenticate_clients_;
  keyring::KeyRing* const keys_;
  FifoGate seal_gate_;    // server-side seals at once
  FifoGate upload_gate_;  // uploads at once
};

// The gRPC status for a workflow status (same code; unknown errors become INTERNAL), with the
// taicho code added to `context`'s trailers.
grpc::Status ToGrpc(const absl::Status& status, grpc::ServerContext* context);

}  // namespace taicho::server
