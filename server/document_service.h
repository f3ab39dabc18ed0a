// taicho.v1.DocumentService over a DocumentWorkflow: translates messages, maps errors to gRPC
// statuses (the taicho code in the "taicho-error-code" trailer), logs each call without content.
// Every rule (who may do what, with which certificate or key, from which state) is the
// workflow's; every handler runs inside one prologue (Serve) that identifies the caller, logs the
// call and maps its outcome. Thread-safe: gRPC calls the handlers on many threads; the workflow
// and the gates are thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "auth/access_policy.h"
#include "auth/role.h"
#include "keyring/key_ring.h"
#include "metrics/service_metrics.h"
#include "server/fifo_gate.h"
#include "server/service_health.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "workflow/document_workflow.h"

namespace taicho::server {

class CallLog;

// The trailing metadata key carrying the stable taicho error code.
inline constexpr char kErrorCodeTrailer[] = "taicho-error-code";

struct ServiceLimits {
  // Server-side seals at once; the others wait in arrival order.
  int seal_concurrency = 2;
  // VerifyUpload calls at once; one more is refused (SERVER_BUSY), never queued holding a stream.
  int concurrent_uploads = 4;
};

// What the service tells besides its answers (taichod's /metrics and health check); each may be
// null (not told), and must outlive the service.
struct ServiceObservers {
  metrics::ServiceMetrics* metrics = nullptr;  // every call, signature and print failure
  ServiceHealth* health = nullptr;             // key activations, store I/O failures
};

class DocumentServiceImpl final : public v1::DocumentService::Service {
 public:
  // `workflow` must outlive the service. With `authenticate_clients` (mutual TLS), every call
  // needs a client certificate whose role domain/access_policy.h allows, and the record names the
  // certificate; without it every call is allowed and the record names the peer address. The
  // server's keys are the workflow's (WorkflowConfig::keys).
  DocumentServiceImpl(workflow::DocumentWorkflow& workflow, bool authenticate_clients,
                      ServiceLimits limits = {}, ServiceObservers observers = {})
      : workflow_(workflow),
        authenticate_clients_(authenticate_clients),
        seal_gate_(limits.seal_concurrency),
        upload_gate_(limits.concurrent_uploads),
        observers_(observers) {}

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
  grpc::Status WithdrawDocument(grpc::ServerContext* context,
                                const v1::WithdrawDocumentRequest* request,
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
  // Documents by PAdES level (workflow/level_keeper.h keeps them at the policy's).
  grpc::Status ListDocumentLevels(grpc::ServerContext* context,
                                  const v1::ListDocumentLevelsRequest* request,
                                  v1::ListDocumentLevelsResponse* response) override;

 private:
  // What a handler's body gets from the prologue.
  struct Call {
    const workflow::Caller& caller;
    CallLog& log;  // the body names the resource it acts on (set_resource)
  };
  // The one prologue of every call: identifies the caller (kRoleNotAllowed when client
  // authentication is on and no certificate came), refuses it early when it may not perform
  // `operation` (the call's fixed operation, if it has one; the use case checks again, and is
  // the only check for calls whose operation depends on the request), runs `body`, logs one line
  // and returns the gRPC status with the taicho code in the trailers.
  grpc::Status Serve(const char* method, grpc::ServerContext* context,
                     std::optional<domain::Operation> operation,
                     absl::FunctionRef<absl::Status(Call)> body);
  // Who is calling.
  absl::StatusOr<workflow::Caller> Identify(grpc::ServerContext* context) const;
  // A stored signature, for /metrics.
  void CountSignature(const workflow::CompleteOutput& done);
  // A server-side seal's outcome: its time and signature for /metrics, or a key that may have
  // lost its token for the health check.
  void ObserveSeal(const absl::StatusOr<workflow::CompleteOutput>& sealed,
                   std::chrono::steady_clock::time_point start);

  workflow::DocumentWorkflow& workflow_;
  const bool authenticate_clients_;
  FifoGate seal_gate_;    // server-side seals at once
  FifoGate upload_gate_;  // uploads at once
  const ServiceObservers observers_;
};

// The gRPC status for a workflow status (same code; unknown errors become INTERNAL), with the
// taicho code added to `context`'s trailers.
grpc::Status ToGrpc(const absl::Status& status, grpc::ServerContext* context);

}  // namespace taicho::server
