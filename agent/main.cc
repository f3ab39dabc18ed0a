// taicho-agent: runs on the approving officer's workstation beside their USB token. It lists the
// drafts waiting for approval, lets the officer view each one, asks the token PIN once without
// echo, and approves with the token through taichod's split signing (PrepareSignature → the token
// signs the bytes → CompleteSignature). A wrong PIN is never retried (tokens lock); a token pulled
// out is noticed, and the agent waits for it to come back and asks the PIN again.
// With --web the same approvals are made on a page in the officer's browser
// (agent/approval_page.h).
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
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
#include "agent/approval_page.h"
#include "agent/approver.h"
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
  bool web = false;  // serve the approval page instead of the terminal
  std::string web_listen = "127.0.0.1:0";
  std::string web_url_file;  // the page's URL written here (0600), not printed
};

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "LỖI / ERROR [%s]: %s\n", CodeOf(status).c_str(),
               std::string(status.message()).c_str());
  return ExitCodeOf(status);
}

// What stops the approval page.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
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
    approver_ = std::make_unique<Approver>(*channel, image_png_, a_.caption);
    if (a_.web) return ServePage();
    if (absl::Status st = OpenKey(); !st.ok()) return Fail(st);
    int failures = 0;
    for (;;) {
      absl::StatusOr<std::vector<v1::Document>> waiting = approver_->Waiting(a_.desk);
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
  // --web: the approval page on 127.0.0.1 until SIGINT or SIGTERM (blocked in main, so no
  // thread of the page's takes them).
  int ServePage() {
    ApprovalPageOptions options;
    options.listen = a_.web_listen;
    options.desk = a_.desk;
    options.key = a_.key;
    absl::StatusOr<std::unique_ptr<ApprovalPage>> page = ApprovalPage::Start(*approver_, options);
    if (!page.ok()) return Fail(page.status());
    const std::string url = (*page)->OpeningUrl();
    if (!a_.web_url_file.empty()) {
      // Only the officer may read it: the URL is the key to the page while the agent runs.
      // Whole or not at all (renamed into place): whoever waits for the file reads it once.
      const std::string tmp = a_.web_url_file + ".tmp";
      const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      const bool written =
          fd >= 0 && write(fd, url.data(), url.size()) == static_cast<ssize_t>(url.size());
      if (fd >= 0) close(fd);
      if (!written || rename(tmp.c_str(), a_.web_url_file.c_str()) != 0) {
        return Fail(Error(ErrorCode::kIo, "cannot write " + a_.web_url_file));
      }
    } else {
      std::printf("Mở trang phê duyệt / open the approval page: %s\n", url.c_str());
    }
    std::printf(
        "Trang phê duyệt đang chạy / the approval page is served; Ctrl+C để dừng / to stop\n");
    int signal_number = 0;
    const sigset_t stop = StopSignals();
    sigwait(&stop, &signal_number);
    std::printf("Dừng / stopping\n");
    return 0;
  }

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
    absl::StatusOr<int> revision = approver_->Approve(doc.name(), *key_.signer);
    if (!revision.ok()) return revision.status();
    std::printf("  Đã phê duyệt / approved: phiên bản / revision %d\n", *revision);
    std::fflush(stdout);
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Download(const v1::Document& doc) {
    std::error_code ec;
    std::filesystem::create_directories(a_.view_dir, ec);
    const std::string id = doc.name().substr(doc.name().rfind('/') + 1);
    const std::string path = a_.view_dir + "/" + id + ".pdf";
    absl::StatusOr<std::string> bytes = approver_->Download(doc.name());
    if (!bytes.ok()) return bytes.status();
    std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
    out << *bytes;
    out.close();
    absl::Status st = absl::OkStatus();
    if (!out) st = Error(ErrorCode::kIo, "cannot write " + path);
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
  std::unique_ptr<Approver> approver_;
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
  app.add_flag("--web", args.web,
               "Trang phê duyệt trên trình duyệt (127.0.0.1) / the approval page in the "
               "browser (127.0.0.1 only)");
  app.add_option("--web-listen", args.web_listen,
                 "Địa chỉ trang / the page's address (127.0.0.1:PORT)")
      ->capture_default_str();
  app.add_option("--web-url-file", args.web_url_file,
                 "Ghi đường dẫn trang vào tệp này (0600) thay vì in ra / write the page's URL "
                 "here (0600) instead of printing it");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (args.web) {
    // Before any thread starts: SIGINT/SIGTERM wait for sigwait in the main thread.
    const sigset_t stop = taicho::agent::StopSignals();
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  }
  return taicho::agent::Agent(args).Run();
}
