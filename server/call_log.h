// Private to server/: one log line per call (method, caller, outcome, time; never data, images
// or signatures) and the gRPC status for its outcome. In JSON logs (--log-format json) the
// method, document, codes and latency are fields of the line (CallFields), not its message.
#pragma once

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "errors/error.h"
#include "server/document_service.h"
#include "server/log_fields.h"

namespace taicho::server {

// The document id a resource name starts with ("documents/{id}…"), or "".
inline std::string_view DocumentIdOf(std::string_view resource) {
  constexpr std::string_view kPrefix = "documents/";
  if (resource.substr(0, kPrefix.size()) != kPrefix) return {};
  resource.remove_prefix(kPrefix.size());
  return resource.substr(0, resource.find_first_of("/ "));
}

// One log line per call: method, caller, outcome, time. Never data, images or signatures.
class CallLog {
 public:
  CallLog(const char* method, grpc::ServerContext* context)
      : method_(method), caller_(context->peer()), start_(std::chrono::steady_clock::now()) {}
  void set_resource(std::string resource) { resource_ = std::move(resource); }
  // The document acted on, when the resource does not name it (a signing session's).
  void set_document(std::string id) { document_ = std::move(id); }
  // The authenticated identity replaces the address once known (subjects are not secrets).
  void set_caller(std::string caller) { caller_ = std::move(caller); }

  grpc::Status Finish(const absl::Status& status, grpc::ServerContext* context) {
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double ms = seconds_ * 1000;
    grpc::Status out = ToGrpc(status, context);
    // The gRPC code as sent, and the taicho code as the trailer carries it.
    grpc_code_ = absl::StatusCodeToString(static_cast<absl::StatusCode>(out.error_code()));
    if (!status.ok()) {
      error_ = CodeOf(status);
      if (error_ == "UNKNOWN") error_ = "INTERNAL";
    }
    const CallFields fields{status.ok() ? "call ok" : "call failed",
                            method_,
                            document_.empty() ? DocumentIdOf(resource_) : document_,
                            resource_,
                            grpc_code_,
                            error_,
                            ms,
                            caller_};
    ScopedCallFields scope(&fields);
    if (status.ok()) {
      spdlog::info("{} {} ok {:.1f} ms caller={}", method_, resource_, ms, caller_);
    } else {
      spdlog::warn("{} {} {} {} {:.1f} ms caller={}", method_, resource_,
                   absl::StatusCodeToString(status.code()), error_, ms, caller_);
    }
    return out;
  }

  // After Finish: the call's time, its gRPC code's name ("OK", "NOT_FOUND"…) and taicho code
  // ("" when OK).
  double seconds() const { return seconds_; }
  const std::string& grpc_code() const { return grpc_code_; }
  const std::string& error_code() const { return error_; }

 private:
  const char* method_;
  std::string caller_;  // the peer address until the caller is identified
  std::string resource_;
  std::string document_;
  std::chrono::steady_clock::time_point start_;
  double seconds_ = 0;
  std::string grpc_code_;
  std::string error_;
};

}  // namespace taicho::server
