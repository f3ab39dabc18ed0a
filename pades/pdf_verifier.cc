#include "pades/pdf_verifier.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "pdf/pdf_file.h"
#include "pdf/signature_reader.h"
#include "signer/cms_verifier.h"
#include "signer/timestamp_attribute.h"

namespace taicho::pades {
namespace {

void Conclude(SignatureReport& r) {
  if (!r.byte_range_ok) {
    r.indication = "TOTAL-FAILED";
    r.sub_indication = "FORMAT_FAILURE";
  } else if (!r.digest_ok) {
    r.indication = "TOTAL-FAILED";
    r.sub_indication = "HASH_FAILURE";
  } else if (!r.signature_ok) {
    r.indication = "TOTAL-FAILED";
    r.sub_indication = "SIG_CRYPTO_FAILURE";
  } else if (!r.signing_certificate_ok) {
    r.indication = "INDETERMINATE";
    r.sub_indication = "NO_SIGNING_CERTIFICATE_FOUND";
  } else if (!r.chain_trusted.has_value() || !*r.chain_trusted) {
    r.indication = "INDETERMINATE";
    r.sub_indication = "NO_CERTIFICATE_CHAIN_FOUND";
  } else if (r.timestamp_ok.has_value() && !*r.timestamp_ok) {
    // The signature holds, but its time-stamp proves no time of existence.
    r.indication = "INDETERMINATE";
    r.sub_indication = "NO_POE";
  } else {
    r.indication = "TOTAL-PASSED";
    r.sub_indication.clear();
  }
}

const char* IndicationVi(const std::string& indication) {
  if (indication == "TOTAL-PASSED") return "HỢP LỆ";
  if (indication == "TOTAL-FAILED") return "KHÔNG HỢP LỆ";
  return "CHƯA XÁC ĐỊNH";
}

const char* YesNo(bool v) { return v ? "có / yes" : "không / no"; }

// B-T: the signature time-stamp over the signature value, its TSA chained to the same anchors.
void CheckTimeStamp(const Bytes& cms, const std::string& anchors, SignatureReport& r) {
  signer::TimeStampTrust trust;
  trust.trust_anchors_pem = anchors;
  absl::StatusOr<std::optional<signer::TimeStampInfo>> ts =
      signer::VerifySignatureTimeStamp(cms, trust);
  if (!ts.ok()) {
    r.timestamp_ok = false;
    r.problems.push_back(absl::StrCat("time-stamp: ", std::string(ts.status().message())));
    return;
  }
  if (!ts->has_value()) return;
  r.timestamp_ok = true;
  r.timestamp_time = (*ts)->gen_time_text;
  r.timestamp_tsa = (*ts)->tsa_subject;
}

}  // namespace

bool VerificationReport::all_passed() const {
  if (signatures.empty()) return false;
  for (const SignatureReport& s : signatures) {
    if (s.indication != "TOTAL-PASSED") return false;
  }
  return true;
}

std::string VerificationReport::ToText() const {
  std::string out;
  if (signatures.empty()) {
    return "Tài liệu không có chữ ký số / The document has no signatures\n";
  }
  absl::StrAppend(&out, "Số chữ ký / Signatures: ", signatures.size(), "\n");
  int n = 0;
  for (const SignatureReport& s : signatures) {
    ++n;
    absl::StrAppend(&out, "\nChữ ký #", n, " / Signature #", n, " (", s.field_name, ")\n");
    absl::StrAppend(&out, "  Người ký / Signer: ", s.signer_name, "\n");
    absl::StrAppend(&out, "  Chủ thể / Subject: ", s.signer_subject, "\n");
    absl::StrAppend(&out, "  Cơ quan cấp / Issuer: ", s.signer_issuer, "\n");
    absl::StrAppend(&out, "  Số hiệu chứng thư / Serial: ", s.signer_serial, "\n");
    absl::StrAppend(&out, "  Thời điểm ký (khai báo) / Claimed signing time: ", s.signing_time,
                    "\n");
    absl::StrAppend(&out, "  Định dạng / Format: ", s.sub_filter, ", ", s.digest_algorithm, ", ",
                    s.signature_algorithm, "\n");
    absl::StrAppend(
        &out, "  Toàn vẹn dữ liệu / Integrity: ",
        s.byte_range_ok && s.digest_ok && s.signature_ok ? "đúng / intact" : "SAI / BROKEN", "\n");
    absl::StrAppend(
        &out, "  Bao phủ toàn bộ tệp / Covers the whole file: ", YesNo(s.covers_whole_file), "\n");
    if (s.chain_trusted.has_value()) {
      absl::StrAppend(&out, "  Chuỗi chứng thư tin cậy / Trusted chain: ", YesNo(*s.chain_trusted),
                      "\n");
    } else {
      absl::StrAppend(&out,
                      "  Chuỗi chứng thư: chưa kiểm tra (thiếu --trust) / Chain: not checked "
                      "(no --trust)\n");
    }
    if (s.timestamp_ok.has_value()) {
      absl::StrAppend(&out, "  Dấu thời gian / Time-stamp: ",
                      *s.timestamp_ok
                          ? "hợp lệ / valid, " + s.timestamp_time + " (" + s.timestamp_tsa + ")"
                          : std::string("KHÔNG HỢP LỆ / INVALID"),
                      "\n");
    }
    absl::StrAppend(&out, "  Kết luận / Result: ", IndicationVi(s.indication), " / ", s.indication);
    if (!s.sub_indication.empty()) absl::StrAppend(&out, " (", s.sub_indication, ")");
    absl::StrAppend(&out, "\n");
    for (const std::string& p : s.problems) absl::StrAppend(&out, "  ! ", p, "\n");
  }
  return out;
}

std::string VerificationReport::ToJson() const {
  nlohmann::json j;
  j["all_passed"] = all_passed();
  j["signatures"] = nlohmann::json::array();
  for (const SignatureReport& s : signatures) {
    nlohmann::json e;
    e["field_name"] = s.field_name;
    e["sub_filter"] = s.sub_filter;
    e["signing_time"] = s.signing_time;
    e["signer_name"] = s.signer_name;
    e["signer_subject"] = s.signer_subject;
    e["signer_issuer"] = s.signer_issuer;
    e["signer_serial"] = s.signer_serial;
    e["digest_algorithm"] = s.digest_algorithm;
    e["signature_algorithm"] = s.signature_algorithm;
    e["byte_range_ok"] = s.byte_range_ok;
    e["digest_ok"] = s.digest_ok;
    e["signature_ok"] = s.signature_ok;
    e["signing_certificate_ok"] = s.signing_certificate_ok;
    e["covers_whole_file"] = s.covers_whole_file;
    if (s.chain_trusted.has_value()) e["chain_trusted"] = *s.chain_trusted;
    if (s.timestamp_ok.has_value()) {
      e["timestamp"] = {
          {"valid", *s.timestamp_ok}, {"gen_time", s.timestamp_time}, {"tsa", s.timestamp_tsa}};
    }
    e["indication"] = s.indication;
    e["sub_indication"] = s.sub_indication;
    e["problems"] = s.problems;
    j["signatures"].push_back(e);
  }
  return j.dump(2);
}

absl::StatusOr<VerificationReport> VerifyPdf(const std::string& path,
                                             const std::string& trust_anchors_pem) {
  absl::StatusOr<std::vector<pdf::EmbeddedSignature>> found = pdf::ReadSignatures(path);
  if (!found.ok()) return found.status();
  VerificationReport report;
  for (const pdf::EmbeddedSignature& sig : *found) {
    SignatureReport r;
    r.field_name = sig.field_name;
    r.sub_filter = sig.sub_filter;
    r.signing_time = sig.signing_time;
    r.covers_whole_file = sig.covers_whole_file;
    r.byte_range_ok = sig.byte_range_problem.empty();
    if (!r.byte_range_ok) r.problems.push_back(sig.byte_range_problem);
    if (sig.type != "Sig") r.problems.push_back("document time-stamps are not checked yet");
    if (r.byte_range_ok) {
      const pdf::ByteRange range = sig.byte_range;
      signer::ContentStreamer content =
          [&](const std::function<void(ByteSpan)>& sink) -> absl::Status {
        return pdf::StreamByteRange(path, range, sink);
      };
      absl::StatusOr<signer::CmsVerification> v =
          signer::VerifyDetachedCms(sig.contents, content, trust_anchors_pem);
      if (!v.ok()) return v.status();
      r.digest_ok = v->parsed && v->digest_matches;
      r.signature_ok = v->parsed && v->signature_valid;
      r.signing_certificate_ok = v->signing_certificate_matches;
      r.chain_trusted = v->chain_trusted;
      if (v->chain_trusted.has_value() && !*v->chain_trusted && !v->chain_error.empty()) {
        r.problems.push_back("chain: " + v->chain_error);
      }
      r.signer_name = v->signer_common_name;
      r.signer_subject = v->signer_subject;
      r.signer_issuer = v->signer_issuer;
      r.signer_serial = v->signer_serial_hex;
      r.digest_algorithm = v->digest_algorithm;
      r.signature_algorithm = v->signature_algorithm;
      for (const std::string& p : v->problems) r.problems.push_back(p);
      if (v->has_signing_time) r.problems.push_back("CMS carries signing-time (not PAdES)");
      if (r.signature_ok && !trust_anchors_pem.empty())
        CheckTimeStamp(sig.contents, trust_anchors_pem, r);
    }
    Conclude(r);
    report.signatures.push_back(std::move(r));
  }
  return report;
}

}  // namespace taicho::pades
