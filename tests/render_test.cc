#include <gtest/gtest.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "errors/error.h"
#include "render/decision_renderer.h"
#include "render/document_data.h"
#include "tests/support/pki_fixture.h"

namespace taicho::render {
namespace {

using nlohmann::json;
using taicho::testing::MakeTempDir;
using taicho::testing::Quote;
using taicho::testing::SourceDir;

std::string SamplePath() { return SourceDir() + "/render/samples/quyet-dinh-ubnd-xa.json"; }

json SampleJson() {
  std::ifstream in(SamplePath());
  return json::parse(in);
}

std::string Normalize(const std::string& s, bool nfd) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n =
      nfd ? icu::Normalizer2::getNFDInstance(status) : icu::Normalizer2::getNFCInstance(status);
  EXPECT_TRUE(U_SUCCESS(status));
  icu::UnicodeString out = n->normalize(icu::UnicodeString::fromUTF8(s), status);
  EXPECT_TRUE(U_SUCCESS(status));
  std::string utf8;
  out.toUTF8String(utf8);
  return utf8;
}

void ToNfd(json& j) {
  if (j.is_string()) {
    j = Normalize(j.get<std::string>(), true);
  } else if (j.is_array() || j.is_object()) {
    for (auto& child : j) ToNfd(child);
  }
}

// Collapses every run of whitespace to one space, so text that wraps over lines still matches.
std::string Collapse(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string Cmd(const std::string& command) {
  taicho::testing::CommandResult r = taicho::testing::Run(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.output;
  return r.output;
}

absl::StatusOr<RenderedDocument> RenderJson(const json& j, const std::string& out) {
  absl::StatusOr<DecisionData> data = ParseDecisionJson(j.dump());
  if (!data.ok()) return data.status();
  RenderOptions options;
  options.output_path = out;
  return RenderDecision(*data, options);
}

TEST(RenderDataTest, LoadsTheSample) {
  absl::StatusOr<DecisionData> data = LoadDecisionFile(SamplePath());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->agency.name, "ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC");
  EXPECT_EQ(data->articles.size(), 3u);
  EXPECT_EQ(data->articles[0].clauses[2].points.size(), 2u);
  EXPECT_EQ(data->signer.name, "Nguyễn Văn Bình");
}

TEST(RenderDataTest, BadJsonIsAUsageError) {
  absl::StatusOr<DecisionData> data = ParseDecisionJson("{\"agency\": ");
  ASSERT_FALSE(data.ok());
  EXPECT_TRUE(HasCode(data.status(), ErrorCode::kUsage)) << data.status();
  EXPECT_NE(data.status().message().find("invalid JSON"), std::string::npos) << data.status();
  EXPECT_FALSE(ParseDecisionJson("[1, 2]").ok());
  EXPECT_FALSE(ParseDecisionJson("\"\xff\"").ok());
}

TEST(RenderDataTest, ListsEveryMissingOrMalformedFieldAtOnce) {
  const json j = {{"agency", json::object()},
                  {"number", "12a"},
                  {"date", "2024-02-30"},
                  {"summary", ""},
                  {"legal_bases", json::array()},
                  {"articles", {json::object(), {{"text", "x"}, {"clauses", {{{"text", 3}}}}}}},
                  {"recipients", {"Như trên", ""}},
                  {"signer", {{"title", 5}}}};
  absl::StatusOr<DecisionData> data = ParseDecisionJson(j.dump());
  ASSERT_FALSE(data.ok());
  EXPECT_TRUE(HasCode(data.status(), ErrorCode::kUsage));
  const std::string message(data.status().message());
  for (const char* field :
       {"agency.name: thiếu / missing", "number: chỉ gồm chữ số / digits only",
        "symbol:", "place:", "date: phải là ngày hợp lệ", "type:", "summary: không được để trống",
        "issuing_title:", "legal_bases: cần ít nhất một mục", "articles[0].text: thiếu",
        "articles[1].clauses[0].text: phải là chuỗi ký tự / must be a string",
        "recipients[1]:", "signer.title: phải là chuỗi", "signer.name: thiếu"}) {
    EXPECT_NE(message.find(field), std::string::npos) << field << " not in\n" << message;
  }
  EXPECT_EQ(message.find("agency.parent"), std::string::npos) << message;  // optional
  std::cout << "[ message ] " << message << "\n";

  const json long_number = {{"number", "1234567"}};
  data = ParseDecisionJson(long_number.dump());
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("number: quá dài"), std::string::npos) << data.status();
}

class RenderTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("render"); }
  // With TAICHO_RENDER_KEEP=DIR set, keeps a copy of `pdf` there for looking at.
  static void Keep(const std::string& pdf) {
    if (const char* keep = std::getenv("TAICHO_RENDER_KEEP")) {
      std::error_code ec;
      std::filesystem::copy_file(
          pdf, std::string(keep) + "/" + std::filesystem::path(pdf).filename().string(),
          std::filesystem::copy_options::overwrite_existing, ec);
    }
  }
  std::string dir_;
};

