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
#include "render/document_data.h"
#include "render/document_kind.h"
#include "render/document_renderer.h"
#include "render/kind_cache.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/raster.h"

namespace taicho::render {
namespace {

using nlohmann::json;
using taicho::testing::MakeTempDir;
using taicho::testing::Quote;
using taicho::testing::SourceDir;

std::string SamplePath() { return SourceDir() + "/render/samples/quyet-dinh-ubnd.json"; }
std::string KindsDir() { return SourceDir() + "/render/kinds"; }

const DocumentKind& DecisionKind() {
  static const DocumentKind* kind = [] {
    absl::StatusOr<DocumentKind> k = LoadKind(KindsDir(), "quyet-dinh-ubnd");
    if (!k.ok()) {
      std::cerr << k.status() << "\n";
      std::abort();
    }
    return new DocumentKind(*std::move(k));
  }();
  return *kind;
}

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

absl::StatusOr<RenderedDocument> RenderJson(const json& j, const std::string& out,
                                            const DocumentKind& kind = DecisionKind()) {
  absl::StatusOr<DocumentData> data = ParseDocumentJson(j.dump(), kind);
  if (!data.ok()) return data.status();
  RenderOptions options;
  options.output_path = out;
  return RenderDocument(kind, *data, options);
}

TEST(RenderDataTest, LoadsTheSample) {
  absl::StatusOr<DocumentData> data = LoadDocumentFile(SamplePath(), DecisionKind());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->lists.at("legal_bases").size(), 4u);
  EXPECT_EQ(data->texts.at("issuing_title"), "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC");
  EXPECT_EQ(data->verification.code, "TC-2026-000122");
  EXPECT_EQ(data->agency.name, "ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC");
  EXPECT_EQ(data->articles.size(), 3u);
  EXPECT_EQ(data->articles[0].clauses[2].points.size(), 2u);
  EXPECT_EQ(data->signer.name, "Nguyễn Văn An");
}

TEST(RenderDataTest, BadJsonIsAUsageError) {
  absl::StatusOr<DocumentData> data = ParseDocumentJson("{\"agency\": ", DecisionKind());
  ASSERT_FALSE(data.ok());
  EXPECT_TRUE(HasCode(data.status(), ErrorCode::kDataInvalid)) << data.status();
  EXPECT_NE(data.status().message().find("invalid JSON"), std::string::npos) << data.status();
  EXPECT_FALSE(ParseDocumentJson("[1, 2]", DecisionKind()).ok());
  EXPECT_FALSE(ParseDocumentJson("\"\xff\"", DecisionKind()).ok());
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
  absl::StatusOr<DocumentData> data = ParseDocumentJson(j.dump(), DecisionKind());
  ASSERT_FALSE(data.ok());
  EXPECT_TRUE(HasCode(data.status(), ErrorCode::kDataInvalid));
  const std::string message(data.status().message());
  for (const char* field :
       {"agency.name: thiếu / missing", "number: chỉ gồm chữ số / digits only",
        "place:", "date: phải là ngày hợp lệ", "summary: không được để trống",
        "issuing_title:", "legal_bases: cần ít nhất một mục", "articles[0].text: thiếu",
        "articles[1].clauses[0].text: phải là chuỗi ký tự / must be a string",
        "recipients[1]:", "signer.title: phải là chuỗi", "signer.name: thiếu"}) {
    EXPECT_NE(message.find(field), std::string::npos) << field << " not in\n" << message;
  }
  EXPECT_EQ(message.find("agency.parent"), std::string::npos) << message;  // optional
  std::cout << "[ message ] " << message << "\n";

  const json long_number = {{"number", "1234567"}};
  data = ParseDocumentJson(long_number.dump(), DecisionKind());
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
      "Long Phước, ngày 05 tháng 02 năm 2026",
      "QUYẾT ĐỊNH",
      "QUYẾT ĐỊNH:",
      "Nơi nhận:",
      "- Như Điều 3;",
      "- Lưu: VT, KT.",
      j["summary"].get<std::string>(),
      j["issuing_title"].get<std::string>(),
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
    if (w.y_min > bottom) {  // only the QR code's caption lives in the bottom margin
      EXPECT_EQ(w.page, 1) << w.text;
      EXPECT_NE(std::string("Mã tra cứu bản gốc điện tử: TC-2026-000122").find(w.text),
                std::string::npos)
          << w.text;
      continue;
    }
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
  // The chairman signs himself: his title heads the signer block, no "TM." line above it.
  const BoxWord* noi = FindWord(words, "Nơi", 1);
  const BoxWord* chu = FindWord(words, "CHỦ", 1);
  ASSERT_TRUE(noi && chu);
  EXPECT_EQ(FindWord(words, "TM.", 1), nullptr);
  EXPECT_NEAR(noi->x_min, left, 1);
  EXPECT_GT(chu->x_min, middle - 30);
  EXPECT_NEAR(noi->y_min, chu->y_min, 3);
  // The signature area lies between the title and the name.
  const BoxWord* binh = nullptr;  // the name's last word, "An"
  for (const BoxWord& w : words) {
    if (w.page == 1 && w.text == "An" && w.y_min > chu->y_min && binh == nullptr) binh = &w;
  }
  ASSERT_TRUE(binh);
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
  // Each line's field is its whole column: the number's the left one, the date's the right.
  EXPECT_LT(doc->number_blank->x + doc->number_blank->width / 2, 595.28 / 2);
  EXPECT_NEAR(doc->date_blank->x, doc->number_blank->x + doc->number_blank->width, 0.01);
  EXPECT_GT(doc->date_blank->x + doc->date_blank->width / 2, 595.28 / 2);
  EXPECT_GT(doc->date_blank->width, doc->number_blank->width);
  EXPECT_NEAR(doc->date_blank->y, doc->number_blank->y, 1) << "one line";
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
  EXPECT_TRUE(HasCode(doc.status(), ErrorCode::kGlyphMissing)) << doc.status();
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

  absl::StatusOr<DocumentData> data = LoadDocumentFile(SamplePath(), DecisionKind());
  ASSERT_TRUE(data.ok());
  RenderOptions options;
  options.output_path = dir_ + "/nofont.pdf";
  options.font_dir = dir_ + "/nowhere";
  absl::StatusOr<RenderedDocument> bad = RenderDocument(DecisionKind(), *data, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(HasCode(bad.status(), ErrorCode::kIo)) << bad.status();
  options.font_dir = RenderOptions().font_dir;
  options.output_path = dir_ + "/no/such/dir/out.pdf";
  bad = RenderDocument(DecisionKind(), *data, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(HasCode(bad.status(), ErrorCode::kIo)) << bad.status();
}

// ---------------------------------------------------------------------------------------------
// Kinds as data

std::string CertificatePath() { return SourceDir() + "/render/samples/giay-chung-nhan-dkhkd.json"; }

json LoadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

TEST_F(RenderTest, HouseholdBusinessCertificateKind) {
  absl::StatusOr<DocumentKind> kind = LoadKind(KindsDir(), "giay-chung-nhan-dkhkd");
  ASSERT_TRUE(kind.ok()) << kind.status();
  const std::string out = dir_ + "/gcn.pdf";
  const json j = LoadJson(CertificatePath());
  absl::StatusOr<RenderedDocument> doc = RenderJson(j, out, *kind);
  ASSERT_TRUE(doc.ok()) << doc.status();
  Keep(out);
  EXPECT_EQ(doc->page_count, 1);
  const std::string text = Collapse(Cmd("pdftotext " + Quote(out) + " -"));
  for (const std::string& s :
       {std::string("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH"), std::string("Số: 15/GCN-HKD"),
        std::string("Mã số hộ kinh doanh: 49C8001234"),
        std::string("Đăng ký lần đầu: ngày 28 tháng 11 năm 2026"),
        std::string("1. Tên hộ kinh doanh (ghi bằng chữ in hoa): TẠP HÓA THANH HƯƠNG"),
        std::string("4. Vốn kinh doanh: 150.000.000 đồng"), std::string("TRƯỞNG PHÒNG"),
        std::string("Lê Minh Tâm"), std::string("PHÒNG KINH TẾ")}) {
    EXPECT_NE(text.find(s), std::string::npos) << "missing: " << s << "\n" << text;
  }
  EXPECT_EQ(text.find("Nơi nhận"), std::string::npos) << "a certificate has no recipients";
  EXPECT_EQ(text.find("Đăng ký thay đổi"), std::string::npos) << "optional line without data";

  // What this kind needs is listed at once when missing.
  json bad = j;
  bad.erase("registration_code");
  bad.erase("fields");
  bad["first_registration_date"] = "2026-13-01";
  absl::StatusOr<DocumentData> data = ParseDocumentJson(bad.dump(), *kind);
  ASSERT_FALSE(data.ok());
  const std::string message(data.status().message());
  EXPECT_TRUE(HasCode(data.status(), ErrorCode::kDataInvalid));
  EXPECT_NE(message.find("registration_code: thiếu / missing"), std::string::npos) << message;
  EXPECT_NE(message.find("fields: thiếu / missing"), std::string::npos) << message;
  EXPECT_NE(message.find("first_registration_date: phải là ngày hợp lệ"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("recipients"), std::string::npos) << message;
  EXPECT_EQ(message.find("legal_bases"), std::string::npos) << message;
}

TEST_F(RenderTest, AnOperatorAddsAKindByAddingAFile) {
  const std::string kinds = MakeTempDir("kinds");
  {
    std::ofstream f(kinds + "/thong-bao.json");
    f << R"({
      "name": "Thông báo",
      "type": "THÔNG BÁO",
      "symbol": "TB-UBND",
      "style": {"body_size": 14, "line_spacing": 1.3},
      "blocks": [
        {"block": "header"},
        {"block": "title"},
        {"block": "list", "source": "paragraphs", "indent": true},
        {"block": "text", "text": "Hạn cuối: {deadline:date}.", "face": "bold-italic", "align": "right"},
        {"block": "signature"}
      ]
    })";
  }
  EXPECT_EQ(ListKinds(kinds), std::vector<std::string>{"thong-bao"});
  absl::StatusOr<DocumentKind> kind = LoadKind(kinds, "thong-bao");
  ASSERT_TRUE(kind.ok()) << kind.status();
  json j = SampleJson();
  j.erase("type");
  j.erase("symbol");
  j["summary"] = "Về việc lịch tiếp công dân tháng 12";
  j["paragraphs"] = {"Chủ tịch Ủy ban nhân dân xã tiếp công dân vào thứ Năm hằng tuần.",
                     "Địa điểm: Trụ sở Ủy ban nhân dân xã."};
  j["deadline"] = "2026-12-05";
  const std::string out = dir_ + "/tb.pdf";
  absl::StatusOr<RenderedDocument> doc = RenderJson(j, out, *kind);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const std::string text = Collapse(Cmd("pdftotext " + Quote(out) + " -"));
  for (const char* s : {"THÔNG BÁO", "Số: 07/TB-UBND", "thứ Năm hằng tuần.",
                        "Hạn cuối: ngày 05 tháng 12 năm 2026."}) {
    EXPECT_NE(text.find(s), std::string::npos) << s << "\n" << text;
  }
  EXPECT_EQ(text.find("Điều 1."), std::string::npos) << "this kind has no articles";
}

TEST(RenderKindTest, CacheServesAKindUntilItsFileChanges) {
  const std::string dir = MakeTempDir("kind-cache");
  const std::string path = dir + "/thong-bao.json";
  auto write = [&](const std::string& name) {
    std::ofstream(path)
        << R"({"name": ")" << name
        << R"(", "type": "THÔNG BÁO", "blocks": [{"block": "title"}, {"block": "signature"}]})";
  };
  write("Thông báo");
  KindCache cache(dir);
  auto first = cache.Get("thong-bao");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)->name, "Thông báo");
  auto again = cache.Get("thong-bao");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), first->get()) << "an unchanged file is not parsed again";
  // An operator edits the kind: the next ask reads it afresh.
  write("Thông báo lịch tiếp công dân");
  std::filesystem::last_write_time(
      path, std::filesystem::last_write_time(path) + std::chrono::seconds(2));
  auto edited = cache.Get("thong-bao");
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ((*edited)->name, "Thông báo lịch tiếp công dân");
  // Unknown, removed and path-like kinds are errors, never served from memory.
  std::filesystem::remove(path);
  EXPECT_TRUE(HasCode(cache.Get("thong-bao").status(), ErrorCode::kKindUnknown));
  EXPECT_TRUE(HasCode(cache.Get("../thong-bao").status(), ErrorCode::kKindUnknown));
}

