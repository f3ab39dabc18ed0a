#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/key_source.h"
#include "cli/ltv_options.h"
#include "errors/error.h"
#include "pades/pdf_signer.h"
#include "pdf/pdf_file.h"
#include "pdf/signature_appearance.h"
#include "render/issue_fields.h"
#include "signer/certificate_info.h"
#include "tsa/tsa_client.h"

namespace taicho::cli {
namespace {

struct SignArgs {
  std::string in, out;
  std::string reason, location, field;
  int page = 1;
  std::string rect;  // "left,bottom,right,top" in points
  // Appearance
  std::string appearance, image, doc_number, font_dir;
  double seal_diameter_mm = 36;
  bool caption = false;
  // Certification and the issue step's number and date
  int certify = 0;
  int issue_number = 0;
  std::string issue_date;  // YYYY-MM-DD; today (Vietnam) when empty
  KeyOptions key;
  // Time-stamp (B-T)
  std::vector<std::string> tsa_urls;
  std::string tsa_trust;
  int tsa_timeout_s = 60;
  bool tsa_fallback = false;
  LtvArgs ltv;  // --level, revocation checks (cli/ltv_options.h)
  // prepare / complete
  std::string state, prepared, cert, tbs, signature;
};

void AddDocumentOptions(CLI::App& cmd, SignArgs& a) {
  cmd.add_option("--reason", a.reason, "Lý do ký / reason");
  cmd.add_option("--location", a.location, "Nơi ký / location");
  cmd.add_option("--page", a.page, "Trang đặt chữ ký (từ 1) / page of the signature (1-based)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--field", a.field,
                 "Tên trường chữ ký; trường trống có sẵn sẽ được điền (mặc định officer/seal theo "
                 "--appearance) / signature field name; an existing empty field is filled "
                 "(default officer/seal from --appearance)");
  cmd.add_option("--rect", a.rect,
                 "Vị trí trường mới: trái,dưới,phải,trên (pt) / new field's rect: "
                 "left,bottom,right,top (points)");
  cmd.add_option("--appearance", a.appearance,
                 "Hiển thị chữ ký: officer (ảnh chữ ký), seal (ảnh con dấu), attachment (số "
                 "văn bản và thời điểm ký) / appearance: officer, seal or attachment");
  cmd.add_option("--image", a.image,
                 "Ảnh PNG nền trong suốt của chữ ký hoặc con dấu / PNG with a transparent "
                 "background: the signature or the seal");
  cmd.add_option("--seal-diameter-mm", a.seal_diameter_mm,
                 "Đường kính thật của con dấu, mm (mặc định 36) / the seal's real diameter in mm "
                 "(default 36)");
  cmd.add_option("--doc-number", a.doc_number,
                 "Số, ký hiệu văn bản chính, ví dụ 05/QĐ-UBND (cho attachment) / the main "
                 "document's number and symbol (attachment)");
  cmd.add_option("--font-dir", a.font_dir,
                 "Thư mục chứa LiberationSerif-Regular.ttf / directory holding "
                 "LiberationSerif-Regular.ttf");
  cmd.add_flag("--caption", a.caption,
               "Thêm dòng tên người ký và thời điểm ký dưới ảnh chữ ký / add a line with the "
               "signer's name and the signing time under the signature image");
  cmd.add_option("--certify", a.certify,
                 "Chữ ký chứng nhận (DocMDP) P=1|2|3; P=2 cho phép điền số, ngày và ký tiếp / "
                 "certification signature with DocMDP P=1|2|3; P=2 lets the number and date be "
                 "filled and further signatures follow")
      ->check(CLI::Range(1, 3));
  cmd.add_option("--issue-number", a.issue_number,
                 "Điền số văn bản vào dòng 'so' và ngày ban hành vào dòng 'ngay' trong cùng lần "
                 "ký / fill the number into the line field 'so' and the date of issue into "
                 "'ngay' in this signature's update")
      ->check(CLI::Range(1, 999999));
  cmd.add_option("--issue-date", a.issue_date,
                 "Ngày ban hành YYYY-MM-DD (mặc định hôm nay) / date of issue (default today)");
}

// The issue step's fills: the number and the date (today in Vietnam when not given).
absl::StatusOr<std::vector<pdf::FieldFill>> IssueFills(const SignArgs& a) {
  if (a.issue_number == 0) {
    if (!a.issue_date.empty())
      return Error(ErrorCode::kUsage, "--issue-date cần / needs --issue-number");
    return std::vector<pdf::FieldFill>{};
  }
  render::IssueDate date = render::IssueDateAt(std::time(nullptr));
  if (!a.issue_date.empty()) {
    std::vector<std::string> parts = absl::StrSplit(a.issue_date, '-');
    bool ok = parts.size() == 3 && absl::SimpleAtoi(parts[0], &date.year) &&
              absl::SimpleAtoi(parts[1], &date.month) && absl::SimpleAtoi(parts[2], &date.day) &&
              date.year >= 1945 && date.month >= 1 && date.month <= 12 && date.day >= 1 &&
              date.day <= 31;
    if (!ok) {
      return Error(
          ErrorCode::kUsage,
          absl::StrCat("--issue-date phải là YYYY-MM-DD / must be YYYY-MM-DD: ", a.issue_date));
    }
  }
  return render::IssueFills(a.issue_number, date);
}

absl::StatusOr<pdf::Rect> ParseRect(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  double v[4];
  bool ok = parts.size() == 4;
  for (size_t i = 0; ok && i < 4; ++i) ok = absl::SimpleAtod(parts[i], &v[i]);
  if (!ok || v[2] <= v[0] || v[3] <= v[1]) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("--rect phải là trái,dưới,phải,trên / --rect must be "
                              "left,bottom,right,top: ",
                              text));
  }
  return pdf::Rect{v[0], v[1], v[2], v[3]};
}

