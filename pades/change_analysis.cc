#include "pades/change_analysis.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/pdf_file.h"
#include "pdf/revision_diff.h"

namespace taicho::pades {

namespace {

absl::StatusOr<std::vector<SignatureChanges>> Analyze(
    const pdf::ParsedPdf& pdf, const std::vector<int64_t>& revision_ends,
    const std::vector<pdf::ByteRange>& byte_ranges, const std::function<bool()>& cancelled) {
  std::vector<SignatureChanges> out(revision_ends.size());
  if (revision_ends.empty()) return out;
  const int64_t final_end = pdf.revision_end();
  // A final revision we cannot read leaves every earlier signature unjudged (reported per
  // signature below); the last one, covering the whole file, has nothing after it.
  absl::StatusOr<std::unique_ptr<pdf::RevisionAnalyzer>> analyzer =
      pdf::RevisionAnalyzer::Open(pdf);
  int strictest = 0;  // 0: no certification so far
  for (size_t i = 0; i < revision_ends.size(); ++i) {
    if (cancelled && cancelled()) return Error(ErrorCode::kCancelled, "change analysis");
    SignatureChanges& s = out[i];
    absl::StatusOr<pdf::ChangesAfterRevision> found =
        analyzer.ok() ? (*analyzer)->ChangesAfter(revision_ends[i], byte_ranges)
        : revision_ends[i] >= final_end
            ? absl::StatusOr<pdf::ChangesAfterRevision>(pdf::ChangesAfterRevision{})
            : absl::StatusOr<pdf::ChangesAfterRevision>(analyzer.status());
    if (!found.ok()) {
      s.all_permitted = false;
      s.problems.push_back("change analysis: " + std::string(found.status().message()));
      s.changes.push_back({"other",
                           false,
                           "Không đọc được bản đã ký để so sánh",
                           "The signed revision cannot be read for comparison",
                           {}});
      s.docmdp_in_force = strictest;
      continue;
    }
    s.certification_p = found->certification_p;
    if (s.certification_p > 0) {
      // ISO 32000-1 §12.8.2.2.1: a certification signature is named by the catalog's /Perms;
      // without that viewers treat it as an approval signature. Its restrictions still apply
      // here (stricter is the safe side) and the mismatch is reported.
      if (!found->perms_names_signature) {
        s.problems.push_back(
            "DocMDP transform, but the catalog's /Perms /DocMDP does not name "
            "this signature");
      }
      strictest = strictest == 0 ? s.certification_p : std::min(strictest, s.certification_p);
    }
    s.docmdp_in_force = strictest;
    for (const pdf::RevisionChange& c : found->changes) {
      DetectedChange d;
      d.kind = pdf::ChangeKindCode(c.kind);
      d.permitted = pdf::ChangePermitted(c.kind, strictest);
      d.text_vi = c.text_vi;
      d.text_en = c.text_en;
      d.objects = c.objects;
      if (!d.permitted) s.all_permitted = false;
      s.changes.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<SignatureChanges>> AnalyzeChangesAfterSignatures(
    const pdf::ParsedPdf& pdf, const std::vector<int64_t>& revision_ends,
    const std::function<bool()>& cancelled) {
  return Analyze(pdf, revision_ends, {}, cancelled);
}

absl::StatusOr<std::vector<SignatureChanges>> AnalyzeChangesAfterSignatures(
    const pdf::ParsedPdf& pdf, const std::vector<pdf::ByteRange>& byte_ranges,
    const std::function<bool()>& cancelled) {
  std::vector<int64_t> revision_ends;
  for (const pdf::ByteRange& br : byte_ranges) revision_ends.push_back(br[2] + br[3]);
  return Analyze(pdf, revision_ends, byte_ranges, cancelled);
}

std::string ChangesToText(int certification_p, int docmdp_in_force,
                          const std::vector<DetectedChange>& changes) {
  std::string out;
  if (certification_p > 0) {
    absl::StrAppend(
        &out, "  Chữ ký chứng nhận / Certification signature: DocMDP P=", certification_p, "\n");
  } else if (docmdp_in_force > 0) {
    absl::StrAppend(&out, "  Theo chứng nhận trước / Under the earlier certification: DocMDP P=",
                    docmdp_in_force, "\n");
  }
  if (changes.empty()) {
    absl::StrAppend(&out, "  Thay đổi sau chữ ký / Changes after signing: không có / none\n");
    return out;
  }
  absl::StrAppend(&out, "  Thay đổi sau chữ ký / Changes after signing (", changes.size(), "):\n");
  for (const DetectedChange& c : changes) {
    absl::StrAppend(&out, "    ",
                    c.permitted ? "[được phép / permitted] " : "[KHÔNG ĐƯỢC PHÉP / NOT PERMITTED] ",
                    c.text_vi, " / ", c.text_en, "\n");
  }
  return out;
}

}  // namespace taicho::pades
