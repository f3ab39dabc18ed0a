#include "cli/service_connection.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::cli {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, absl::StrCat("không đọc được / cannot read ", path));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

void AddConnectionOptions(CLI::App& cmd, ConnectionOptions& o, bool server_required) {
  cmd.add_option("--server", o.server, "Địa chỉ taichod (host:port) / taichod address")
      ->required(server_required);
  cmd.add_flag("--insecure-local", o.insecure_local,
               "Không mã hóa, chỉ dùng thử trên máy / plain text, local development only");
  cmd.add_option("--ca", o.ca, "Chứng thư gốc của máy chủ (PEM) / server CA (PEM)");
  cmd.add_option("--cert", o.cert, "Chứng thư máy khách (PEM, kèm chuỗi) / client chain (PEM)");
  cmd.add_option("--key", o.key, "Khóa riêng máy khách (PEM) / client private key (PEM)");
  cmd.add_option("--server-name", o.server_name,
                 "Tên máy chủ trong chứng thư / server name in its certificate")
      ->capture_default_str();
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ConnectionOptions& o) {
  if (o.insecure_local) return grpc::CreateChannel(o.server, grpc::InsecureChannelCredentials());
  if (o.ca.empty() || o.cert.empty() || o.key.empty()) {
    return Error(ErrorCode::kUsage,
                 "cần --ca, --cert, --key (TLS hai chiều) hoặc --insecure-local / mutual TLS "
                 "options or --insecure-local are required");
  }
  grpc::SslCredentialsOptions tls;
  for (auto [path, field] :
       {std::pair{&o.ca, &tls.pem_root_certs}, std::pair{&o.cert, &tls.pem_cert_chain},
        std::pair{&o.key, &tls.pem_private_key}}) {
    absl::StatusOr<std::string> pem = ReadPem(*path);
    if (!pem.ok()) return pem.status();
    *field = *std::move(pem);
  }
  grpc::ChannelArguments arguments;
  if (!o.server_name.empty()) arguments.SetSslTargetNameOverride(o.server_name);
  return grpc::CreateCustomChannel(o.server, grpc::SslCredentials(tls), arguments);
}

absl::Status FromGrpc(const grpc::Status& status, const grpc::ClientContext& context) {
  if (status.ok()) return absl::OkStatus();
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("taicho-error-code");
  const std::string code =
      it == trailers.end() ? "UNAVAILABLE" : std::string(it->second.data(), it->second.size());
  return WithCode(absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                               absl::StrCat("taichod: ", status.error_message())),
                  code);
}

}  // namespace taicho::cli