TEST(RenderKindTest, UnknownAndBrokenKindsAreNamed) {
  absl::StatusOr<DocumentKind> kind = LoadKind(KindsDir(), "khong-co");
  ASSERT_FALSE(kind.ok());
  EXPECT_TRUE(HasCode(kind.status(), ErrorCode::kKindUnknown)) << kind.status();
  EXPECT_NE(kind.status().message().find("quyet-dinh-ubnd"), std::string::npos)
      << "lists the kinds there are: " << kind.status();
  for (const char* id : {"../render/kinds/quyet-dinh-ubnd", "/etc/passwd", "", "QĐ"}) {
    EXPECT_TRUE(HasCode(LoadKind(KindsDir(), id).status(), ErrorCode::kKindUnknown)) << id;
  }
  kind = ParseKindJson("x", R"({"name": "x", "colour": 1, "style": {"body_size": 99, "zoom": 2},
      "blocks": [{"block": "poster"}, {"block": "text"}, {"block": "list", "face": "wide"}]})");
  ASSERT_FALSE(kind.ok());
  EXPECT_TRUE(HasCode(kind.status(), ErrorCode::kKindInvalid));
  const std::string message(kind.status().message());
  for (const char* s : {"colour: unknown key", "style.body_size: 99 is outside [6, 24]",
                        "style.zoom: unknown style", "blocks[0].block: unknown block 'poster'",
                        "blocks[1].text: missing", "blocks[2].source: missing",
                        "blocks[2].face: unknown face 'wide'", "exactly one signature block"}) {
    EXPECT_NE(message.find(s), std::string::npos) << s << " not in " << message;
  }
  EXPECT_TRUE(HasCode(ParseKindJson("x", "{").status(), ErrorCode::kKindInvalid));
}

