// Private to server/: one log line per call (method, caller, outcome, time; never data, images
// or signatures) and the gRPC status for its outcome.
#pragma once

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "errors/error.h"
#include "server/document_service.h"

namespace taicho::server {

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

}  // namespace taicho::server
