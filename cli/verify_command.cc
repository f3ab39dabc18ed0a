#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "errors/error.h"
#include "pades/pdf_verifier.h"

namespace taicho::cli {
namespace {

struct VerifyArgs {
  std::string file;
  std::string trust;
  bool json = false;
  bool online = false;
  OnlineArgs where;
};

int RunVerify(const VerifyArgs& a, const OnlineSourceFactory& make_online) {
  std::string anchors;
  if (!a.trust.empty()) {
    std::ifstream in(a.trust, std::ios::binary);
    if (!in) return Fail(Error(ErrorCode::kIo, absl::StrCat("cannot open ", a.trust)));
    anchors.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::unique_ptr<revocation::StatusSource> online;
  if (a.online) {
    absl::StatusOr<std::unique_ptr<revocation::StatusSource>> made = make_online(a.where);
    if (!made.ok()) return Fail(made.status());
    online = std::move(*made);
  }
  absl::StatusOr<pades::VerificationReport> report =
      pades::VerifyPdf(a.file, anchors, online.get());
  if (!report.ok()) return Fail(report.status());
  const std::string text = a.json ? report->ToJson() + "\n" : report->ToText();
  std::fputs(text.c_str(), stdout);
  return report->all_passed() ? 0 : 1;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, Runner& run, OnlineSourceFactory make_online) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = app.add_subcommand(
      "verify", "Kiểm tra các chữ ký số trong PDF / verify the signatures of a PDF");
  verify->add_option("file", args->file, "PDF cần kiểm tra / PDF to verify")->required();
  verify->add_option("--trust", args->trust,
                     "Chứng thư gốc tin cậy (PEM) / trusted root certificates (PEM)");
  verify->add_flag("--json", args->json, "Báo cáo JSON / JSON report");
  if (make_online) {
    verify->add_flag("--online", args->online,
                     "Hỏi OCSP/CRL khi DSS thiếu dữ liệu thu hồi / fetch revocation data the DSS "
                     "lacks (OCSP, CRL)");
    verify->add_option("--ocsp-url", args->where.ocsp_url,
                       "Máy chủ OCSP thay cho AIA / OCSP responder instead of the AIA");
    verify->add_option("--url-rewrite", args->where.url_rewrites,
                       "Đổi tiền tố URL OCSP/CRL FROM=TO / rewrite an OCSP/CRL URL prefix");
    verify->add_option("--revocation-timeout", args->where.timeout_s,
                       "Thời gian chờ OCSP/CRL (giây) / OCSP/CRL timeout (seconds)");
  }
  verify->callback([args, &run, make_online] {
    run = [args, make_online] { return RunVerify(*args, make_online); };
  });
}

}  // namespace taicho::cli
