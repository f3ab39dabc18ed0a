// Whether a name printed on a document is the name a certificate carries: the signer named in the
// document's data (and drawn in its signer block) against the signing certificate's common name,
// the issuing agency against the seal key's agency. A document whose page names one person above
// another person's signature, or carries one agency's seal under another agency's header, must
// not be signed (Decree 30/2020: what is drawn agrees with the signature's data).
//
// Pure functions over UTF-8 strings; thread-safe. Errors are taicho::Error statuses.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace taicho::identity {

// The same person's name: NFC on both sides, white space runs read as one space, outer white
// space ignored; diacritics and letter case exact ("Nguyễn Văn An" ≠ "Nguyễn Văn Ân").
bool SamePersonName(const std::string& a, const std::string& b);

// The same agency: NFC, Vietnamese upper case, white space runs read as one space, and the
// abbreviation "UBND" read as "ỦY BAN NHÂN DÂN" (certificates abbreviate it, the header does
// not): "UBND xã Xuyên Mộc" names "ỦY BAN NHÂN DÂN XÃ XUYÊN MỘC".
bool SameAgency(const std::string& a, const std::string& b);

// kSignerNameMismatch (naming both) unless the document's signer is the certificate's common
// name.
absl::Status CheckSignerName(const std::string& document_signer,
                             const std::string& certificate_name);

// kAgencyMismatch unless the seal belongs to the document's issuing agency: the agency the key
// is configured for when there is one (`key_agency`), else the seal certificate's organisation
// (O). Both empty: kAgencyMismatch too (nothing says whose seal it is).
absl::Status CheckSealAgency(const std::string& document_agency, const std::string& key_agency,
                             const std::string& certificate_organisation);

}  // namespace taicho::identity