// The strings of the sample that must come back from pdftotext exactly (NFC).
std::vector<std::string> ExpectedStrings(const json& j) {
  std::vector<std::string> out = {
      "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
      "Độc lập - Tự do - Hạnh phúc",
      "Số: 07/QĐ-UBND",
      "Long Phước, ngày 05 tháng 02 năm 2024",
      "QUYẾT ĐỊNH",
      "QUYẾT ĐỊNH:",
      "Nơi nhận:",
      "- Như Điều 3;",
      "- Lưu: VT, TCKT.",
      j["summary"].get<std::string>(),
      j["agency"]["parent"].get<std::string>(),
      j["issuing_title"].get<std::string>(),
      j["signer"]["authority_prefix"].get<std::string>(),
      j["signer"]["name"].get<std::string>(),
      "Điều 1. " + j["articles"][0]["text"].get<std::string>(),
      "a) " + j["articles"][0]["clauses"][2]["points"][0].get<std::string>(),
      "Điều 3. " + j["articles"][2]["text"].get<std::string>(),
  };
  for (const auto& b : j["legal_bases"]) out.push_back(b.get<std::string>());
  for (std::string& s : out) s = Normalize(s, false);
  return out;
}

// The text below the top margin (page numbers live in the margin and would split paragraphs).
std::string BodyText(const std::string& pdf) {
  return Collapse(Cmd("pdftotext -x 0 -y 48 -W 596 -H 794 " + Quote(pdf) + " -"));
}

void ExpectTextOf(const std::string& pdf, const json& nfc_json) {
  const std::string text = BodyText(pdf);
  for (const std::string& s : ExpectedStrings(nfc_json)) {
    EXPECT_NE(text.find(Collapse(s)), std::string::npos) << "missing: " << s << "\nin:\n" << text;
  }
  // The agency name sits in a narrow column; its words come back in order.
  EXPECT_NE(text.find("ỦY BAN NHÂN DÂN"), std::string::npos);
  EXPECT_NE(text.find("LONG PHƯỚC"), std::string::npos);
}

TEST_F(RenderTest, SampleTextFontsAndPageSize) {
  const std::string out = dir_ + "/sample.pdf";
  const json j = SampleJson();
  absl::StatusOr<RenderedDocument> doc = RenderJson(j, out);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->path, out);
  EXPECT_GE(doc->page_count, 1);
  EXPECT_GT(doc->file_size, 1000u);
  EXPECT_FALSE(doc->number_blank.has_value());
  EXPECT_FALSE(doc->date_blank.has_value());
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));

  Keep(out);
  ExpectTextOf(out, j);

  const std::string fonts = Cmd("pdffonts " + Quote(out));
  std::istringstream lines(fonts);
  std::string line;
  int font_lines = 0;
  while (std::getline(lines, line)) {
    if (line.find("LiberationSerif") == std::string::npos) continue;
    ++font_lines;
    EXPECT_NE(line.find("Identity-H"), std::string::npos) << line;
    EXPECT_NE(line.find("yes yes yes"), std::string::npos) << line;  // emb sub uni
    EXPECT_NE(line.find("+"), std::string::npos) << line;            // subset tag
  }
  EXPECT_EQ(font_lines, 4) << fonts;

  const std::string info = Cmd("pdfinfo " + Quote(out));
  EXPECT_NE(info.find("595.28 x 841.89 pts (A4)"), std::string::npos) << info;
  EXPECT_NE(info.find("PDF version:     1.7"), std::string::npos) << info;

  // The signature area lies in the right half of the text area, on the last page.
  const RenderedDocument& r = *doc;
  EXPECT_EQ(r.signature_area.page_index, r.page_count - 1);
  EXPECT_GT(r.signature_area.x, 595.28 / 3);
  EXPECT_NEAR(r.signature_area.height, 30 * 72 / 25.4, 0.01);
  EXPECT_GT(r.signature_area.y, 20 * 72 / 25.4);
  EXPECT_LT(r.signature_area.x + r.signature_area.width, 595.28 - 15 * 72 / 25.4 + 0.01);

  // A rough in-process timing, reported, not asserted.
  absl::StatusOr<DecisionData> data = LoadDecisionFile(SamplePath());
  ASSERT_TRUE(data.ok());
  RenderOptions options;
  options.output_path = dir_ + "/timing.pdf";
  std::vector<double> ms;
  for (int i = 0; i < 30; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(RenderDecision(*data, options).ok());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  std::cout << "[ timing ] sample render: median " << ms[ms.size() / 2] << " ms, min " << ms[0]
            << " ms, " << r.page_count << " page(s), " << r.file_size << " bytes\n";
}