// ---------------------------------------------------------------------------------------------
// The draft's signature fields and QR code

TEST_F(RenderTest, DraftHasEmptyPrintableSignatureFieldsWhereTheDecreePutsThem) {
  const std::string out = dir_ + "/fields.pdf";
  absl::StatusOr<RenderedDocument> doc = RenderJson(SampleJson(), out);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const json form = json::parse(Cmd("qpdf --json --json-key=acroform " + Quote(out)))["acroform"];
  ASSERT_EQ(form["fields"].size(), 2u) << form.dump(1);
  EXPECT_EQ(form["fields"][0]["fullname"], "officer");
  EXPECT_EQ(form["fields"][1]["fullname"], "seal");
  for (const json& f : form["fields"]) {
    EXPECT_EQ(f["fieldtype"], "/Sig");
    EXPECT_TRUE(f["value"].is_null()) << "unsigned";
    EXPECT_EQ(f["annotation"]["annotationflags"], 4) << "Print flag";
    EXPECT_EQ(f["pageposfrom1"], doc->page_count);
  }
  const std::string sig = Cmd("pdfsig " + Quote(out));
  EXPECT_NE(sig.find("Signature Field Name: officer"), std::string::npos) << sig;
  EXPECT_NE(sig.find("not signed"), std::string::npos) << sig;

  // The seal at its real size covers the left third of the officer's signature.
  const PageRect& o = doc->signature_area;
  const PageRect& s = doc->seal_area;
  EXPECT_NEAR(s.width, 36 * 72 / 25.4, 0.01);
  EXPECT_NEAR(s.height, s.width, 0.01);
  EXPECT_LT(s.x, o.x);
  EXPECT_GT(s.x + s.width, o.x + o.width / 4);
  EXPECT_LT(s.x + s.width, o.x + o.width / 2);
  EXPECT_NEAR(s.y + s.height / 2, o.y + o.height / 2, 0.01);
}

