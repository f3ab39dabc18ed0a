// What the public verification page (behind the QR code) may show of a document, as values that
// hold nothing else: the rules of what is public live here, not in the page. A person holding the
// paper types or scans the document's verification code (workflow/verification_code.h) and sees
// what the document is, whether it still stands, each signature's verdict, how many times it was
// printed, and may download the electronic original. Never staff data (who created, approved,
// printed or withdrew it), never the history beyond the print count.
//
// Values only; DocumentWorkflow::PublicView and friends (workflow/public_view.cc) make them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/records.h"
#include "pades/pdf_verifier.h"

namespace taicho::workflow {

// One signature's verdict, in the words a citizen reads.
struct PublicSignature {
  std::string signer;        // the signing certificate's name (CN), as the page prints it
  std::string organisation;  // its O, when present
  std::string signing_time;  // ISO 8601 as the signature claims it
  std::string level;  // PAdES baseline level: "B-B", "B-T", "B-LT", "B-LTA"; "" for a time-stamp
  bool timestamp = false;  // a document time-stamp (B-LTA), not a person's or a seal's signature
  bool valid = false;      // TOTAL-PASSED
  std::string indication;  // ETSI EN 319 102-1: TOTAL-PASSED, TOTAL-FAILED, INDETERMINATE
  std::string sub_indication;
  std::string verdict_vi;  // "Hợp lệ", "Không hợp lệ", "Chưa xác định được"
  std::string reason_vi;   // why, in plain Vietnamese (empty when valid)
  std::string reason_en;
  // What was changed after this signature, named ("Sửa nội dung trang 1" …); a change not
  // permitted makes the signature fail.
  struct Change {
    std::string text_vi;
    std::string text_en;
    bool permitted = false;
  };
  std::vector<Change> changes;
};

// A verification's outcome for the public: the signatures, and the document's own problems and
// warnings (Vietnamese / English).
struct PublicVerdict {
  std::vector<PublicSignature> signatures;
  std::vector<std::string> problems;
  std::vector<std::string> warnings;
  bool all_valid = false;  // at least one signature, all valid, no document problem
};

struct PublicDocument {
  std::string code;     // the verification code, printed form
  std::string type;     // "QUYẾT ĐỊNH"
  std::string summary;  // the document's subject line
  std::string agency;   // the issuing agency, with its parent ("UBND HUYỆN … / UBND XÃ …")
  std::string number;   // "12/QĐ-UBND"; empty when none was given
  std::string date;     // the date of issue, YYYY-MM-DD; empty when none
  domain::DocumentState state = domain::DocumentState::kSealed;  // kSealed, kIssued, kWithdrawn
  int64_t withdraw_time_ms = 0;                                  // kWithdrawn only
  std::string withdraw_reason;  // kWithdrawn, and only when configured public
  int print_count = 0;          // prints the printer finished
  int64_t original_size = 0;    // bytes of the electronic original
  PublicVerdict verdict;        // of the electronic original, offline
};

// The report's verdicts in public words (also for an uploaded file).
PublicVerdict PublicVerdictOf(const pades::VerificationReport& report);

}  // namespace taicho::workflow
