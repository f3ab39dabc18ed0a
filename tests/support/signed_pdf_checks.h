// Test support: every check we have on a signed PDF, in one place — pdfsig, qpdf --check and
// openssl cms (tools we did not write) and our own verifier against the sample PKI.
#pragma once

#include <string>
#include <vector>

namespace taicho::testing {

// `signed_count` signatures, all valid for every checker, the last covering the whole file;
// `still_empty` signature fields of a draft not signed yet (pdfsig lists them too).
void ExpectAllSignaturesValid(const std::string& pdf, int signed_count, int still_empty = 0);

// A word of pdftotext's -bbox output: its text and box in points, y down from the page top.
struct Word {
  std::string text;
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};
std::vector<Word> WordsOfPage1(const std::string& pdf);

// The word with this text nearest to the right of a word `after` on the same line (pdftotext
// lists a form field's text where the annotations come, not in reading order). nullptr if none.
const Word* FindOnLine(const std::vector<Word>& words, const std::string& after,
                       const std::string& text);

// The number line as Decree 30 lays it out, read by pdftotext: "Số: 05/QĐ-UBND" in the left
// column of the header, "…, ngày 05 tháng 3 năm 2026" on the same line in the right column.
void ExpectNumberAndDateInPlace(const std::string& pdf, const std::string& number,
                                const std::string& day, const std::string& month,
                                const std::string& year);

}  // namespace taicho::testing
