// How the command line's service clients (print station, register, …) reach taichod: its address
// and mutual TLS with the client's certificate, or plain text for local development only.
#pragma once

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace taicho::cli {

struct ConnectionOptions {
  std::string server;  // host:port
  bool insecure_local = false;
  std::string ca, cert, key;  // PEM files: the server's CA, the client's chain and key
  std::string server_name = "localhost";
};

// --server, --insecure-local, --ca, --cert, --key, --server-name (Vietnamese help). `--server`
// is required unless the command also works without the service (`taicho verify`).
void AddConnectionOptions(CLI::App& cmd, ConnectionOptions& options, bool server_required = true);

// kUsage when neither mutual TLS files nor --insecure-local are given; kIo for unreadable files.
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ConnectionOptions& options);

// A stub of `Service` (e.g. v1::DocumentService) on the channel `options` names; OpenChannel's
// errors. A template so this module needs none of the generated services.
template <typename Service>
absl::StatusOr<std::unique_ptr<typename Service::Stub>> OpenStub(const ConnectionOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(options);
  if (!channel.ok()) return channel.status();
  return Service::NewStub(*channel);
}

// The taicho code of a failed call (the "taicho-error-code" trailer), as an absl status with the
// server's message, so the CLI prints and exits as for a local error.
absl::Status FromGrpc(const grpc::Status& status, const grpc::ClientContext& context);

}  // namespace taicho::cli
