// DocumentService's streamed upload: VerifyUpload. The bytes go straight from each message into the
// workflow's work file (workflow/pdf_upload.h); nothing here holds more than one message.
#include "absl/strings/str_cat.h"
#include "server/call_log.h"
#include "server/document_service.h"
#include "server/proto_convert.h"

namespace taicho::server {

grpc::Status DocumentServiceImpl::VerifyUpload(grpc::ServerContext* context,
                                               grpc::ServerReader<v1::VerifyUploadRequest>* reader,
                                               v1::VerificationReport* response) {
  // Refused before a byte is read or written to disk.
  return Serve(
      "VerifyUpload", context, auth::Operation::kVerifyDocument, [&](Call call) -> absl::Status {
        // Each upload in progress may take up to max_upload_mb of disk: only so many at once.
        const FifoGate::Pass pass = upload_gate_.TryEnter();
        if (!pass.admitted()) return Error(ErrorCode::kServerBusy, "VerifyUpload");
        absl::StatusOr<std::unique_ptr<workflow::PdfUpload>> upload =
            workflow_.BeginUpload(call.caller);
        if (!upload.ok()) return upload.status();
        workflow::PdfUpload& file = **upload;
        // Sizes are not content: the log line says how much came, never what or under which name.
        auto resource = [&file] { return absl::StrCat("(uploaded PDF, ", file.size(), " bytes)"); };
        v1::VerifyUploadRequest message;
        bool first = true;
        while (reader->Read(&message)) {
          if (message.has_metadata()) {
            absl::Status declared =
                first ? file.Declare(message.metadata().total_size_bytes())
                      : Error(ErrorCode::kUsage,
                              "metadata: chỉ trong thông điệp đầu / first message only");
            if (!declared.ok()) {
              call.log.set_resource(resource());
              return declared;
            }
          }
          first = false;
          // Returning stops the reading: the rest of an over-cap stream is never written anywhere.
          if (absl::Status st = file.Append(message.data()); !st.ok()) {
            call.log.set_resource(resource());
            return st;
          }
        }
        call.log.set_resource(resource());
        // A read that ended without the client's half-close: cancelled or past its deadline. Nobody
        // waits for the answer; the work file goes with `upload`.
        if (context->IsCancelled()) {
          return Error(ErrorCode::kCancelled, "the client cancelled the upload");
        }
        absl::StatusOr<pades::VerificationReport> report =
            workflow_.VerifyUploaded(file, [context] { return context->IsCancelled(); });
        if (!report.ok()) return report.status();
        FillReport(*report, response);
        return absl::OkStatus();
      });
}

}  // namespace taicho::server
