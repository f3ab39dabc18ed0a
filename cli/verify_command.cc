#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/verify_local.h"
#include "errors/error.h"
#include "pades/baseline_level.h"
#include "pades/pdf_verifier.h"

namespace taicho::cli {

CLI::App* AddLocalVerifyOptions(CLI::App& app, LocalVerifyArgs& args) {
  CLI::App* verify = app.add_subcommand(
      "verify", "Kiểm tra các chữ ký số trong PDF / verify the signatures of a PDF");
  verify->add_option("file", args.file, "PDF cần kiểm tra / PDF to verify")->required();
  verify->add_option("--trust", args.trust,
                     "Chứng thư gốc tin cậy (PEM) / trusted root certificates (PEM)");
  verify->add_flag("--json", args.json, "Báo cáo JSON / JSON report");
  verify
      ->add_option("--max-revisions", args.max_revisions,
                   "Số phiên bản tối đa / most revisions (incremental updates) verified")
      ->capture_default_str()
      ->check(CLI::Range(1, pades::kMaxRevisionsCeiling));
  return verify;
}

int RunLocalVerify(const LocalVerifyArgs& a, const revocation::StatusSource* online) {
  std::string anchors;
  if (!a.trust.empty()) {
    std::ifstream in(a.trust, std::ios::binary);
    if (!in) return Fail(Error(ErrorCode::kIo, absl::StrCat("cannot open ", a.trust)));
    anchors.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  pades::VerifyOptions options;
  options.trust_anchors_pem = std::move(anchors);
  options.online = online;
  options.max_revisions = a.max_revisions;
  absl::StatusOr<pades::VerificationReport> report = pades::VerifyPdf(a.file, options);
  if (!report.ok()) return Fail(report.status());
  const std::string text =
      a.json ? report->ToJson() + "\n" : report->ToText() + pades::LevelLine(*report);
  std::fputs(text.c_str(), stdout);
  return report->all_passed() ? 0 : 1;
}

void AddVerifyCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<LocalVerifyArgs>();
  CLI::App* verify = AddLocalVerifyOptions(app, *args);
  verify->callback([args, &run] { run = [args] { return RunLocalVerify(*args, nullptr); }; });
}

}  // namespace taicho::cli
