// The public verification page's use cases: no caller (anyone holding the paper), so no access
// policy applies; what they return is limited to what workflow/public_view.h says is public.
#include "workflow/public_view.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "errors/error.h"
#include "pades/baseline_level.h"
#include "render/document_data.h"
#include "render/issue_fields.h"
#include "workflow/document_workflow.h"
#include "workflow/issue_numbering.h"
#include "workflow/verification_code.h"

namespace taicho::workflow {
namespace {

// The same answer for a code that was never given and one whose document is not public (a draft,
// a cancelled one): nothing tells them apart.
absl::Status Unknown() {
  return Error(ErrorCode::kDocumentNotFound, "không có văn bản với mã này / no such code");
}

bool IsPublic(domain::DocumentState state) {
  return state == domain::DocumentState::kSealed || state == domain::DocumentState::kIssued ||
         state == domain::DocumentState::kWithdrawn;
}

// The O= of an RFC 2253 subject ("CN=…,O=…,C=VN"); "" when absent.
std::string OrganisationOf(const std::string& subject) {
  std::string value;
  bool escaped = false;
  std::string part;
  auto take = [&] {
    if (value.empty() && part.rfind("O=", 0) == 0) value = part.substr(2);
    part.clear();
  };
  for (char c : subject) {
    if (escaped) {
      part.push_back(c);
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == ',') {
      take();
    } else {
      part.push_back(c);
    }
  }
  take();
  return value;
}

// Why a signature did not pass, for someone who is not a PDF expert.
std::pair<std::string, std::string> PlainReason(const pades::SignatureReport& s) {
  const std::string& sub = s.sub_indication;
  if (sub == "HASH_FAILURE") {
    return {"Nội dung đã bị thay đổi sau khi ký", "The content was changed after signing"};
  }
  if (sub == "SIG_CRYPTO_FAILURE") {
    return {"Chữ ký không khớp với nội dung", "The signature does not match the content"};
  }
  if (!s.changes_permitted) {
    return {"Văn bản bị sửa đổi sau khi ký theo cách không được phép",
            "The document was modified after signing in a way that is not permitted"};
  }
  if (sub == "REVOKED" || s.revocation_status == "revoked") {
    return {"Chứng thư số của người ký đã bị thu hồi", "The signer's certificate was revoked"};
  }
  if (sub == "NO_CERTIFICATE_CHAIN_FOUND" || sub == "CHAIN_CONSTRAINTS_FAILURE") {
    return {"Không xác định được nguồn gốc chứng thư số người ký",
            "The signer's certificate does not lead to a trusted authority"};
  }
  if (sub == "OUT_OF_BOUNDS_NO_POE" || sub == "EXPIRED" || s.certificate_expired) {
    return {"Chứng thư số của người ký đã hết hạn", "The signer's certificate has expired"};
  }
  if (sub == "CRYPTO_CONSTRAINTS_FAILURE" || sub == "CRYPTO_CONSTRAINTS_FAILURE_NO_POE") {
    return {"Chữ ký dùng thuật toán không còn an toàn",
            "The signature uses an algorithm no longer considered safe"};
  }
  return {"Không kiểm tra được đầy đủ chữ ký", "The signature could not be fully checked"};
}

}  // namespace

PublicVerdict PublicVerdictOf(const pades::VerificationReport& report) {
  PublicVerdict out;
  for (size_t i = 0; i < report.signatures.size(); ++i) {
    const pades::SignatureReport& s = report.signatures[i];
    PublicSignature p;
    p.signer = s.signer_name;
    p.organisation = OrganisationOf(s.signer_subject);
    p.signing_time = s.timestamp_time.empty() ? s.signing_time : s.timestamp_time;
    p.timestamp = s.sub_filter == "ETSI.RFC3161";
    p.level = pades::SignatureLevel(report, i);
    p.indication = s.indication;
    p.sub_indication = s.sub_indication;
    p.valid = s.indication == "TOTAL-PASSED";
    if (p.valid) {
      p.verdict_vi = "Hợp lệ";
    } else {
      p.verdict_vi = s.indication == "TOTAL-FAILED" ? "Không hợp lệ" : "Chưa xác định được";
      std::tie(p.reason_vi, p.reason_en) = PlainReason(s);
    }
    for (const pades::DetectedChange& c : s.changes_after) {
      p.changes.push_back({c.text_vi, c.text_en, c.permitted});
    }
    out.signatures.push_back(std::move(p));
  }
  out.problems = report.problems;
  out.warnings = report.warnings;
  out.all_valid = report.all_passed();
  return out;
}

absl::StatusOr<PublicDocument> DocumentWorkflow::PublicView(
    std::string_view code, const std::function<bool()>& cancelled) {
  absl::StatusOr<store::DocumentRecord> doc = FindPublic(code);
  if (!doc.ok()) return doc.status();

  absl::StatusOr<std::shared_ptr<const render::DocumentKind>> kind = kinds_.Get(doc->kind);
  if (!kind.ok()) return kind.status();
  absl::StatusOr<render::DocumentData> data = render::ParseDocumentJson(doc->data_json, **kind);
  if (!data.ok()) return data.status();
  PublicDocument out;
  out.code = doc->verification_code;
  out.type = data->type.empty() ? (*kind)->type : data->type;
  out.summary = data->summary;
  out.agency = RegisterAgency(data->agency.parent, data->agency.name);
  out.state = doc->state;
  const std::string symbol = data->symbol.empty() ? (*kind)->symbol : data->symbol;
  if (!data->number.empty()) out.number = absl::StrCat(data->number, "/", symbol);
  out.date = data->date;

  // The history is read for two facts only: the number the seal step gave ("number N/YEAR, …"
  // on the last allocation: a later preparation supersedes an earlier one, and nothing is
  // prepared after the seal) and its date, and the withdrawal's time and reason. Who did what
  // stays inside.
  auto history = store_.ListHistory(doc->id);
  if (!history.ok()) return history.status();
  for (auto e = history->rbegin(); e != history->rend(); ++e) {
    if (e->action != "number_allocated" || !out.number.empty()) continue;
    std::vector<std::string> words = absl::StrSplit(e->detail, absl::ByAnyChar(" /,"));
    int number = 0;
    if (words.size() >= 2 && words[0] == "number" && absl::SimpleAtoi(words[1], &number)) {
      out.number = absl::StrCat(render::NumberText(number), "/", symbol);
      if (out.date.empty()) {
        const render::IssueDate d = render::IssueDateAt(e->time_ms / 1000);
        out.date = absl::StrFormat("%04d-%02d-%02d", d.year, d.month, d.day);
      }
    }
  }
  auto withdrawal = WithdrawalOf(*doc);
  if (!withdrawal.ok()) return withdrawal.status();
  if (withdrawal->has_value()) {
    out.withdraw_time_ms = (*withdrawal)->time_ms;
    if (config_.public_withdrawal_reason) out.withdraw_reason = (*withdrawal)->reason;
  }
  auto prints = store_.ListPrints(doc->id);
  if (!prints.ok()) return prints.status();
  for (const store::PrintRecord& p : *prints) {
    if (p.status == store::PrintStatus::kPrinted) ++out.print_count;
  }

  auto revision = OpenRevisionOf(doc->id, 0);
  if (!revision.ok()) return revision.status();
  out.original_size = revision->first.size;
  // Offline: a public request must not make taichod call out to revocation servers.
  absl::StatusOr<pades::VerificationReport> report =
      pades::VerifyPdf(revision->second, VerifyOptionsFor(cancelled, /*online=*/false));
  if (!report.ok()) return report.status();
  out.verdict = PublicVerdictOf(*report);
  return out;
}

absl::StatusOr<PublicOriginal> DocumentWorkflow::OpenPublicOriginal(std::string_view code) {
  absl::StatusOr<store::DocumentRecord> doc = FindPublic(code);
  if (!doc.ok()) return doc.status();
  auto revision = OpenRevisionOf(doc->id, 0);
  if (!revision.ok()) return revision.status();
  return PublicOriginal{revision->second, revision->first.size, doc->verification_code};
}

absl::StatusOr<std::unique_ptr<PdfUpload>> DocumentWorkflow::BeginPublicUpload() {
  return PdfUpload::Create(Scratch(".upload.pdf"), config_.max_upload_bytes);
}

absl::StatusOr<store::DocumentRecord> DocumentWorkflow::FindPublic(std::string_view code) {
  // Malformed codes take the same path as unknown ones: one indexed lookup, then 404.
  const std::optional<std::string> canonical = CanonicalVerificationCode(code);
  auto found = store_.FindByVerificationCode(canonical.value_or(std::string()));
  if (!found.ok()) return found.status();
  if (!found->has_value() || !IsPublic((*found)->state)) return Unknown();
  return **std::move(found);
}

}  // namespace taicho::workflow
