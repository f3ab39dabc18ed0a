// Test support: a VerifyUpload client, as a deployment's would be, streaming bytes or a file in
// chunks, optionally cancelling part-way.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <string>

#include "taicho/v1/document_service.grpc.pb.h"

namespace taicho::testing {

struct UploadOptions {
  size_t chunk_bytes = 256 * 1024;
  int64_t declared_size = 0;        // sent as metadata in the first message when > 0
  int64_t cancel_after_bytes = -1;  // ≥ 0: cancel the call once this many bytes were sent
  // Called before each data message with the bytes sent so far (optional): a test that must not
  // run ahead of the server waits there.
  std::function<void(int64_t bytes_sent)> before_write;
};

struct UploadResult {
  grpc::Status status;
  std::string code;  // the taicho-error-code trailer
  ::taicho::v1::VerificationReport report;
  int64_t bytes_sent = 0;  // accepted by the transport before the stream ended
};

// Streams `bytes` to VerifyUpload.
UploadResult UploadBytes(::taicho::v1::DocumentService::Stub& stub, const std::string& bytes,
                         const UploadOptions& options = {});

// Streams the file at `path`, read piece by piece (never whole into memory).
UploadResult UploadFile(::taicho::v1::DocumentService::Stub& stub, const std::string& path,
                        const UploadOptions& options = {});

}  // namespace taicho::testing
