// Unicode helpers for rendering: NFC (PoDoFo does no shaping, so decomposed marks would be drawn
// misplaced), Vietnamese upper case, code-point iteration and word splitting.
#pragma once

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace taicho::render {

absl::StatusOr<std::string> Nfc(const std::string& utf8);

// Upper case with Vietnamese rules, then NFC.
absl::StatusOr<std::string> UpperNfc(const std::string& utf8);

// Calls fn(code_point) for each code point of `s` (invalid bytes come as U+FFFD).
template <typename Fn>
void ForEachCodePoint(std::string_view s, Fn fn) {
  int32_t i = 0;
  const int32_t length = static_cast<int32_t>(s.size());
  while (i < length) {
    UChar32 c;
    U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), i, length, c);
    fn(c < 0 ? 0xFFFD : c);
  }
}

inline bool IsSpace(UChar32 c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Splits on spaces; a word that follows a line feed is marked with a leading '\n' (forced break).
std::vector<std::string> SplitWords(std::string_view s);

// Drops one trailing ';', '.', ',' or ':' (and spaces) so the decree's punctuation can be added.
std::string WithoutFinalPunctuation(std::string s);

}  // namespace taicho::render