absl::StatusOr<pades::SignOptions> MakeOptions(const SignArgs& a) {
  pades::SignOptions o;
  o.page_index = a.page - 1;
  o.reason = a.reason;
  o.location = a.location;
  o.field_name = a.field;
  if (!a.rect.empty()) {
    absl::StatusOr<pdf::Rect> rect = ParseRect(a.rect);
    if (!rect.ok()) return rect.status();
    o.rect = *rect;
  }
  absl::StatusOr<pdf::AppearanceKind> kind = pdf::ParseAppearanceKind(a.appearance);
  if (!kind.ok()) return kind.status();
  o.appearance.kind = *kind;
  o.appearance.image_path = a.image;
  o.appearance.seal_diameter_mm = a.seal_diameter_mm;
  o.appearance.document_number = a.doc_number;
  o.appearance.caption = a.caption;
  if (!a.font_dir.empty()) {
    o.appearance.font_path = a.font_dir + "/LiberationSerif-Regular.ttf";
    o.font_dir = a.font_dir;
  }
  o.certification = a.certify;
  absl::StatusOr<std::vector<pdf::FieldFill>> fills = IssueFills(a);
  if (!fills.ok()) return fills.status();
  o.fills = *std::move(fills);
  // Issuing: the number and date written with this signature are locked by it.
  o.lock_fields = !o.fills.empty();
  if (*kind == pdf::AppearanceKind::kNone &&
      (!a.image.empty() || !a.doc_number.empty() || a.caption)) {
    return Error(ErrorCode::kUsage,
                 "--image, --doc-number, --caption cần --appearance / need --appearance");
  }
  return o;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, absl::StrCat("cannot open ", path));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void AddTimeStampOptions(CLI::App& cmd, SignArgs& a) {
  cmd.add_option("--tsa", a.tsa_urls,
                 "Máy chủ cấp dấu thời gian RFC 3161, theo thứ tự (lặp lại được) / RFC 3161 TSA "
                 "URL, tried in order (repeatable): PAdES B-T");
  cmd.add_option("--tsa-trust", a.tsa_trust,
                 "Chứng thư gốc tin cậy của TSA (PEM) / TSA trust anchors (PEM)");
  cmd.add_option("--tsa-timeout", a.tsa_timeout_s,
                 "Thời gian chờ mỗi lần gọi TSA (giây) / per-attempt TSA timeout (s)")
      ->capture_default_str();
  cmd.add_flag("--tsa-fallback", a.tsa_fallback,
               "Không có TSA thì ký B-B và báo lại / without a TSA sign B-B and say so");
}