struct BoxWord {
  int page;
  double x_min, y_min, x_max, y_max;
  std::string text;
};

// The words of `pdf` with their boxes (points, origin top-left) from pdftotext -bbox.
std::vector<BoxWord> Boxes(const std::string& pdf) {
  const std::string xml = Cmd("pdftotext -bbox " + Quote(pdf) + " -");
  std::vector<BoxWord> words;
  int page = -1;
  // Lines look like: <word xMin="1" yMin="2" xMax="3" yMax="4">text</word> (no std::regex: GCC 12
  // warns inside <regex>).
  auto attribute = [](const std::string& line, const std::string& name) {
    const size_t at = line.find(name + "=\"");
    return at == std::string::npos ? -1.0 : std::stod(line.substr(at + name.size() + 2));
  };
  std::istringstream lines(xml);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("<page ") != std::string::npos) ++page;
    const size_t open = line.find("<word ");
    const size_t text_at = line.find('>', open);
    const size_t close = line.find("</word>");
    if (open == std::string::npos || text_at == std::string::npos || close == std::string::npos) {
      continue;
    }
    words.push_back({page, attribute(line, "xMin"), attribute(line, "yMin"),
                     attribute(line, "xMax"), attribute(line, "yMax"),
                     line.substr(text_at + 1, close - text_at - 1)});
  }
  return words;
}

const BoxWord* FindWord(const std::vector<BoxWord>& words, const std::string& text, int page = 0) {
  for (const BoxWord& w : words) {
    if (w.page == page && w.text == text) return &w;
  }
  return nullptr;
}

TEST_F(RenderTest, BlocksSitWhereTheDecreePutsThem) {
  const std::string out = dir_ + "/geometry.pdf";
  absl::StatusOr<RenderedDocument> doc = RenderJson(SampleJson(), out);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_EQ(doc->page_count, 2);
  const std::vector<BoxWord> words = Boxes(out);
  constexpr double kMm = 72 / 25.4;
  const double left = 30 * kMm, right = 595.28 - 15 * kMm, top = 20 * kMm,
               bottom = 841.89 - 20 * kMm;
  double min_x = 1e9, max_x = 0, min_y = 1e9, max_y = 0;
  for (const BoxWord& w : words) {
    if (w.page == 1 && w.text == "2" && w.y_max < top) continue;  // the page number
    min_x = std::min(min_x, w.x_min);
    max_x = std::max(max_x, w.x_max);
    min_y = std::min(min_y, w.y_min);
    max_y = std::max(max_y, w.y_max);
  }
  EXPECT_NEAR(min_x, left, 1.5);   // justified body lines start at the left margin…
  EXPECT_NEAR(max_x, right, 1.5);  // …and end at the right one
  EXPECT_GE(min_y, top - 0.5);
  EXPECT_LE(max_y, bottom + 0.5);

  const double middle = (left + right) / 2;
  // Quốc hiệu on the right, agency on the left, on the same first line.
  const BoxWord* cong = FindWord(words, "CỘNG");
  const BoxWord* nam = FindWord(words, "NAM");
  const BoxWord* uy = FindWord(words, "ỦY");
  ASSERT_TRUE(cong && nam && uy);
  EXPECT_GT(cong->x_min, left + 0.3 * (right - left));
  EXPECT_LT(uy->x_max, cong->x_min);
  EXPECT_NEAR(uy->y_max, cong->y_max, 1);
  // The document type is centred on the text area.
  const BoxWord* quyet = nullptr;
  for (const BoxWord& w : words) {
    if (w.page == 0 && w.text == "QUYẾT" && w.y_min > nam->y_max + 40) {
      quyet = &w;
      break;
    }
  }
  ASSERT_TRUE(quyet);
  const BoxWord* dinh = nullptr;
  for (const BoxWord& w : words) {
    if (w.page == 0 && w.text == "ĐỊNH" && std::abs(w.y_min - quyet->y_min) < 0.5) dinh = &w;
  }
  ASSERT_TRUE(dinh);
  EXPECT_NEAR((quyet->x_min + dinh->x_max) / 2, middle, 1);
  // Recipients on the left and the signer on the right, level with each other, on the last page.
  const BoxWord* noi = FindWord(words, "Nơi", 1);
  const BoxWord* tm = FindWord(words, "TM.", 1);
  ASSERT_TRUE(noi && tm);
  EXPECT_NEAR(noi->x_min, left, 1);
  EXPECT_GT(tm->x_min, middle - 30);
  EXPECT_NEAR(noi->y_min, tm->y_min, 3);
  // The signature area lies between the title and the name.
  const BoxWord* chu = nullptr;
  for (const BoxWord& w : words) {
    if (w.page == 1 && w.text == "CHỦ" && w.y_min > tm->y_min) chu = &w;
  }
  const BoxWord* binh = FindWord(words, "Bình", 1);
  ASSERT_TRUE(chu && binh);
  const PageRect& sig = doc->signature_area;
  EXPECT_EQ(sig.page_index, 1);
  EXPECT_GE(841.89 - (sig.y + sig.height), chu->y_max - 1);
  EXPECT_LE(841.89 - sig.y, binh->y_min + 1);
  EXPECT_GE(binh->x_min, sig.x);
  EXPECT_LE(binh->x_max, sig.x + sig.width);
  // The page number: page 2 only, centred in the top margin.
  const BoxWord* number = FindWord(words, "2", 1);
  ASSERT_TRUE(number);
  EXPECT_LT(number->y_max, top);
  EXPECT_NEAR((number->x_min + number->x_max) / 2, middle, 1);
  for (const BoxWord& w : words) {
    if (w.page == 0) {
      EXPECT_GE(w.y_min, top - 0.5) << w.text;
    }
  }
}

