// taicho-cli's `verify`: the local check (cli/verify_local.h), plus --online (revocation asked of
// the OCSP/CRL services the certificates name) and --server (the file streamed to taichod, which
// verifies it). The launcher sends only these to taicho-cli; a plain verify runs taicho-verify.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/ltv_options.h"
#include "cli/service_connection.h"
#include "cli/verify_local.h"
#include "errors/error.h"
#include "taicho/v1/document_service.grpc.pb.h"

namespace taicho::cli {
namespace {

namespace v1 = ::taicho::v1;

// The most data a VerifyUpload message may carry (document_service.proto).
constexpr size_t kUploadChunkBytes = 1024 * 1024;

struct VerifyArgs {
  LocalVerifyArgs local;
  bool online = false;
  OnlineArgs where;
  ConnectionOptions connection;  // --server set: taichod verifies, with its own trusted roots
};

int RunOnlineVerify(const VerifyArgs& a) {
  absl::StatusOr<CommandRevocation> client = MakeOnlineClient(a.where);
  if (!client.ok()) return Fail(client.status());
  return RunLocalVerify(a.local, client->get());
}

// Streams the file to taichod's VerifyUpload piece by piece (a file of any size, up to the
// server's upload cap, never whole in memory here either).
absl::StatusOr<v1::VerificationReport> VerifyOnServer(const VerifyArgs& a) {
  std::ifstream in(a.local.file, std::ios::binary);
  std::error_code ec;
  const auto size = std::filesystem::file_size(a.local.file, ec);
  if (!in || ec)
    return Error(ErrorCode::kIo, absl::StrCat("không đọc được / cannot read ", a.local.file));
  absl::StatusOr<std::unique_ptr<v1::DocumentService::Stub>> stub =
      OpenStub<v1::DocumentService>(a.connection);
  if (!stub.ok()) return stub.status();
  grpc::ClientContext context;
  v1::VerificationReport report;
  auto writer = (*stub)->VerifyUpload(&context, &report);
  v1::VerifyUploadRequest message;
  // Declared, so an over-cap file is refused before it is sent.
  message.mutable_metadata()->set_total_size_bytes(static_cast<int64_t>(size));
  std::string buffer(kUploadChunkBytes, '\0');
  bool sent = true;
  do {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    message.set_data(buffer.data(), static_cast<size_t>(in.gcount()));
    // False: the server ended the call (refused it); Finish says why.
    sent = writer->Write(message);
    message.Clear();
  } while (sent && in);
  if (in.bad()) {
    context.TryCancel();
    return Error(ErrorCode::kIo, absl::StrCat("không đọc được / cannot read ", a.local.file));
  }
  if (sent) writer->WritesDone();
  absl::Status st = FromGrpc(writer->Finish(), context);
  if (!st.ok()) return st;
  return report;
}

int RunRemoteVerify(const VerifyArgs& a) {
  if (!a.local.trust.empty()) {
    return Fail(Error(ErrorCode::kUsage,
                      "--trust: máy chủ dùng chứng thư gốc của nó / with --server, taichod's own "
                      "trusted roots apply"));
  }
  absl::StatusOr<v1::VerificationReport> report = VerifyOnServer(a);
  if (!report.ok()) return Fail(report.status());
  if (a.local.json) {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    if (!google::protobuf::util::MessageToJsonString(*report, &json, options).ok()) {
      return Fail(Error(ErrorCode::kInternal, "report to JSON"));
    }
    std::fputs(json.c_str(), stdout);
  } else {
    std::fputs(report->text().c_str(), stdout);
  }
  return report->all_passed() ? 0 : 1;
}

}  // namespace

void AddNetworkVerifyCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = AddLocalVerifyOptions(app, args->local);
  verify->add_flag("--online", args->online,
                   "Hỏi OCSP/CRL khi DSS thiếu dữ liệu thu hồi / fetch revocation data the DSS "
                   "lacks (OCSP, CRL)");
  verify->add_option("--ocsp-url", args->where.ocsp_url,
                     "Máy chủ OCSP thay cho AIA / OCSP responder instead of the AIA");
  verify->add_option("--url-rewrite", args->where.url_rewrites,
                     "Đổi tiền tố URL OCSP/CRL FROM=TO / rewrite an OCSP/CRL URL prefix");
  verify->add_option("--revocation-timeout", args->where.timeout_s,
                     "Thời gian chờ OCSP/CRL (giây) / OCSP/CRL timeout (seconds)");
  // With --server the file is streamed to taichod (VerifyUpload) and taichod verifies it.
  AddConnectionOptions(*verify, args->connection, /*server_required=*/false);
  verify->callback([args, &run] {
    run = [args] {
      if (!args->connection.server.empty()) {
        if (args->online) {
          return Fail(Error(ErrorCode::kUsage,
                            "--online: với --server, máy chủ quyết định / with --server, "
                            "taichod's own revocation policy applies"));
        }
        return RunRemoteVerify(*args);
      }
      return args->online ? RunOnlineVerify(*args) : RunLocalVerify(args->local, nullptr);
    };
  });
}

}  // namespace taicho::cli
