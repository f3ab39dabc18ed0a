// taicho-agent: runs on the approving officer's workstation beside their USB token. It lists the
// drafts waiting for approval, lets the officer view each one, asks the token PIN once without
// echo, and approves with the token through taichod's split signing (PrepareSignature → the token
// signs the bytes → CompleteSignature). A wrong PIN is never retried (tokens lock); a token pulled
// out is noticed, and the agent waits for it to come back and asks the PIN again.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/key_source.h"
#include "cli/service_connection.h"
#include "errors/error.h"
#include "installation/installation.h"
#include "pkcs11/memory_protection.h"
#include "signer/certificate_info.h"
#include "taicho/v1/document_service.grpc.pb.h"

namespace taicho::agent {
namespace {

namespace v1 = ::taicho::v1;

struct AgentArgs {
  cli::ConnectionOptions connection;
  cli::KeyOptions key;
  std::string image;  // the officer's signature image (PNG)
  bool caption = false;
  std::string desk;
  std::string view_dir;  // drafts downloaded here for viewing
  bool yes = false;      // sign without asking for each document
  bool once = false;     // handle what is waiting, then exit
  int poll_seconds = 5;
};

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "LỖI / ERROR [%s]: %s\n", CodeOf(status).c_str(),
               std::string(status.message()).c_str());
  return ExitCodeOf(status);
}

std::unique_ptr<grpc::ClientContext> Context(int seconds = 60) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

v1::SignatureScheme SchemeOf(signer::SignatureScheme scheme) {
  switch (scheme) {
    case signer::SignatureScheme::kRsaPss:
      return v1::RSA_PSS;
    case signer::SignatureScheme::kEcdsa:
      return v1::ECDSA;
    case signer::SignatureScheme::kRsaPkcs1v15:
      break;
  }
  return v1::RSA_PKCS1_V15;
}