// nullptr without --tsa; else a client for the whole command.
absl::StatusOr<std::unique_ptr<tsa::TsaClient>> MakeTsaClient(const SignArgs& a) {
  if (a.tsa_urls.empty()) return nullptr;
  if (a.tsa_trust.empty()) {
    return Error(ErrorCode::kUsage, "--tsa cần --tsa-trust / --tsa needs --tsa-trust");
  }
  absl::StatusOr<std::string> anchors = ReadFile(a.tsa_trust);
  if (!anchors.ok()) return anchors.status();
  tsa::TsaPolicy policy;
  policy.urls = a.tsa_urls;
  policy.attempt_timeout = std::chrono::seconds(a.tsa_timeout_s);
  policy.trust.trust_anchors_pem = *anchors;
  policy.when_unavailable =
      a.tsa_fallback ? tsa::WhenUnavailable::kFallBackToBaseline : tsa::WhenUnavailable::kFail;
  absl::StatusOr<tsa::TsaClient> client = tsa::TsaClient::Create(std::move(policy));
  if (!client.ok()) return client.status();
  return std::make_unique<tsa::TsaClient>(*std::move(client));
}

absl::Status WriteFile(const std::string& path, const std::string& data) {
  absl::StatusOr<pdf::AtomicFile> f = pdf::AtomicFile::Create(path);
  if (!f.ok()) return f.status();
  absl::Status st = pdf::WriteAt(
      f->fd(), 0,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  if (!st.ok()) return st;
  return f->Commit();
}

void PrintResult(const pades::SignResult& r, const std::string& out) {
  std::printf("Đã ký / Signed: %s\n", out.c_str());
  std::printf("  Trường chữ ký / Field: %s\n", r.field_name.c_str());
  std::printf("  Thời điểm ký / Signing time: %s\n", r.signing_time.c_str());
  std::printf("  CMS: %zu / %zu byte\n", r.cms_size, r.reserved);
  std::printf("  Mức / Level: PAdES %s\n", r.level.c_str());
  if (!r.timestamp_time.empty()) {
    std::printf("  Dấu thời gian / Time-stamp: %s (%s)\n", r.timestamp_time.c_str(),
                r.tsa_url.c_str());
  } else if (!r.tsa_problems.empty()) {
    std::printf("  KHÔNG có dấu thời gian, đã ký B-B / NO time-stamp, signed B-B:\n");
  }
  for (const std::string& p : r.tsa_problems) std::printf("    ! %s\n", p.c_str());
  if (r.signer_status != "not checked" || !r.revocation_problems.empty()) {
    std::printf("  Trạng thái chứng thư / Certificate status: %s%s%s%s\n", r.signer_status.c_str(),
                r.signer_status_source.empty() ? "" : " (", r.signer_status_source.c_str(),
                r.signer_status_source.empty() ? "" : ")");
  }
  for (const std::string& p : r.revocation_problems) std::printf("    ! %s\n", p.c_str());
  if (r.certification != 0) {
    std::printf("  Chữ ký chứng nhận / Certification: DocMDP P=%d\n", r.certification);
  }
  if (r.filled_fields != 0) {
    std::printf("  Đã điền số, ngày ban hành / Number and date filled: %zu trường / fields\n",
                r.filled_fields);
  }
  if (r.appearance != pdf::AppearanceKind::kNone) {
    std::printf("  Hiển thị / Appearance: %s, trang / page %d, [%.2f %.2f %.2f %.2f]%s\n",
                std::string(pdf::AppearanceKindName(r.appearance)).c_str(), r.page_index + 1,
                r.rect.left, r.rect.bottom, r.rect.right, r.rect.top,
                r.filled_existing_field ? " (trường có sẵn / existing field)" : "");
  }
}

int RunSign(const SignArgs& a) {
  if (a.in.empty() || a.out.empty()) {
    return Fail(Error(ErrorCode::kUsage, "sign needs --in and --out"));
  }
  // Bad options fail before the PIN is asked.
  absl::StatusOr<pades::SignOptions> options = MakeOptions(a);
  if (!options.ok()) return Fail(options.status());
  absl::Status checked = pdf::CheckAppearanceSpec(options->appearance);
  if (!checked.ok()) return Fail(checked);
  absl::StatusOr<std::unique_ptr<tsa::TsaClient>> tsa = MakeTsaClient(a);
  if (!tsa.ok()) return Fail(tsa.status());
  options->tsa = tsa->get();
  absl::Status level = CheckLevel(a.ltv, *tsa != nullptr);
  if (!level.ok()) return Fail(level);
  absl::StatusOr<CommandRevocation> revocation =
      MakeRevocationClient(a.ltv, a.ltv.check_revocation || WantsLtv(a.ltv));
  if (!revocation.ok()) return Fail(revocation.status());
  options->revocation = revocation->get();
  options->sign_when_revocation_unavailable = a.ltv.revocation_fallback;
  absl::StatusOr<OpenKey> key = OpenSigningKey(a.key);
  if (!key.ok()) return Fail(key.status());
  // B-LT/B-LTA: the signature goes to a temp file, the DSS (and document time-stamp) updates
  // write --out.
  const std::string signed_path = WantsLtv(a.ltv) ? a.out + ".sig.tmp" : a.out;
  absl::StatusOr<pades::SignResult> r = pades::SignPdf(a.in, signed_path, *key->signer, *options);
  if (!r.ok()) return Fail(r.status());
  PrintResult(*r, a.out);
  if (WantsLtv(a.ltv)) {
    absl::Status st = FinishLevel(a.ltv, signed_path, a.out, **revocation, tsa->get(), a.tsa_trust);
    std::remove(signed_path.c_str());
    if (!st.ok()) return Fail(st);
  }
  return 0;
}

int RunPrepare(const SignArgs& a) {
  absl::StatusOr<pades::SignOptions> options = MakeOptions(a);
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<CommandRevocation> revocation =
      MakeRevocationClient(a.ltv, a.ltv.check_revocation);
  if (!revocation.ok()) return Fail(revocation.status());
  options->revocation = revocation->get();
  options->sign_when_revocation_unavailable = a.ltv.revocation_fallback;
  absl::StatusOr<std::vector<Bytes>> certs = signer::ReadCertificates(a.cert);
  if (!certs.ok()) return Fail(certs.status());
  std::vector<Bytes> chain = signer::BuildChain(certs->front(), *certs);
  absl::StatusOr<signer::CertificateInfo> info = signer::DescribeCertificate(chain.front());
  if (!info.ok()) return Fail(info.status());
  const signer::SignatureScheme scheme = info->is_ec ? signer::SignatureScheme::kEcdsa
                                         : a.key.pss ? signer::SignatureScheme::kRsaPss
                                                     : signer::SignatureScheme::kRsaPkcs1v15;
  const std::string prepared_path = a.prepared.empty() ? a.state + ".pdf" : a.prepared;
  absl::StatusOr<pades::PreparedSignature> p =
      pades::PrepareSignature(a.in, prepared_path, std::move(chain), scheme, *options);
  if (!p.ok()) return Fail(p.status());
  absl::Status st = WriteFile(a.state, p->ToJson());
  if (st.ok() && !a.tbs.empty()) {
    const Bytes& tbs = p->BytesToSign();
    st = WriteFile(a.tbs, std::string(tbs.begin(), tbs.end()));
  }
  if (!st.ok()) return Fail(st);
  std::printf("Đã chuẩn bị / Prepared: %s\n", a.state.c_str());
  std::printf("  Tệp chờ ký / Prepared PDF: %s\n", prepared_path.c_str());
  if (!a.tbs.empty()) std::printf("  Dữ liệu cần ký / Bytes to sign: %s\n", a.tbs.c_str());
  std::printf("  Thuật toán / Scheme: %s, %s\n", std::string(signer::SchemeName(scheme)).c_str(),
              std::string(signer::DigestName(p->cms.request.digest)).c_str());
  return 0;
}

int RunComplete(const SignArgs& a) {
  absl::StatusOr<std::string> json = ReadFile(a.state);
  if (!json.ok()) return Fail(json.status());
  absl::StatusOr<pades::PreparedSignature> p = pades::PreparedSignature::FromJson(*json);
  if (!p.ok()) return Fail(p.status());
  absl::StatusOr<std::string> value = ReadFile(a.signature);
  if (!value.ok()) return Fail(value.status());
  absl::StatusOr<std::unique_ptr<tsa::TsaClient>> tsa = MakeTsaClient(a);
  if (!tsa.ok()) return Fail(tsa.status());
  absl::StatusOr<pades::SignResult> r = pades::CompleteSignature(
      *p, ByteSpan(reinterpret_cast<const uint8_t*>(value->data()), value->size()), a.out,
      tsa->get());
  if (!r.ok()) return Fail(r.status());
  PrintResult(*r, a.out);
  return 0;
}

}  // namespace

