#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/service_connection.h"
#include "errors/error.h"
#include "pades/pdf_verifier.h"
#include "taicho/v1/document_service.grpc.pb.h"

namespace taicho::cli {
namespace {

namespace v1 = ::taicho::v1;

// The most data a VerifyUpload message may carry (document_service.proto).
constexpr size_t kUploadChunkBytes = 1024 * 1024;

struct VerifyArgs {
  std::string file;
  std::string trust;
  bool json = false;
  ConnectionOptions connection;  // --server set: taichod verifies, with its own trusted roots
};

int RunVerify(const VerifyArgs& a) {
  std::string anchors;
  if (!a.trust.empty()) {
    std::ifstream in(a.trust, std::ios::binary);
    if (!in) return Fail(Error(ErrorCode::kIo, absl::StrCat("cannot open ", a.trust)));
    anchors.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  absl::StatusOr<pades::VerificationReport> report = pades::VerifyPdf(a.file, anchors);
  if (!report.ok()) return Fail(report.status());
  const std::string text = a.json ? report->ToJson() + "\n" : report->ToText();
  std::fputs(text.c_str(), stdout);
  return report->all_passed() ? 0 : 1;
}

// Streams the file to taichod's VerifyUpload piece by piece (a file of any size, up to the
// server's upload cap, never whole in memory here either).
absl::StatusOr<v1::VerificationReport> VerifyOnServer(const VerifyArgs& a) {
  std::ifstream in(a.file, std::ios::binary);
  std::error_code ec;
  const auto size = std::filesystem::file_size(a.file, ec);
  if (!in || ec)
    return Error(ErrorCode::kIo, absl::StrCat("không đọc được / cannot read ", a.file));
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(a.connection);
  if (!channel.ok()) return channel.status();
  auto stub = v1::DocumentService::NewStub(*channel);
  grpc::ClientContext context;
  v1::VerificationReport report;
  auto writer = stub->VerifyUpload(&context, &report);
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
    return Error(ErrorCode::kIo, absl::StrCat("không đọc được / cannot read ", a.file));
  }
  if (sent) writer->WritesDone();
  absl::Status st = FromGrpc(writer->Finish(), context);
  if (!st.ok()) return st;
  return report;
}

int RunRemoteVerify(const VerifyArgs& a) {
  if (!a.trust.empty()) {
    return Fail(Error(ErrorCode::kUsage,
                      "--trust: máy chủ dùng chứng thư gốc của nó / with --server, taichod's own "
                      "trusted roots apply"));
  }
  absl::StatusOr<v1::VerificationReport> report = VerifyOnServer(a);
  if (!report.ok()) return Fail(report.status());
  if (a.json) {
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

void AddVerifyCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = app.add_subcommand(
      "verify", "Kiểm tra các chữ ký số trong PDF / verify the signatures of a PDF");
  verify->add_option("file", args->file, "PDF cần kiểm tra / PDF to verify")->required();
  verify->add_option("--trust", args->trust,
                     "Chứng thư gốc tin cậy (PEM) / trusted root certificates (PEM)");
  verify->add_flag("--json", args->json, "Báo cáo JSON / JSON report");
  // With --server the file is streamed to taichod (VerifyUpload) and taichod verifies it.
  AddConnectionOptions(*verify, args->connection, /*server_required=*/false);
  verify->callback([args, &run] {
    run = [args] {
      return args->connection.server.empty() ? RunVerify(*args) : RunRemoteVerify(*args);
    };
  });
}

}  // namespace taicho::cli