// The token was pulled, or is not (yet) back in its reader.
bool TokenGone(const absl::Status& st) {
  return HasCode(st, ErrorCode::kDeviceRemoved) || HasCode(st, ErrorCode::kTokenAbsent) ||
         HasCode(st, ErrorCode::kTokenNotFound);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, "cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class Agent {
 public:
  explicit Agent(const AgentArgs& args) : a_(args) {}

  int Run() {
    if (!a_.image.empty()) {
      absl::StatusOr<std::string> png = ReadFile(a_.image);
      if (!png.ok()) return Fail(png.status());
      image_png_ = *std::move(png);
    }
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = cli::OpenChannel(a_.connection);
    if (!channel.ok()) return Fail(channel.status());
    stub_ = v1::DocumentService::NewStub(*channel);
    if (absl::Status st = OpenKey(); !st.ok()) return Fail(st);
    int failures = 0;
    for (;;) {
      absl::StatusOr<std::vector<v1::Document>> waiting = Waiting();
      if (!waiting.ok()) return Fail(waiting.status());
      for (const v1::Document& doc : *waiting) {
        absl::Status st = Handle(doc);
        if (st.ok()) continue;
        ++failures;
        if (TokenGone(st)) {
          if (absl::Status back = WaitForToken(st); !back.ok()) return Fail(back);
          continue;  // listed again next round
        }
        // A wrong PIN cannot happen here (the login is done); anything else is reported and the
        // next document goes on, except errors that make every call fail.
        std::fprintf(stderr, "LỖI / ERROR [%s]: %s\n", CodeOf(st).c_str(),
                     std::string(st.message()).c_str());
        if (st.code() == absl::StatusCode::kPermissionDenied ||
            st.code() == absl::StatusCode::kUnauthenticated) {
          return ExitCodeOf(st);
        }
      }
      if (a_.once) return failures == 0 ? 0 : 1;
      std::this_thread::sleep_for(std::chrono::seconds(a_.poll_seconds));
      if (absl::Status present = TokenPresent(); !present.ok()) {
        if (absl::Status back = WaitForToken(present); !back.ok()) return Fail(back);
      }
    }
  }

 private:
  // Logs in (the PIN asked once, never retried) and finds the signing key and its chain.
  absl::Status OpenKey() {
    absl::StatusOr<cli::OpenKey> key = cli::OpenSigningKey(a_.key);
    if (!key.ok()) return key.status();
    key_ = *std::move(key);
    absl::StatusOr<signer::CertificateInfo> cert =
        signer::DescribeCertificate(key_.signer->CertificateChain().front());
    if (!cert.ok()) return cert.status();
    std::printf("Người ký / signer: %s\n", cert->common_name.c_str());
    return absl::OkStatus();
  }

  absl::Status TokenPresent() {
    if (!key_.module || !key_.session) return absl::OkStatus();  // a PKCS#12 file stays put
    return key_.module->GetTokenInfo(key_.session->slot_id()).status();
  }

  // The token was pulled: the session is gone. Wait until a token with the same label is back
  // and log in again (the PIN is asked again: the officer is at the desk).
  absl::Status WaitForToken(const absl::Status& why) {
    std::printf(
        "CẢNH BÁO / WARNING [%s]: Token đã được rút ra; cắm lại để tiếp tục / the token was "
        "removed; plug it in again to go on\n",
        CodeOf(why).c_str());
    std::fflush(stdout);
    key_ = {};
    for (;;) {
      absl::Status st = OpenKey();
      if (st.ok()) return st;
      // The module loaded before, so failing to initialise now is the missing device too (a
      // vendor module without its reader; SoftHSM2 without its token directory): keep waiting.
      if (!TokenGone(st) && !HasCode(st, ErrorCode::kModuleLoadFailed)) {
        return st;  // a wrong PIN included: never retried
      }
      std::this_thread::sleep_for(std::chrono::seconds(a_.poll_seconds));
    }
  }

  // Drafts of the desk (all desks when none is given), oldest first.
  absl::StatusOr<std::vector<v1::Document>> Waiting() {
    v1::ListDocumentsRequest request;
    request.set_state(v1::Document::DRAFT);
    request.set_desk(a_.desk);
    request.set_page_size(100);
    std::vector<v1::Document> out;
    do {
      auto context = Context();
      v1::ListDocumentsResponse response;
      absl::Status st =
          cli::FromGrpc(stub_->ListDocuments(context.get(), request, &response), *context);
      if (!st.ok()) return st;
      out.insert(out.end(), response.documents().begin(), response.documents().end());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    std::reverse(out.begin(), out.end());
    return out;
  }

  absl::Status Handle(const v1::Document& doc) {
    std::printf("\nVăn bản chờ phê duyệt / waiting for approval: %s\n  Hồ sơ / dossier: %s  (%s)\n",
                doc.title().c_str(), doc.dossier_code().c_str(), doc.name().c_str());
    if (!a_.view_dir.empty()) {
      absl::StatusOr<std::string> path = Download(doc);
      if (!path.ok()) return path.status();
      std::printf("  Xem dự thảo / view the draft: %s\n", path->c_str());
    }
    if (!a_.yes && !Confirm()) {
      std::printf("  Bỏ qua / skipped\n");
      return absl::OkStatus();
    }
    v1::PrepareSignatureRequest request;
    request.set_name(doc.name());
    request.set_role(v1::APPROVER);
    for (const Bytes& der : key_.signer->CertificateChain()) {
      request.add_certificate_chain(std::string(der.begin(), der.end()));
    }
    request.set_scheme(SchemeOf(key_.signer->scheme()));
    request.mutable_appearance()->set_image_png(image_png_);
    request.mutable_appearance()->set_caption(a_.caption);
    request.set_reason("Phê duyệt");
    auto context = Context();
    v1::PrepareSignatureResponse prepared;
    absl::Status st =
        cli::FromGrpc(stub_->PrepareSignature(context.get(), request, &prepared), *context);
    if (!st.ok()) return st;
    const std::string& tbs = prepared.to_be_signed();
    absl::StatusOr<Bytes> value =
        key_.signer->Sign(ByteSpan(reinterpret_cast<const uint8_t*>(tbs.data()), tbs.size()),
                          signer::DigestAlgorithm::kSha256);
    if (!value.ok()) return value.status();
    v1::CompleteSignatureRequest complete;
    complete.set_session(prepared.session());
    complete.set_signature_value(std::string(value->begin(), value->end()));
    context = Context();
    v1::CompleteSignatureResponse done;
    st = cli::FromGrpc(stub_->CompleteSignature(context.get(), complete, &done), *context);
    if (!st.ok()) return st;
    std::printf("  Đã phê duyệt / approved: phiên bản / revision %d\n", done.revision().number());
    std::fflush(stdout);
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Download(const v1::Document& doc) {
    std::error_code ec;
    std::filesystem::create_directories(a_.view_dir, ec);
    const std::string id = doc.name().substr(doc.name().rfind('/') + 1);
    const std::string path = a_.view_dir + "/" + id + ".pdf";
    v1::DownloadRevisionRequest request;
    request.set_name(doc.name());
    auto context = Context();
    auto reader = stub_->DownloadRevision(context.get(), request);
    std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
    v1::DownloadRevisionChunk chunk;
    while (reader->Read(&chunk)) out << chunk.data();
    out.close();
    absl::Status st = cli::FromGrpc(reader->Finish(), *context);
    if (st.ok() && !out) st = Error(ErrorCode::kIo, "cannot write " + path);
    if (st.ok()) std::filesystem::rename(path + ".tmp", path, ec);
    if (st.ok() && ec) st = Error(ErrorCode::kIo, "cannot write " + path);
    if (!st.ok()) return st;
    return path;
  }

  // From the terminal, so a PIN given on standard input is not taken as an answer.
  static bool Confirm() {
    std::printf("  Ký phê duyệt văn bản này? / Approve this document? [c/K]: ");
    std::fflush(stdout);
    std::ifstream tty("/dev/tty");
    std::string answer;
    if (!tty || !std::getline(tty, answer)) return false;
    return answer == "c" || answer == "C" || answer == "có" || answer == "y";
  }

  const AgentArgs& a_;
  std::string image_png_;
  std::unique_ptr<v1::DocumentService::Stub> stub_;
  cli::OpenKey key_;
};

}  // namespace
}  // namespace taicho::agent