TEST_F(RenderTest, DecomposedInputComesOutComposed) {
  const json nfc = SampleJson();
  json nfd = nfc;
  ToNfd(nfd);
  ASSERT_NE(nfd.dump(), nfc.dump());  // the test really feeds NFD
  const std::string out = dir_ + "/nfd.pdf";
  absl::StatusOr<RenderedDocument> doc = RenderJson(nfd, out);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ExpectTextOf(out, nfc);
}

TEST_F(RenderTest, BlankNumberAndDateLeaveRoomForTheIssueStep) {
  json j = SampleJson();
  j.erase("number");
  j["date"] = "";
  const std::string out = dir_ + "/draft.pdf";
  absl::StatusOr<RenderedDocument> doc = RenderJson(j, out);
  ASSERT_TRUE(doc.ok()) << doc.status();
  Keep(out);
  ASSERT_TRUE(doc->number_blank.has_value());
  ASSERT_TRUE(doc->date_blank.has_value());
  EXPECT_LT(doc->number_blank->x, 595.28 / 2);
  EXPECT_GT(doc->date_blank->x, 595.28 / 2);
  EXPECT_GT(doc->date_blank->width, doc->number_blank->width);
  const std::string text = Collapse(Cmd("pdftotext " + Quote(out) + " -"));
  EXPECT_NE(text.find("/QĐ-UBND"), std::string::npos) << text;
  EXPECT_NE(text.find("Long Phước, ngày"), std::string::npos) << text;
}

