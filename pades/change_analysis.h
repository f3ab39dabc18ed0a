// What changed after each signature of a PDF, judged against the DocMDP permissions in force
// (ISO 32000-1 §12.8.2.2): the certification's P when the signature or an earlier one certifies,
// else the rules for approval signatures (new signatures, DSS, document time-stamps and form
// filling are allowed; annotations and everything else are not).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pdf/parsed_pdf.h"
#include "pdf/pdf_file.h"

namespace taicho::pades {

struct DetectedChange {
  std::string kind;  // pdf::ChangeKindCode: "form_fill", "new_signature", "other", …
  bool permitted = false;
  std::string text_vi;
  std::string text_en;
  std::vector<int64_t> objects;
};

struct SignatureChanges {
  int certification_p = 0;  // this signature's own DocMDP P, 0 for an approval signature
  int docmdp_in_force = 0;  // the strictest P of it and the certifications before it
  std::vector<DetectedChange> changes;  // after this signature's revision, in file order
  bool all_permitted = true;
  std::vector<std::string> problems;  // English, for operators
};

// `revision_ends[i]`: where signature i's revision ends (ByteRange[2] + ByteRange[3]), in the
// order of the file (earliest first). Returns one entry per signature. A revision that cannot
// be read gives a not-permitted change saying so rather than an error; errors are for a file
// that cannot be opened at all.
// `cancelled` (optional) is asked before each signature: kCancelled when it answers true.
absl::StatusOr<std::vector<SignatureChanges>> AnalyzeChangesAfterSignatures(
    const pdf::ParsedPdf& pdf, const std::vector<int64_t>& revision_ends,
    const std::function<bool()>& cancelled = {});
// The same from the signatures' ByteRanges (each revision ends at [2] + [3]), in file order:
// the same result, without parsing each signed revision's signature /Contents again (~3% of
// verifying a small 2-signature file).
absl::StatusOr<std::vector<SignatureChanges>> AnalyzeChangesAfterSignatures(
    const pdf::ParsedPdf& pdf, const std::vector<pdf::ByteRange>& byte_ranges,
    const std::function<bool()>& cancelled = {});

// The report lines for one signature (Vietnamese with English alongside, two-space indent):
// its certification, then each change with [permitted] / [NOT PERMITTED].
std::string ChangesToText(int certification_p, int docmdp_in_force,
                          const std::vector<DetectedChange>& changes);

}  // namespace taicho::pades