int main(int argc, char** argv) {
  // Before the PIN is asked: no core file and no same-user ptrace can read it (or the token
  // library's copies of it) out of this process.
  if (absl::Status st = taicho::pkcs11::ProtectProcessMemory(); !st.ok()) {
    return taicho::agent::Fail(st);
  }
  // Line by line also into a file or a journal: whoever watches the agent sees each step as it
  // happens, not when a buffer fills.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  using taicho::agent::AgentArgs;
  CLI::App app{
      "taicho-agent — ký phê duyệt bằng token của lãnh đạo qua taichod / the officer's agent: "
      "approve drafts with the USB token through taichod"};
  app.set_version_flag("--version", taicho::installation::VersionLine("taicho-agent"));
  AgentArgs args;
  taicho::cli::AddConnectionOptions(app, args.connection);
  args.key.Register(app);
  app.add_option("--image", args.image, "Ảnh chữ ký (PNG) / signature image (PNG)");
  app.add_flag("--caption", args.caption, "Thêm tên và thời điểm ký / add name and time");
  app.add_option("--desk", args.desk, "Chỉ văn bản của quầy này / only this desk's documents");
  app.add_option("--view-dir", args.view_dir,
                 "Tải dự thảo về đây để xem trước khi ký / download drafts here to view");
  app.add_flag("--yes", args.yes, "Ký mọi văn bản chờ, không hỏi / approve without asking");
  app.add_flag("--once", args.once, "Xử lý văn bản đang chờ rồi thoát / handle what waits, exit");
  app.add_option("--poll-seconds", args.poll_seconds, "Chu kỳ hỏi / poll period (s)")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return taicho::agent::Agent(args).Run();
}
