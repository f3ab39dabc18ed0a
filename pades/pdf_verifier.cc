#include "pades/pdf_verifier.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "identity/names.h"
#include "pades/doc_timestamp_check.h"
#include "pdf/drawn_names.h"
#include "pdf/dss_update.h"
#include "pdf/pdf_file.h"
#include "pdf/signature_reader.h"
#include "pdf/trailing_bytes.h"
#include "pdf/xref_reader.h"
#include "signer/cms_verifier.h"
#include "signer/timestamp_attribute.h"
#include "vntime/vntime.h"

namespace taicho::pades {
namespace {

// `digest_unknown`: the signature's digest could not be computed (an algorithm the verifier
// neither accepts nor has), so whether the bytes are intact is not known.
void Conclude(SignatureReport& r, bool digest_unknown = false) {
  if (!r.byte_range_ok) {
    r.indication = "TOTAL-FAILED";
    r.sub_indication = "FORMAT_FAILURE";
  } else if (digest_unknown && !r.refused_algorithms.empty()) {
    r.indication = "INDETERMINATE";
    r.sub_indication = "CRYPTO_CONSTRAINTS_FAILURE";
  } else if (!r.digest_ok) {
    r.indication = "TOTAL-FAILED";
    r.sub_indication = "HASH_FAILURE";
  } else if (!r.signature_ok) {
    r.indication = "TOTAL-FAILED";
    r.sub_indication = "SIG_CRYPTO_FAILURE";
  } else if (!r.changes_permitted) {
    // The signed bytes are intact, but a later update changed what the document shows or did
    // more than the DocMDP permissions in force allow. EN 319 102-1 has no sub-indication of its
    // own for this; like EU DSS (its "PDF modification detection" and DocMDP checks belong to the
    // format checking building block) we report the file no longer conforming to the signature's
    // format rules: TOTAL-FAILED / FORMAT_FAILURE. Not HASH_FAILURE (the digest matches) and not
    // INDETERMINATE (no further data could make the change acceptable).
    r.indication = "TOTAL-FAILED";
    r.sub_indication = "FORMAT_FAILURE";
  } else if (r.revocation_status == "revoked") {
    r.indication = "TOTAL-FAILED";
    r.sub_indication = "REVOKED";
  } else if (!r.refused_algorithms.empty()) {
    // Intact, but made with an algorithm no longer trusted to prove it (EN 319 102-1 §5.2.8):
    // not a failure of the signature, and not a pass either.
    r.indication = "INDETERMINATE";
    r.sub_indication = "CRYPTO_CONSTRAINTS_FAILURE";
  } else if (!r.signing_certificate_ok) {
    r.indication = "INDETERMINATE";
    r.sub_indication = "NO_SIGNING_CERTIFICATE_FOUND";
  } else if (r.certificate_expired && r.chain_trusted.has_value() && !*r.chain_trusted) {
    // Expired by now and nothing proves the signature existed before: EN 319 102-1's sub-
    // indication for exactly that (a time-stamp, B-T, would have carried it).
    r.indication = "INDETERMINATE";
    r.sub_indication = "OUT_OF_BOUNDS_NO_POE";
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

void ApplyChanges(const SignatureChanges& c, SignatureReport& r) {
  if (c.certification_p > 0) r.certification_p = c.certification_p;
  r.docmdp_in_force = c.docmdp_in_force;
  r.changes_after = c.changes;
  r.changes_permitted = c.all_permitted;
  for (const std::string& p : c.problems) r.problems.push_back(p);
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

// Bytes after the last revision: a warning for padding, a failure when they hold what a
// recovering reader would take for part of the document.
absl::Status ReportTrailingBytes(const pdf::ParsedPdf& parsed,
                                 const std::function<bool()>& cancelled,
                                 VerificationReport& report) {
  absl::StatusOr<pdf::TrailingBytes> trailing = pdf::ReadTrailingBytes(parsed, cancelled);
  if (!trailing.ok()) return trailing.status();
  if (trailing->whitespace_only) return absl::OkStatus();
  const int64_t count = trailing->end - trailing->start;
  const std::string range = absl::StrCat(trailing->start, "–", trailing->end);
  if (!trailing->redefined.empty()) {
    const std::string objects = absl::StrJoin(trailing->redefined, ", ");
    report.problems.push_back(absl::StrCat(
        count, " byte sau phiên bản cuối (vị trí ", range,
        ") không thuộc phiên bản nào nhưng định nghĩa lại đối tượng ", objects, " của tài liệu / ",
        count, " bytes after the last revision (offsets ", range,
        ") belong to no revision but redefine object(s) ", objects, " of the document"));
  } else if (trailing->has_update_structure) {
    report.problems.push_back(
        absl::StrCat(count, " byte sau phiên bản cuối (vị trí ", range,
                     ") chứa bảng tham chiếu chéo hoặc trailer không có %%EOF / ", count,
                     " bytes after the last revision (offsets ", range,
                     ") hold a cross-reference or trailer without %%EOF"));
  } else {
    report.warnings.push_back(
        absl::StrCat(count, " byte sau phiên bản cuối (vị trí ", range,
                     ") không thuộc phiên bản nào và không được chữ ký nào bảo vệ / ", count,
                     " bytes after the last revision (offsets ", range,
                     ") belong to no revision and no signature covers them"));
  }
  return absl::OkStatus();
}

// What makes a signature that verifies as CMS (RFC 5652) fall short of a PAdES baseline one
// (ETSI EN 319 142-1 §6.3, B-B): reported as information, since other tools sign that way and
// the signature is no less the signer's. Empty for a baseline signature.
std::vector<std::string> BaselineNotes(const std::string& sub_filter,
                                       const signer::CmsVerification& v) {
  struct Reason {
    std::string vi, en;
  };
  std::vector<Reason> reasons;
  if (sub_filter != "ETSI.CAdES.detached") {
    reasons.push_back({absl::StrCat("SubFilter ", sub_filter, " thay cho ETSI.CAdES.detached"),
                       absl::StrCat("SubFilter ", sub_filter, " instead of ETSI.CAdES.detached")});
  }
  if (!v.has_signed_attributes) {
    reasons.push_back({"không có thuộc tính được ký, chữ ký phủ trực tiếp giá trị băm của tài liệu",
                       "no signed attributes, the signature covers the document digest directly"});
  } else if (v.signing_certificate_version == 1) {
    reasons.push_back({"thuộc tính signing-certificate phiên bản 1 (SHA-1) thay cho phiên bản 2",
                       "ESS signing-certificate v1 (SHA-1) instead of v2"});
  } else if (v.signing_certificate_version == 0) {
    reasons.push_back(
        {"không có thuộc tính signing-certificate, người ký chỉ được xác định qua SignerIdentifier",
         "no ESS signing-certificate attribute, the signer is named by the SignerIdentifier "
         "alone"});
  }
  if (v.has_signing_time && sub_filter != "ETSI.CAdES.detached") {
    reasons.push_back({"có thuộc tính signing-time (thời điểm khai báo, không được chứng minh)",
                       "a signing-time attribute (a claimed time, not a proven one)"});
  }
  std::vector<std::string> notes;
  for (const Reason& r : reasons) {
    notes.push_back(absl::StrCat("Không phải chữ ký PAdES baseline: ", r.vi,
                                 " / Not a PAdES baseline signature: ", r.en));
  }
  if (!notes.empty() && v.signer_identified_by == "subjectKeyIdentifier") {
    notes.push_back(
        "Người ký được xác định bằng subjectKeyIdentifier / The signer is identified by its "
        "subjectKeyIdentifier");
  }
  return notes;
}

}  // namespace

static_assert(kMaxRevisionsCeiling == pdf::kMaxRevisionsRead);

bool VerificationReport::all_passed() const {
  if (signatures.empty() || !problems.empty()) return false;
  for (const SignatureReport& s : signatures) {
    if (s.indication != "TOTAL-PASSED") return false;
  }
  return true;
}

namespace {

// Fills each report's page_name and page_name_check from what the pages draw.
void ComparePageNames(const std::vector<pdf::DrawnName>& drawn, VerificationReport& report) {
  for (SignatureReport& r : report.signatures) {
    for (const pdf::DrawnName& d : drawn) {
      if (d.field_name != r.field_name || d.text.empty() || r.signer_name.empty()) continue;
      r.page_name = d.text;
      r.page_name_check = identity::SamePersonName(d.text, r.signer_name) ? "match" : "mismatch";
    }
  }
}

}  // namespace

std::string VerificationReport::ToText() const {
  std::string out;
  for (const std::string& p : problems) absl::StrAppend(&out, "!! ", p, "\n");
  for (const std::string& w : warnings) absl::StrAppend(&out, "! ", w, "\n");
  if (signatures.empty()) {
    return out + "Tài liệu không có chữ ký số / The document has no signatures\n";
  }
  absl::StrAppend(&out, "Số chữ ký / Signatures: ", signatures.size(), "\n");
  int n = 0;
  for (const SignatureReport& s : signatures) {
    ++n;
    absl::StrAppend(&out, "\nChữ ký #", n, " / Signature #", n, " (", s.field_name, ")\n");
    absl::StrAppend(&out, "  Người ký / Signer: ", s.signer_name, "\n");
    if (s.page_name_check == "match") {
      absl::StrAppend(&out, "  Tên trên văn bản / Name on the page: ", s.page_name,
                      " — khớp chứng thư / matches the certificate\n");
    } else if (s.page_name_check == "mismatch") {
      absl::StrAppend(&out, "  Tên trên văn bản / Name on the page: ", s.page_name,
                      " — KHÔNG KHỚP chứng thư / DOES NOT MATCH the certificate\n");
    }
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
    if (!s.refused_algorithms.empty()) {
      absl::StrAppend(&out, "  Thuật toán không còn được chấp nhận / Refused algorithm: ",
                      absl::StrJoin(s.refused_algorithms, ", "), "\n");
    }
    absl::StrAppend(
        &out, "  Bao phủ toàn bộ tệp / Covers the whole file: ", YesNo(s.covers_whole_file), "\n");
    if (s.chain_trusted.has_value()) {
      absl::StrAppend(&out, "  Chuỗi chứng thư tin cậy / Trusted chain: ", YesNo(*s.chain_trusted),
                      "\n");
      if (!s.chain_validated_at.empty()) {
        absl::StrAppend(&out,
                        "    (chứng thư nay đã hết hạn; hợp lệ tại thời điểm gắn dấu thời gian / "
                        "the certificate has expired since; valid at the time-stamp's time ",
                        s.chain_validated_at, ")\n");
      }
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
    if (!s.revocation_status.empty()) {
      const std::string& st = s.revocation_status;
      absl::StrAppend(&out, "  Trạng thái thu hồi / Revocation status: ",
                      st == "good"      ? "còn hiệu lực / good"
                      : st == "revoked" ? "ĐÃ THU HỒI / REVOKED"
                                        : "không xác định / unknown",
                      " (", s.revocation_source, ")",
                      s.revocation_time.empty() ? "" : ", thu hồi lúc / revoked at ",
                      s.revocation_time, "\n");
    } else if (s.signature_ok) {
      absl::StrAppend(&out,
                      "  Trạng thái thu hồi: không có dữ liệu / Revocation status: no data\n");
    }
    absl::StrAppend(
        &out, ChangesToText(s.certification_p.value_or(0), s.docmdp_in_force, s.changes_after));
    absl::StrAppend(&out, "  Kết luận / Result: ", IndicationVi(s.indication), " / ", s.indication);
    if (!s.sub_indication.empty()) absl::StrAppend(&out, " (", s.sub_indication, ")");
    absl::StrAppend(&out, "\n");
    for (const std::string& p : s.problems) absl::StrAppend(&out, "  ! ", p, "\n");
    for (const std::string& n : s.notes) {
      absl::StrAppend(&out, "  i Thông tin / Information: ", n, "\n");
    }
  }
  return out;
}

std::string VerificationReport::ToJson() const {
  nlohmann::json j;
  j["all_passed"] = all_passed();
  j["problems"] = problems;
  j["warnings"] = warnings;
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
    if (!s.refused_algorithms.empty()) e["refused_algorithms"] = s.refused_algorithms;
    if (s.chain_trusted.has_value()) e["chain_trusted"] = *s.chain_trusted;
    if (!s.chain_validated_at.empty()) e["chain_validated_at"] = s.chain_validated_at;
    if (s.timestamp_ok.has_value()) {
      e["timestamp"] = {
          {"valid", *s.timestamp_ok}, {"gen_time", s.timestamp_time}, {"tsa", s.timestamp_tsa}};
    }
    if (!s.revocation_status.empty()) {
      e["revocation"] = {{"status", s.revocation_status},
                         {"source", s.revocation_source},
                         {"revoked_at", s.revocation_time}};
    }
    if (s.certification_p.has_value()) e["certification_p"] = *s.certification_p;
    e["docmdp_in_force"] = s.docmdp_in_force;
    e["changes_permitted"] = s.changes_permitted;
    e["changes_after"] = nlohmann::json::array();
    for (const DetectedChange& c : s.changes_after) {
      e["changes_after"].push_back({{"kind", c.kind},
                                    {"permitted", c.permitted},
                                    {"text_vi", c.text_vi},
                                    {"text_en", c.text_en},
                                    {"objects", c.objects}});
    }
    e["indication"] = s.indication;
    e["sub_indication"] = s.sub_indication;
    e["problems"] = s.problems;
    e["notes"] = s.notes;
    e["page_name_check"] = s.page_name_check;
    e["page_name"] = s.page_name;
    j["signatures"].push_back(e);
  }
  return j.dump(2);
}

absl::StatusOr<VerificationReport> VerifyPdf(const std::string& path,
                                             const std::string& trust_anchors_pem,
                                             const revocation::StatusSource* online) {
  VerifyOptions options;
  options.trust_anchors_pem = trust_anchors_pem;
  options.online = online;
  return VerifyPdf(path, options);
}

absl::StatusOr<VerificationReport> VerifyPdf(const std::string& path,
                                             const VerifyOptions& options) {
  const std::string& trust_anchors_pem = options.trust_anchors_pem;
  const revocation::StatusSource* online = options.online;
  const std::function<bool()>& cancelled = options.cancelled;
  // The same few certificates (signers, their CA, the TSA, the roots) appear in every signature
  // and time-stamp of a file: each is decoded once per verification.
  signer::CertificateCache own_certificates;
  signer::CertificateCache* certificates =
      options.certificates != nullptr ? options.certificates : &own_certificates;
  auto stop = [&]() -> absl::Status {
    if (cancelled && cancelled()) return Error(ErrorCode::kCancelled, "verification");
    return absl::OkStatus();
  };
  // One parse for the DSS, the signatures and the change analysis.
  absl::StatusOr<pdf::ParsedPdf> parsed = pdf::ParsedPdf::Open(path, options.max_revisions);
  if (!parsed.ok()) return parsed.status();
  absl::StatusOr<pdf::DssContent> dss = pdf::ReadDss(*parsed);
  if (!dss.ok()) return dss.status();
  absl::StatusOr<std::vector<pdf::EmbeddedSignature>> found = pdf::ReadSignatures(*parsed);
  if (!found.ok()) return found.status();
  std::vector<pdf::ByteRange> byte_ranges;
  for (const pdf::EmbeddedSignature& sig : *found) byte_ranges.push_back(sig.byte_range);
  absl::StatusOr<std::vector<SignatureChanges>> changes =
      AnalyzeChangesAfterSignatures(*parsed, byte_ranges, cancelled);
  if (!changes.ok()) return changes.status();
  if (absl::Status st = stop(); !st.ok()) return st;
  VerificationReport report;
  if (absl::Status st = ReportTrailingBytes(*parsed, cancelled, report); !st.ok()) return st;
  for (const pdf::EmbeddedSignature& sig : *found) {
    if (absl::Status st = stop(); !st.ok()) return st;
    SignatureReport r;
    r.field_name = sig.field_name;
    r.sub_filter = sig.sub_filter;
    r.signing_time = sig.signing_time;
    r.covers_whole_file = sig.covers_whole_file;
    r.revision_end = sig.byte_range[2] + sig.byte_range[3];
    r.byte_range_ok = sig.byte_range_problem.empty();
    if (!r.byte_range_ok) r.problems.push_back(sig.byte_range_problem);
    bool digest_unknown = false;
    Bytes signer_cert;           // whose revocation status is reported
    Bytes signer_issuer;         // a certificate known to have signed it, when one is
    std::vector<Bytes> carried;  // the certificates the signature or token carries
    if (sig.type == "DocTimeStamp" && r.byte_range_ok) {
      CheckDocumentTimeStamp(path, sig, trust_anchors_pem, r, &signer_cert);
      if (r.signature_ok) carried = CarriedCertificates(sig.contents);
    } else if (r.byte_range_ok) {
      const pdf::ByteRange range = sig.byte_range;
      signer::ContentStreamer content =
          [&](const std::function<void(ByteSpan)>& sink) -> absl::Status {
        return pdf::StreamByteRange(path, range, sink, cancelled);
      };
      absl::StatusOr<signer::CmsVerification> v =
          signer::VerifyDetachedCms(sig.contents, content, trust_anchors_pem, certificates);
      if (!v.ok()) return v.status();
      r.digest_ok = v->parsed && v->digest_matches;
      r.signature_ok = v->parsed && v->signature_valid;
      r.signing_certificate_ok = v->signing_certificate_matches;
      r.chain_trusted = v->chain_trusted;
      r.signer_name = v->signer_common_name;
      r.signer_subject = v->signer_subject;
      r.signer_issuer = v->signer_issuer;
      r.signer_serial = v->signer_serial_hex;
      r.digest_algorithm = v->digest_algorithm;
      r.signature_algorithm = v->signature_algorithm;
      r.refused_algorithms = v->refused_algorithms;
      for (const std::string& a : r.refused_algorithms) {
        r.problems.push_back("algorithm refused by the validation policy: " + a);
      }
      digest_unknown = v->parsed && !v->digest_computed;
      signer_cert = v->signer_certificate_der;
      signer_issuer = v->verified_issuer_der;
      carried = std::move(v->certificates_der);
      for (const std::string& p : v->problems) r.problems.push_back(p);
      // PAdES forbids signing-time in a CAdES signature; in the PDF-native CMS it is common.
      if (v->has_signing_time && r.sub_filter == "ETSI.CAdES.detached") {
        r.problems.push_back("CMS carries signing-time (not PAdES)");
      }
      if (v->parsed) r.notes = BaselineNotes(r.sub_filter, *v);
      // Parsing the CMS again for a time-stamp it does not have costs more than the rest of a
      // small file's checks (OpenSSL 3.0 decodes each certificate's key through its decoders).
      if (r.signature_ok && !trust_anchors_pem.empty() && v->has_signature_timestamp)
        CheckTimeStamp(sig.contents, trust_anchors_pem, r);
      // Years later the signer's certificate has expired: what counts is that it was valid when
      // the signature was made, which a verified signature time-stamp proves (PAdES B-T).
      if (v->chain_expired && r.timestamp_ok.value_or(false)) {
        std::string error;
        if (signer::SignerChainTrustedAt(sig.contents, trust_anchors_pem,
                                         vntime::ParseIsoUtc(r.timestamp_time), &error,
                                         certificates)) {
          r.chain_trusted = true;
          r.chain_validated_at = r.timestamp_time;
        } else {
          v->chain_error = error;
        }
      } else if (v->chain_expired) {
        r.certificate_expired = true;
      }
      if (r.chain_trusted.has_value() && !*r.chain_trusted && !v->chain_error.empty()) {
        r.problems.push_back("chain: " + v->chain_error);
      }
    }
    if (r.signature_ok) {
      CheckRevocation(*dss, carried, signer_cert, online, r, certificates, signer_issuer);
    }
    ApplyChanges((*changes)[report.signatures.size()], r);
    Conclude(r, digest_unknown);
    report.signatures.push_back(std::move(r));
  }
  // The name each signature's page draws against its certificate (information only).
  if (absl::StatusOr<std::vector<pdf::DrawnName>> drawn = pdf::ReadDrawnNames(*parsed);
      drawn.ok()) {
    ComparePageNames(*drawn, report);
  }
  // A signature an update took out of the form is invisible to ReadSignatures, which reads the
  // final revision: its dictionary's bytes are still in the file, so look for them there.
  absl::StatusOr<std::vector<pdf::ByteRange>> written = pdf::ScanByteRanges(path);
  if (!written.ok()) return written.status();
  for (const pdf::ByteRange& range : *written) {
    const bool listed = std::any_of(found->begin(), found->end(),
                                    [&](const auto& sig) { return sig.byte_range == range; });
    if (!listed) {
      report.problems.push_back(absl::StrCat(
          "Chữ ký của một phiên bản trước (ByteRange [", absl::StrJoin(range, " "),
          "]) không còn trong tài liệu: đã bị gỡ hoặc che / a signature of an earlier revision "
          "(ByteRange [",
          absl::StrJoin(range, " "), "]) is gone from the final document: removed or hidden"));
    }
  }
  return report;
}

}  // namespace taicho::pades
