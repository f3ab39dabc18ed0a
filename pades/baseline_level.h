// The PAdES baseline level (ETSI EN 319 142-1 §6) a verified file reaches, read off the
// verifier's report: per signature and for the document. Pure functions over the report.
#pragma once

#include <string>

#include "pades/pdf_verifier.h"

namespace taicho::pades {

// "B-B"; "B-T" with a valid signature time-stamp; "B-LT" when its revocation data also came from
// the file's DSS; "B-LTA" when a valid document time-stamp follows as well, in whose revision (or
// before) that DSS answer was written. "" for a document
// time-stamp itself (sub_filter ETSI.RFC3161) or an index out of range.
std::string SignatureLevel(const VerificationReport& report, size_t index);

// The lowest level of the file's signatures (document time-stamps aside); "" when none.
std::string DocumentLevel(const VerificationReport& report);

// The line people read after the report's text (Vietnamese / English), "" without signatures:
// taicho verify and the service's VerifyDocument text end with the same one.
std::string LevelLine(const VerificationReport& report);

}  // namespace taicho::pades
