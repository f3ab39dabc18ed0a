#include "cli/ltv_options.h"

#include <cstdio>

#include "cli/commands.h"
#include "errors/error.h"
#include "pades/ltv.h"
#include "signer/certificate_info.h"

namespace taicho::cli {
namespace {

void PrintLtv(const pades::LtvResult& r) {
  std::printf(
      "  Dữ liệu xác thực (DSS) / Validation data (DSS): %zu chứng thư / certs, %zu OCSP,"
      " %zu CRL, %lld byte; %lld yêu cầu mạng / network requests\n",
      r.certs_added, r.ocsps_added, r.crls_added, static_cast<long long>(r.dss_bytes),
      static_cast<long long>(r.network_requests));
  for (const pades::CertificateStatusLine& s : r.statuses) {
    std::printf("    %s: %s%s%s%s\n", s.subject.c_str(), s.status.c_str(),
                s.source.empty() ? "" : " (", s.source.c_str(), s.source.empty() ? "" : ")");
  }
  for (const std::string& p : r.problems) std::printf("    ! %s\n", p.c_str());
}

void PrintDocTimeStamp(const pades::DocTimeStampResult& r) {
  std::printf("  Dấu thời gian tài liệu / Document time-stamp: %s (%s), trường / field %s\n",
              r.gen_time.c_str(), r.tsa_url.c_str(), r.field_name.c_str());
}

absl::StatusOr<pades::LtvOptions> MakeLtvOptions(const LtvArgs& a,
                                                 const revocation::RevocationClient& client,
                                                 const std::string& tsa_trust) {
  pades::LtvOptions options;
  options.revocation = &client;
  options.fail_when_unavailable = !a.revocation_fallback;
  const std::string roots = a.roots.empty() ? tsa_trust : a.roots;
  if (!roots.empty()) {
    absl::StatusOr<std::vector<Bytes>> certs = signer::ReadCertificates(roots);
    if (!certs.ok()) return certs.status();
    options.extra_certs = *std::move(certs);
  }
  return options;
}

struct ExtendArgs {
  std::string in, out;
  std::vector<std::string> tsa_urls;
  std::string tsa_trust;
  int tsa_timeout_s = 60;
  LtvArgs ltv;
};

int RunExtend(const ExtendArgs& a) {
  absl::StatusOr<CommandRevocation> client = MakeRevocationClient(a.ltv, true);
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<std::string> anchors = [&]() -> absl::StatusOr<std::string> {
    FILE* f = std::fopen(a.tsa_trust.c_str(), "rb");
    if (f == nullptr) return Error(ErrorCode::kIo, a.tsa_trust);
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
    std::fclose(f);
    return text;
  }();
  if (!anchors.ok()) return Fail(anchors.status());
  tsa::TsaPolicy policy;
  policy.urls = a.tsa_urls;
  policy.attempt_timeout = std::chrono::seconds(a.tsa_timeout_s);
  policy.trust.trust_anchors_pem = *anchors;
  absl::StatusOr<tsa::TsaClient> tsa = tsa::TsaClient::Create(std::move(policy));
  if (!tsa.ok()) return Fail(tsa.status());
  absl::StatusOr<pades::LtvOptions> options = MakeLtvOptions(a.ltv, **client, a.tsa_trust);
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<pades::ExtendResult> r =
      pades::AddValidationDataAndDocumentTimeStamp(a.in, a.out, *options, *tsa);
  if (!r.ok()) return Fail(r.status());
  std::printf("Đã gia hạn lưu trữ / Archive extended: %s\n", a.out.c_str());
  PrintLtv(r->ltv);
  PrintDocTimeStamp(r->timestamp);
  return 0;
}

}  // namespace

void AddLtvOptions(CLI::App& cmd, LtvArgs& a) {
  cmd.add_option("--level", a.level,
                 "Mức PAdES / PAdES level: B-B, B-T (cần --tsa), B-LT, B-LTA (cần --tsa)");
  cmd.add_flag("--check-revocation", a.check_revocation,
               "Kiểm tra thu hồi chứng thư trước khi ký / check revocation before signing");
  cmd.add_flag("--revocation-fallback", a.revocation_fallback,
               "Vẫn ký khi không kiểm tra được thu hồi / sign when revocation cannot be checked");
  cmd.add_option("--ocsp-url", a.ocsp_url,
                 "Máy chủ OCSP thay cho AIA / OCSP responder instead of the certificates' AIA");
  cmd.add_option("--url-rewrite", a.url_rewrites,
                 "Đổi tiền tố URL OCSP/CRL FROM=TO / rewrite an OCSP/CRL URL prefix FROM=TO");
  cmd.add_option("--ltv-roots", a.roots,
                 "Chứng thư gốc đưa vào DSS (PEM) / roots added to the DSS (PEM)");
  cmd.add_option("--revocation-timeout", a.revocation_timeout_s,
                 "Thời gian chờ OCSP/CRL (giây) / OCSP/CRL timeout (seconds)");
}

absl::StatusOr<CommandRevocation> MakeRevocationClient(const LtvArgs& a, bool needed) {
  if (!needed) return CommandRevocation{};
  return MakeOnlineClient(OnlineArgs{a.ocsp_url, a.url_rewrites, a.revocation_timeout_s});
}

absl::StatusOr<CommandRevocation> MakeOnlineClient(const OnlineArgs& a) {
  absl::StatusOr<revocation::RevocationPolicy> policy =
      revocation::PolicyFromSettings(std::chrono::seconds(a.timeout_s), a.ocsp_url, a.url_rewrites);
  if (!policy.ok()) return policy.status();
  CommandRevocation out;
  out.cache = std::make_unique<revocation::RevocationCache>();
  out.client = std::make_unique<revocation::RevocationClient>(*std::move(policy), out.cache.get());
  return out;
}

bool WantsLtv(const LtvArgs& a) { return a.level == "B-LT" || a.level == "B-LTA"; }

absl::Status CheckLevel(const LtvArgs& a, bool have_tsa) {
  if (!a.level.empty() && a.level != "B-B" && a.level != "B-T" && !WantsLtv(a)) {
    return Error(ErrorCode::kUsage, "--level B-B|B-T|B-LT|B-LTA");
  }
  if ((a.level == "B-T" || a.level == "B-LTA") && !have_tsa) {
    return Error(ErrorCode::kUsage, "--level " + a.level + " cần / needs --tsa");
  }
  if (a.level == "B-B" && have_tsa) {
    return Error(ErrorCode::kUsage, "--level B-B không dùng / takes no --tsa");
  }
  return absl::OkStatus();
}

absl::Status FinishLevel(const LtvArgs& a, const std::string& signed_path,
                         const std::string& out_path, const revocation::RevocationClient& client,
                         const tsa::TsaClient* tsa, const std::string& tsa_trust) {
  absl::StatusOr<pades::LtvOptions> options = MakeLtvOptions(a, client, tsa_trust);
  if (!options.ok()) return options.status();
  if (a.level != "B-LTA") {
    absl::StatusOr<pades::LtvResult> lt = pades::AddValidationData(signed_path, out_path, *options);
    if (!lt.ok()) return lt.status();
    std::printf("  Mức / Level: PAdES %s\n", a.level.c_str());
    PrintLtv(*lt);
    return absl::OkStatus();
  }
  // The DSS and the document time-stamp over it in one update.
  absl::StatusOr<pades::ExtendResult> lta =
      pades::AddValidationDataAndDocumentTimeStamp(signed_path, out_path, *options, *tsa);
  if (!lta.ok()) return lta.status();
  std::printf("  Mức / Level: PAdES %s\n", a.level.c_str());
  PrintLtv(lta->ltv);
  PrintDocTimeStamp(lta->timestamp);
  return absl::OkStatus();
}

void AddExtendCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<ExtendArgs>();
  CLI::App* cmd =
      app.add_subcommand("extend",
                         "Gia hạn lưu trữ: thêm dữ liệu xác thực và dấu thời gian tài liệu mới / "
                         "archive renewal: fresh validation data and a new document time-stamp");
  cmd->add_option("file", args->in, "PDF (B-LT/B-LTA)")->required();
  cmd->add_option("--out", args->out, "PDF kết quả / output PDF")->required();
  cmd->add_option("--tsa", args->tsa_urls, "Máy chủ dấu thời gian / TSA URL")->required();
  cmd->add_option("--tsa-trust", args->tsa_trust, "Chứng thư gốc TSA (PEM) / TSA roots (PEM)")
      ->required();
  cmd->add_option("--tsa-timeout", args->tsa_timeout_s, "giây / seconds");
  cmd->add_flag("--revocation-fallback", args->ltv.revocation_fallback,
                "Tiếp tục khi thiếu dữ liệu thu hồi / go on without some revocation data");
  cmd->add_option("--ocsp-url", args->ltv.ocsp_url, "OCSP responder override");
  cmd->add_option("--url-rewrite", args->ltv.url_rewrites, "FROM=TO");
  cmd->add_option("--ltv-roots", args->ltv.roots, "roots added to the DSS (PEM)");
  cmd->callback([args, &run] { run = [args] { return RunExtend(*args); }; });
}

}  // namespace taicho::cli
