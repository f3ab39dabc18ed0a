// taicho.v1.DocumentService over a DocumentWorkflow: translates messages, maps errors to gRPC
// statuses (the taicho code in the "taicho-error-code" trailer), logs each call without content.
#pragma once

#include "taicho/v1/document_service.grpc.pb.h"
#include "workflow/document_workflow.h"

namespace taicho::server {

// The trailing metadata key carrying the stable taicho error code.
inline constexpr char kErrorCodeTrailer[] = "taicho-error-code";

class DocumentServiceImpl final : public v1::DocumentService::Service {
 public:
  // `workflow` must outlive the service.
  explicit DocumentServiceImpl(workflow::DocumentWorkflow& workflow) : workflow_(workflow) {}

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

 private:
  workflow::DocumentWorkflow& workflow_;
};

// The gRPC status for a workflow status (same code; unknown errors become INTERNAL), with the
// taicho code added to `context`'s trailers.
grpc::Status ToGrpc(const absl::Status& status, grpc::ServerContext* context);

}  // namespace taicho::server