void AddSignCommands(CLI::App& app, Runner& run) {
  auto args = std::make_shared<SignArgs>();
  CLI::App* sign =
      app.add_subcommand("sign", "Ký PDF (PAdES) bằng token hoặc tệp PKCS#12 / sign a PDF (PAdES)");
  sign->add_option("--in", args->in, "PDF cần ký / input PDF");
  sign->add_option("--out", args->out, "PDF đã ký / output PDF");
  AddDocumentOptions(*sign, *args);
  AddTimeStampOptions(*sign, *args);
  AddLtvOptions(*sign, args->ltv);
  args->key.Register(*sign);
  sign->callback([sign, args, &run] {
    if (sign->get_subcommands().empty()) run = [args] { return RunSign(*args); };
  });

  CLI::App* prepare = sign->add_subcommand(
      "prepare", "Bước 1 ký tách: chuẩn bị dữ liệu cần ký / split signing step 1: prepare");
  prepare->add_option("--in", args->in, "PDF cần ký / input PDF")->required();
  prepare->add_option("--state", args->state, "Tệp trạng thái (JSON) / state file")->required();
  prepare->add_option("--prepared", args->prepared,
                      "PDF chờ ký (mặc định STATE.pdf) / prepared PDF (default STATE.pdf)");
  prepare
      ->add_option("--cert", args->cert,
                   "Chứng thư người ký và chuỗi (PEM) / signer certificate and chain (PEM)")
      ->required();
  prepare->add_option("--tbs", args->tbs, "Ghi dữ liệu cần ký ra tệp / write the bytes to sign");
  prepare->add_flag("--pss", args->key.pss, "RSASSA-PSS");
  prepare->add_flag("--check-revocation", args->ltv.check_revocation,
                    "Kiểm tra thu hồi chứng thư trước khi ký / check revocation before signing");
  prepare->add_flag("--revocation-fallback", args->ltv.revocation_fallback,
                    "Vẫn ký khi không kiểm tra được / sign when revocation cannot be checked");
  prepare->add_option("--ocsp-url", args->ltv.ocsp_url, "OCSP responder override");
  prepare->add_option("--url-rewrite", args->ltv.url_rewrites, "FROM=TO");
  AddDocumentOptions(*prepare, *args);
  prepare->callback([args, &run] { run = [args] { return RunPrepare(*args); }; });

  CLI::App* complete = sign->add_subcommand(
      "complete", "Bước 2 ký tách: gắn giá trị chữ ký / split signing step 2: complete");
  complete->add_option("--state", args->state, "Tệp trạng thái (JSON) / state file")->required();
  complete
      ->add_option("--signature", args->signature,
                   "Giá trị chữ ký (nhị phân) / signature value (binary)")
      ->required();
  complete->add_option("--out", args->out, "PDF đã ký / output PDF")->required();
  AddTimeStampOptions(*complete, *args);
  complete->callback([args, &run] { run = [args] { return RunComplete(*args); }; });
}

}  // namespace taicho::cli
