#include "tests/support/signed_pdf_checks.h"

#include <cmath>
#include <cstring>

#include "gtest/gtest.h"
#include "pades/pdf_verifier.h"
#include "tests/support/checkers.h"
#include "tests/support/pki_fixture.h"

namespace taicho::testing {

void ExpectAllSignaturesValid(const std::string& pdf, int signed_count, int still_empty) {
  SCOPED_TRACE(pdf);
  const SamplePki& pki = GetSamplePki();
  const PdfsigReport pdfsig = RunPdfsig(pdf);
  EXPECT_EQ(pdfsig.signatures, signed_count + still_empty) << pdfsig.output;
  EXPECT_EQ(pdfsig.valid, signed_count) << pdfsig.output;
  EXPECT_NE(pdfsig.output.find("- Total document signed"), std::string::npos) << pdfsig.output;
  std::string out;
  EXPECT_TRUE(QpdfCheckPasses(pdf, &out)) << out;
  EXPECT_EQ(OpensslVerifyAll(pdf, pki.dir + "/ca-bundle.pem", &out), signed_count) << out;
  auto report = pades::VerifyPdf(pdf, ReadFileBytes(pki.dir + "/ca-bundle.pem"));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(static_cast<int>(report->signatures.size()), signed_count);
  for (const pades::SignatureReport& s : report->signatures) {
    EXPECT_EQ(s.indication, "TOTAL-PASSED") << report->ToText();
  }
  EXPECT_TRUE(report->signatures.back().covers_whole_file);
}

// pdftotext's word boxes of page 1 (its -bbox XHTML, read with a plain scanner).
std::vector<Word> WordsOfPage1(const std::string& pdf) {
  auto r = Run("pdftotext -f 1 -l 1 -bbox " + Quote(pdf) + " -");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<Word> words;
  size_t at = 0;
  while ((at = r.output.find("<word ", at)) != std::string::npos) {
    Word w;
    auto attr = [&](const char* name) {
      const size_t p = r.output.find(std::string(name) + "=\"", at);
      return std::stod(r.output.substr(p + std::strlen(name) + 2));
    };
    w.x0 = attr("xMin");
    w.y0 = attr("yMin");
    w.x1 = attr("xMax");
    w.y1 = attr("yMax");
    const size_t open = r.output.find('>', at) + 1;
    const size_t close = r.output.find("</word>", open);
    w.text = r.output.substr(open, close - open);
    words.push_back(w);
    at = close;
  }
  return words;
}

// The word with this text nearest to the right of a word `after` on the same line (pdftotext
// lists a field's text where the annotations come, not in reading order).
const Word* FindOnLine(const std::vector<Word>& words, const std::string& after,
                       const std::string& text) {
  const Word* best = nullptr;
  for (const Word& anchor : words) {
    if (anchor.text != after) continue;
    for (const Word& w : words) {
      if (w.text != text || std::abs(w.y0 - anchor.y0) > 3 || w.x0 < anchor.x1) continue;
      if (best == nullptr || w.x0 < best->x0) best = &w;
    }
    if (best) return best;
  }
  return nullptr;
}

constexpr double kPageWidth = 595.28;

// The number line as Decree 30 lays it out: "Số: 05/QĐ-UBND" under the agency (left column),
// "Long Phước, ngày 05 tháng 3 năm 2026" under the motto (right column), both in the header.
void ExpectNumberAndDateInPlace(const std::string& pdf, const std::string& number,
                                const std::string& day, const std::string& month,
                                const std::string& year) {
  SCOPED_TRACE(pdf);
  const std::vector<Word> words = WordsOfPage1(pdf);
  const Word* so = nullptr;
  for (const Word& w : words) {
    if (w.text == "Số:") so = &w;
  }
  ASSERT_NE(so, nullptr);
  // One word, as typed: "05/QĐ-UBND", not "05" and "/QĐ-UBND" apart.
  const Word* n = FindOnLine(words, "Số:", number + "/QĐ-UBND");
  ASSERT_NE(n, nullptr) << "the number and symbol follow 'Số:' as one word";
  const Word& num = *n;
  EXPECT_LT(num.x1, kPageWidth / 2) << "left column";
  EXPECT_LT(num.y0, 200) << "in the header";
  const Word* d = FindOnLine(words, "ngày", day);
  const Word* m = FindOnLine(words, "tháng", month);
  const Word* y = FindOnLine(words, "năm", year);
  ASSERT_NE(d, nullptr);
  ASSERT_NE(m, nullptr);
  ASSERT_NE(y, nullptr);
  EXPECT_GT(d->x0, kPageWidth / 2) << "right column";
  EXPECT_LT(d->x1, m->x0);
  EXPECT_LT(m->x1, y->x0);
  EXPECT_NEAR(d->y0, num.y0, 3) << "on the number's line";
}

}  // namespace taicho::testing