TEST_F(RenderTest, QrCodeCarriesTheVerificationReferenceOutsideTheTextArea) {
  const json j = SampleJson();
  const std::string out = dir_ + "/qr.pdf";
  absl::StatusOr<RenderedDocument> doc = RenderJson(j, out);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_TRUE(doc->qr_area.has_value());
  const PageRect& qr = *doc->qr_area;
  EXPECT_EQ(qr.page_index, doc->page_count - 1);
  EXPECT_LE(qr.y + qr.height, 20 * 72 / 25.4) << "inside the bottom margin";
  EXPECT_GE(qr.y, 3 * 72 / 25.4) << "not in the printer's dead zone";
  const std::string png = dir_ + "/qr-page.png";
  ASSERT_TRUE(taicho::testing::RenderPage(out, doc->page_count, 300, png));
  // zbarimg (ZBar) is the independent reader; -q keeps its D-Bus chatter out.
  const taicho::testing::CommandResult r =
      taicho::testing::Run("zbarimg -q --raw " + Quote(png) + " 2>/dev/null");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Collapse(r.output), j["verification"]["url"].get<std::string>());
  const std::string text = Collapse(Cmd("pdftotext " + Quote(out) + " -"));
  EXPECT_NE(text.find(j["verification"]["code"].get<std::string>()), std::string::npos);

  json none = j;
  none.erase("verification");
  doc = RenderJson(none, dir_ + "/noqr.pdf");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_FALSE(doc->qr_area.has_value());
}

