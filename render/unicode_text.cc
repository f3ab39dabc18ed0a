#include "render/unicode_text.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include "errors/error.h"

namespace taicho::render {

absl::StatusOr<std::string> Nfc(const std::string& utf8) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return Error(ErrorCode::kInternal, "ICU NFC unavailable");
  icu::UnicodeString normalized = nfc->normalize(icu::UnicodeString::fromUTF8(utf8), status);
  if (U_FAILURE(status)) return Error(ErrorCode::kInternal, "ICU NFC failed");
  std::string out;
  normalized.toUTF8String(out);
  return out;
}

absl::StatusOr<std::string> UpperNfc(const std::string& utf8) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(utf8);
  text.toUpper(icu::Locale("vi"));
  std::string out;
  text.toUTF8String(out);
  return Nfc(out);
}

// Splits on spaces; a word that follows a line feed is marked with a leading '\n' (forced break).
std::vector<std::string> SplitWords(std::string_view s) {
  std::vector<std::string> words;
  std::string current;
  bool newline = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
      if (c == '\n' && !words.empty()) newline = true;
    } else {
      if (current.empty() && newline) current.push_back('\n');
      newline = false;
      current.push_back(c);
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

// Drops one trailing ';', '.', ',' or ':' (and spaces) so the decree's punctuation can be added.
std::string WithoutFinalPunctuation(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.pop_back();
  if (!s.empty() && (s.back() == ';' || s.back() == '.' || s.back() == ',' || s.back() == ':')) {
    s.pop_back();
  }
  return s;
}

}  // namespace taicho::render
