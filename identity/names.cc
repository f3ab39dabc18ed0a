#include "identity/names.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::identity {
namespace {

// NFC (upper-cased with Vietnamese rules first when asked), white space collapsed and trimmed.
std::string Canonical(const std::string& utf8, bool upper) {
  icu::UnicodeString s = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  if (upper) s.toUpper(icu::Locale("vi"));
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_SUCCESS(status)) {
    icu::UnicodeString normalized = nfc->normalize(s, status);
    if (U_SUCCESS(status)) s = normalized;
  }
  std::string raw;
  s.toUTF8String(raw);
  std::string out;
  bool space = false;
  for (char c : raw) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string AgencyKey(const std::string& name) {
  const std::string upper = Canonical(name, /*upper=*/true);
  // Whole words only: "UBND" at the start or after a space, followed by a space or the end.
  std::string out;
  size_t at = 0;
  while (at < upper.size()) {
    size_t end = upper.find(' ', at);
    if (end == std::string::npos) end = upper.size();
    const std::string word = upper.substr(at, end - at);
    if (!out.empty()) out += ' ';
    out += word == "UBND" ? Canonical("ỦY BAN NHÂN DÂN", true) : std::string(word);
    at = end + 1;
  }
  return out;
}

}  // namespace

bool SamePersonName(const std::string& a, const std::string& b) {
  return Canonical(a, false) == Canonical(b, false);
}

bool SameAgency(const std::string& a, const std::string& b) { return AgencyKey(a) == AgencyKey(b); }

absl::Status CheckSignerName(const std::string& document_signer,
                             const std::string& certificate_name) {
  if (!document_signer.empty() && SamePersonName(document_signer, certificate_name)) {
    return absl::OkStatus();
  }
  return Error(ErrorCode::kSignerNameMismatch,
               absl::StrCat("văn bản ghi người ký \"", document_signer, "\", chứng thư số là \"",
                            certificate_name, "\" / the document names \"", document_signer,
                            "\" as its signer, the certificate \"", certificate_name, "\""));
}

absl::Status CheckSealAgency(const std::string& document_agency, const std::string& key_agency,
                             const std::string& certificate_organisation) {
  const bool configured = !key_agency.empty();
  const std::string& seal_agency = configured ? key_agency : certificate_organisation;
  if (!document_agency.empty() && !seal_agency.empty() &&
      SameAgency(document_agency, seal_agency)) {
    return absl::OkStatus();
  }
  const char* whose_vi = configured ? "khóa con dấu được cấu hình cho" : "chứng thư con dấu (O) là";
  const char* whose_en =
      configured ? "the seal key is configured for" : "the seal certificate's O is";
  return Error(ErrorCode::kAgencyMismatch,
               absl::StrCat("cơ quan ban hành \"", document_agency, "\", ", whose_vi, " \"",
                            seal_agency, "\" / the issuing agency is \"", document_agency, "\", ",
                            whose_en, " \"", seal_agency, "\""));
}

}  // namespace taicho::identity