// ---------------------------------------------------------------------------------------------
// Golden images: a layout change shows up here. Regenerate on purpose only, with
// TAICHO_UPDATE_GOLDEN=1 (writes tests/golden/ in the source tree), and look at the new images.

TEST_F(RenderTest, GoldenImagesOfTheSamples) {
  const bool update = std::getenv("TAICHO_UPDATE_GOLDEN") != nullptr;
  for (const auto& [kind_id, sample] :
       {std::pair{std::string("quyet-dinh-ubnd"), SamplePath()},
        std::pair{std::string("giay-chung-nhan-dkhkd"), CertificatePath()}}) {
    absl::StatusOr<DocumentKind> kind = LoadKind(KindsDir(), kind_id);
    ASSERT_TRUE(kind.ok()) << kind.status();
    const std::string out = dir_ + "/" + kind_id + ".pdf";
    absl::StatusOr<RenderedDocument> doc = RenderJson(LoadJson(sample), out, *kind);
    ASSERT_TRUE(doc.ok()) << doc.status();
    for (int page = 1; page <= doc->page_count; ++page) {
      const std::string name = kind_id + "-" + std::to_string(page) + ".png";
      const std::string golden = SourceDir() + "/tests/golden/" + name;
      const std::string actual = dir_ + "/" + name;
      ASSERT_TRUE(taicho::testing::RenderPage(out, page, 50, actual));
      if (update) {
        std::filesystem::create_directories(SourceDir() + "/tests/golden");
        std::filesystem::copy_file(actual, golden,
                                   std::filesystem::copy_options::overwrite_existing);
        continue;
      }
      std::optional<taicho::testing::RgbImage> want = taicho::testing::LoadPng(golden);
      std::optional<taicho::testing::RgbImage> got = taicho::testing::LoadPng(actual);
      ASSERT_TRUE(want.has_value()) << "no golden image " << golden;
      ASSERT_TRUE(got.has_value());
      const taicho::testing::ImageDiff diff = taicho::testing::CompareImages(*want, *got);
      EXPECT_TRUE(diff.same_size) << name;
      // Anti-aliasing may move a little between poppler builds; a moved line or word does not
      // stay under 0.3 %.
      EXPECT_LT(diff.differing, 0.003) << name << " differs from its golden image in "
                                       << diff.differing * 100 << " % of pixels; see " << actual;
    }
    EXPECT_FALSE(std::filesystem::exists(SourceDir() + "/tests/golden/" + kind_id + "-" +
                                         std::to_string(doc->page_count + 1) + ".png"))
        << "the sample lost a page";
  }
}

