#include "pades/baseline_level.h"

#include <string_view>

namespace taicho::pades {
namespace {

constexpr std::string_view kLevels[] = {"B-B", "B-T", "B-LT", "B-LTA"};
constexpr std::string_view kDocTimeStamp = "ETSI.RFC3161";

// B-T needs a time-stamp over the signature: its own signature-time-stamp, or a document
// time-stamp after it (EN 319 142-1 §6.3 allows either; taichod's worker upgrades a seal issued
// without one that way). B-LTA then needs a document time-stamp after the one that gave B-T
// whose revision holds the DSS answer used (in the same update, as taicho writes B-LTA, or an
// earlier one): validation data added after the last document time-stamp is not covered.
int Rank(const VerificationReport& report, size_t index) {
  const SignatureReport& s = report.signatures[index];
  size_t stamped_at = index;
  if (s.timestamp_ok != true) {
    size_t later = index + 1;
    for (; later < report.signatures.size(); ++later) {
      const SignatureReport& t = report.signatures[later];
      if (t.sub_filter == kDocTimeStamp && t.timestamp_ok == true) break;
    }
    if (later == report.signatures.size()) return 0;
    stamped_at = later;
  }
  // Revocation data found in the file (not asked online) makes it long-term.
  if (s.revocation_source.rfind("DSS", 0) != 0) return 1;
  for (size_t later = stamped_at + 1; later < report.signatures.size(); ++later) {
    const SignatureReport& t = report.signatures[later];
    const bool covers_answer = s.revocation_offset == 0 || t.revision_end > s.revocation_offset;
    if (t.sub_filter == kDocTimeStamp && t.timestamp_ok == true && covers_answer) return 3;
  }
  return 2;
}

}  // namespace

std::string SignatureLevel(const VerificationReport& report, size_t index) {
  if (index >= report.signatures.size() || report.signatures[index].sub_filter == kDocTimeStamp) {
    return "";
  }
  return std::string(kLevels[Rank(report, index)]);
}

std::string DocumentLevel(const VerificationReport& report) {
  int lowest = -1;
  for (size_t i = 0; i < report.signatures.size(); ++i) {
    if (report.signatures[i].sub_filter == kDocTimeStamp) continue;
    const int rank = Rank(report, i);
    if (lowest < 0 || rank < lowest) lowest = rank;
  }
  return lowest < 0 ? "" : std::string(kLevels[lowest]);
}

std::string LevelLine(const VerificationReport& report) {
  if (report.signatures.empty()) return "";
  return "Mức PAdES của tài liệu / Document's PAdES level: " + DocumentLevel(report) + "\n";
}

}  // namespace taicho::pades