TEST_F(RenderTest, LongDecisionFlowsOverPagesWithPageNumbers) {
  json j = SampleJson();
  json articles = json::array();
  for (int i = 0; i < 35; ++i) articles.push_back(j["articles"][i % 3]);
  j["articles"] = articles;
  const std::string out = dir_ + "/long.pdf";
  absl::StatusOr<RenderedDocument> doc = RenderJson(j, out);
  ASSERT_TRUE(doc.ok()) << doc.status();
  Keep(out);
  EXPECT_GE(doc->page_count, 2);
  EXPECT_EQ(doc->signature_area.page_index, doc->page_count - 1);
  const std::string info = Cmd("pdfinfo " + Quote(out));
  EXPECT_NE(info.find("Pages:           " + std::to_string(doc->page_count)), std::string::npos)
      << info;

  const std::string first = Cmd("pdftotext -f 1 -l 1 -layout " + Quote(out) + " -");
  const std::string second = Cmd("pdftotext -f 2 -l 2 -layout " + Quote(out) + " -");
  std::istringstream second_lines(second);
  std::string top_line;
  while (std::getline(second_lines, top_line) && Collapse(top_line).empty()) {
  }
  EXPECT_EQ(Collapse(top_line), "2") << second;
  const std::string all = Collapse(Cmd("pdftotext " + Quote(out) + " -"));
  EXPECT_NE(all.find("Điều 35."), std::string::npos);
  EXPECT_EQ(first.find("\n1\n"), std::string::npos);  // no number on page 1
  // The signer block is not alone on its page: body text precedes it there.
  const std::string last =
      Collapse(Cmd("pdftotext -x 0 -y 48 -W 596 -H 794 -f " + std::to_string(doc->page_count) +
                   " -l " + std::to_string(doc->page_count) + " " + Quote(out) + " -"));
  EXPECT_GT(last.find("Nơi nhận:"), 10u) << last;
  EXPECT_NE(last.find("chấm dứt hoạt động kinh doanh."), std::string::npos) << last;
}

TEST_F(RenderTest, SignerBlockIsNeverAloneOnAPage) {
  // Body lengths around every page end: the signer block either fits under the body or moves
  // to a new page with the last body lines.
  const json sample = SampleJson();
  for (int n = 3; n <= 14; ++n) {
    json j = sample;
    json articles = json::array();
    for (int i = 0; i < n; ++i) articles.push_back(sample["articles"][i % 3]);
    j["articles"] = articles;
    const std::string out = dir_ + "/flow" + std::to_string(n) + ".pdf";
    absl::StatusOr<RenderedDocument> doc = RenderJson(j, out);
    ASSERT_TRUE(doc.ok()) << doc.status();
    Keep(out);
    const std::string page = std::to_string(doc->page_count);
    const std::string last = Collapse(Cmd("pdftotext -x 0 -y 48 -W 596 -H 794 -f " + page + " -l " +
                                          page + " " + Quote(out) + " -"));
    const size_t at = last.find("Nơi nhận:");
    ASSERT_NE(at, std::string::npos) << n << " articles: " << last;
    EXPECT_GT(at, 20u) << n << " articles: the signer block is alone on page " << page;
  }
}

TEST_F(RenderTest, CharacterOutsideTheFontIsNamed) {
  json j = SampleJson();
  j["articles"][1]["text"] = "Hộ kinh doanh 一 có trách nhiệm.";
  const std::string out = dir_ + "/cjk.pdf";
  absl::StatusOr<RenderedDocument> doc = RenderJson(j, out);
  ASSERT_FALSE(doc.ok());
  EXPECT_TRUE(HasCode(doc.status(), ErrorCode::kUsage)) << doc.status();
  const std::string message(doc.status().message());
  EXPECT_NE(message.find("U+4E00"), std::string::npos) << message;
  EXPECT_NE(message.find("articles[1].text"), std::string::npos) << message;
  std::cout << "[ message ] " << message << "\n";
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));
}

TEST_F(RenderTest, LongWordAndMissingFontDir) {
  json j = SampleJson();
  j["articles"][1]["text"] = std::string(400, 'W');
  const std::string out = dir_ + "/longword.pdf";
  absl::StatusOr<RenderedDocument> doc = RenderJson(j, out);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const std::string text = Collapse(Cmd("pdftotext " + Quote(out) + " -"));
  size_t ws = 0;
  for (char c : text) ws += c == 'W';
  EXPECT_EQ(ws, 400u);

  absl::StatusOr<DecisionData> data = LoadDecisionFile(SamplePath());
  ASSERT_TRUE(data.ok());
  RenderOptions options;
  options.output_path = dir_ + "/nofont.pdf";
  options.font_dir = dir_ + "/nowhere";
  absl::StatusOr<RenderedDocument> bad = RenderDecision(*data, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(HasCode(bad.status(), ErrorCode::kIo)) << bad.status();
  options.font_dir = RenderOptions().font_dir;
  options.body_size = -1;
  bad = RenderDecision(*data, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(HasCode(bad.status(), ErrorCode::kUsage)) << bad.status();
  EXPECT_NE(bad.status().message().find("body_size"), std::string::npos) << bad.status();
  options.body_size = RenderOptions().body_size;
  options.output_path = dir_ + "/no/such/dir/out.pdf";
  bad = RenderDecision(*data, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(HasCode(bad.status(), ErrorCode::kIo)) << bad.status();
}

}  // namespace
}  // namespace taicho::render
