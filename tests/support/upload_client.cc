#include "tests/support/upload_client.h"

#include <chrono>
#include <fstream>
#include <functional>

namespace taicho::testing {
namespace {

namespace v1 = ::taicho::v1;

// `next` fills the next piece (empty: the end).
UploadResult Upload(v1::DocumentService::Stub& stub, const UploadOptions& options,
                    const std::function<void(std::string*)>& next) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  UploadResult result;
  auto writer = stub.VerifyUpload(&context, &result.report);
  v1::VerifyUploadRequest message;
  if (options.declared_size > 0) {
    message.mutable_metadata()->set_total_size_bytes(options.declared_size);
  }
  bool cancelled = false;
  std::string piece;
  for (next(&piece); !piece.empty(); next(&piece)) {
    if (options.before_write) options.before_write(result.bytes_sent);
    message.set_data(piece);
    // False: the server ended the call (refused it); Finish says why.
    if (!writer->Write(message)) break;
    message.Clear();
    result.bytes_sent += static_cast<int64_t>(piece.size());
    if (options.cancel_after_bytes >= 0 && result.bytes_sent >= options.cancel_after_bytes) {
      context.TryCancel();
      cancelled = true;
      break;
    }
  }
  // Metadata alone (no data at all) still goes out.
  if (message.has_metadata() && !cancelled) writer->Write(message);
  if (!cancelled) writer->WritesDone();
  result.status = writer->Finish();
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("taicho-error-code");
  if (it != trailers.end()) result.code.assign(it->second.data(), it->second.size());
  return result;
}

}  // namespace

UploadResult UploadBytes(v1::DocumentService::Stub& stub, const std::string& bytes,
                         const UploadOptions& options) {
  size_t offset = 0;
  return Upload(stub, options, [&](std::string* piece) {
    *piece = bytes.substr(offset, options.chunk_bytes);
    offset += piece->size();
  });
}

UploadResult UploadFile(v1::DocumentService::Stub& stub, const std::string& path,
                        const UploadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  return Upload(stub, options, [&](std::string* piece) {
    piece->resize(options.chunk_bytes);
    in.read(piece->data(), static_cast<std::streamsize>(piece->size()));
    piece->resize(static_cast<size_t>(in.gcount()));
  });
}

}  // namespace taicho::testing