TEST_F(RenderTest, HeadingNeverStaysAloneAtAPageFoot) {
  // More and more legal bases push "QUYẾT ĐỊNH:" and the first article across the end of page 1.
  const json sample = SampleJson();
  int crossings = 0;
  for (int n = 4; n <= 22; ++n) {
    json j = sample;
    json bases = json::array();
    for (int i = 0; i < n; ++i) bases.push_back(sample["legal_bases"][i % 4]);
    j["legal_bases"] = bases;
    const std::string out = dir_ + "/heading" + std::to_string(n) + ".pdf";
    absl::StatusOr<RenderedDocument> doc = RenderJson(j, out);
    ASSERT_TRUE(doc.ok()) << doc.status();
    for (int page = 1; page < doc->page_count; ++page) {
      const std::string p = std::to_string(page);
      const std::string text = Cmd("pdftotext -layout -x 0 -y 48 -W 596 -H 738 -f " + p + " -l " +
                                   p + " " + Quote(out) + " -");
      std::istringstream lines(text);
      std::string line, last;
      while (std::getline(lines, line)) {
        if (!Collapse(line).empty()) last = Collapse(line);
      }
      EXPECT_NE(last, "QUYẾT ĐỊNH:") << n << " bases: heading alone at the foot of page " << p;
      EXPECT_NE(last, "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC") << n << " bases, page " << p;
      if (Collapse(Cmd("pdftotext -f " + std::to_string(page + 1) + " -l " +
                       std::to_string(page + 1) + " " + Quote(out) + " -"))
              .find("QUYẾT ĐỊNH:") != std::string::npos) {
        ++crossings;
      }
    }
  }
  EXPECT_GT(crossings, 0) << "the test never moved the heading to page 2";
}

TEST_F(RenderTest, HugeDataIsRefusedWithoutOutput) {
  // 10 MB of text: refused before parsing.
  const std::string big_path = dir_ + "/big.json";
  {
    json j = SampleJson();
    j["articles"][0]["text"] = std::string(10 * 1024 * 1024, 'a');
    std::ofstream(big_path) << j.dump();
  }
  absl::StatusOr<DocumentData> data = LoadDocumentFile(big_path, DecisionKind());
  ASSERT_FALSE(data.ok());
  EXPECT_TRUE(HasCode(data.status(), ErrorCode::kDataInvalid)) << data.status();
  EXPECT_NE(data.status().message().find("data too large"), std::string::npos) << data.status();
  // One paragraph far over its limit, in a file under the total limit.
  json j = SampleJson();
  j["articles"][1]["text"] = std::string(1024 * 1024, 'a');
  j["number"] = "1234567";
  data = ParseDocumentJson(j.dump(), DecisionKind());
  ASSERT_FALSE(data.ok());
  const std::string message(data.status().message());
  EXPECT_NE(message.find("articles[1].text: quá dài"), std::string::npos) << message.substr(0, 300);
  EXPECT_NE(message.find("number: quá dài"), std::string::npos) << message.substr(0, 300);
  EXPECT_LT(message.size(), 2000u) << "the message never echoes the data";
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/out.pdf"));
}

}  // namespace
}  // namespace taicho::render
