// pdf/subset_font.h: fonts parsed once per owner (FontFiles), subsets embedded by us. Checked with
// tools we did not write: pdffonts (embedded, subset, ToUnicode), pdftotext (the Vietnamese text
// comes back), qpdf --check, and pdftoppm (the glyphs draw: the page is not blank).
#include "pdf/subset_font.h"

#include <gtest/gtest.h>
#include <podofo/podofo.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "errors/error.h"
#include "pdf/podofo_init.h"
#include "tests/support/checkers.h"
#include "tests/support/raster.h"

namespace taicho::pdf {
namespace {

constexpr char kRegular[] = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf";
constexpr char kItalic[] = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Italic.ttf";

std::string Cmd(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  return out;
}

class SubsetFontTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitPodofo();
    dir_ = std::filesystem::temp_directory_path() /
           ("subset-font-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(SubsetFontTest, AFileIsParsedOncePerProcessAndAMissingOneIsNamed) {
  FontFiles files;
  absl::StatusOr<std::shared_ptr<const FontFile>> a = files.Open(kRegular);
  absl::StatusOr<std::shared_ptr<const FontFile>> b = files.Open(kRegular);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ((*a)->postscript_name(), "LiberationSerif");
  EXPECT_NE((*a)->Glyph(U'ệ'), 0u);
  EXPECT_EQ((*a)->Glyph(U'\U0001F600'), 0u);                // no emoji in Liberation Serif
  EXPECT_DOUBLE_EQ((*a)->Advance((*a)->Glyph(U' ')), 250);  // Times metrics

  const std::string missing = (dir_ / "NoSuchFont.ttf").string();
  absl::StatusOr<std::shared_ptr<const FontFile>> none = files.Open(missing);
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(HasCode(none.status(), ErrorCode::kIo)) << none.status();
  EXPECT_NE(std::string(none.status().message()).find(missing), std::string::npos);

  // Not a font: refused, not embedded.
  const std::string junk = (dir_ / "junk.ttf").string();
  {
    std::FILE* f = std::fopen(junk.c_str(), "wb");
    std::fputs("not a font", f);
    std::fclose(f);
  }
  EXPECT_TRUE(HasCode(files.Open(junk).status(), ErrorCode::kIo));
}

TEST_F(SubsetFontTest, EmbeddedSubsetsAreSmallSearchableAndDraw) {
  const std::string text = "Độc lập - Tự do - Hạnh phúc: Nguyễn Thị Ánh Tuyết, ỦY BAN";
  const std::string out = (dir_ / "subset.pdf").string();
  {
    PoDoFo::PdfMemDocument doc;
    PoDoFo::PdfPage* page = doc.CreatePage(PoDoFo::PdfRect(0, 0, 595.28, 841.89));
    FontFiles files;
    SubsetFont regular(*files.Open(kRegular), &doc.GetObjects());
    SubsetFont italic(*files.Open(kItalic), &doc.GetObjects());
    const std::string content = "BT /R 14 Tf 72 700 Td " + regular.Show(text) +
                                " Tj ET\nBT /I 14 Tf 72 660 Td " + italic.Show("Nơi nhận:") +
                                " Tj ET\n";
    SetDeflatedStream(page->GetContents(), content, 6);
    PoDoFo::PdfDictionary fonts;
    fonts.AddKey("R", regular.reference());
    fonts.AddKey("I", italic.reference());
    page->GetResources()->GetDictionary().AddKey("Font", fonts);
    ASSERT_TRUE(regular.Embed(1).ok());
    ASSERT_TRUE(italic.Embed(1).ok());
    doc.Write(out.c_str());
  }
  std::string qpdf;
  EXPECT_TRUE(taicho::testing::QpdfCheckPasses(out, &qpdf)) << qpdf;
  const std::string fonts = Cmd("pdffonts " + out);
  EXPECT_NE(fonts.find("+LiberationSerif "), std::string::npos) << fonts;
  EXPECT_NE(fonts.find("+LiberationSerif-Italic "), std::string::npos) << fonts;
  EXPECT_EQ(fonts.find(" no "), std::string::npos) << fonts;  // emb sub uni: yes yes yes
  const std::string extracted = Cmd("pdftotext -raw " + out + " -");
  EXPECT_NE(extracted.find(text), std::string::npos) << extracted;
  EXPECT_NE(extracted.find("Nơi nhận:"), std::string::npos) << extracted;
  // A few glyphs of two faces, without hinting or layout tables: a few kilobytes, not the
  // 400 KB files nor PoDoFo's ~15 KB subsets.
  EXPECT_LT(std::filesystem::file_size(out), 12000u);

  // The glyphs draw: ink where the line is.
  ASSERT_EQ(
      std::system(
          ("pdftoppm -r 50 -png -singlefile " + out + " " + (dir_ / "page").string()).c_str()),
      0);
  std::optional<taicho::testing::RgbImage> image =
      taicho::testing::LoadPng((dir_ / "page.png").string());
  ASSERT_TRUE(image.has_value());
  int dark = 0;
  for (int y = 0; y < image->height; ++y) {
    for (int x = 0; x < image->width; ++x) {
      if (image->at(x, y)[0] < 128) ++dark;
    }
  }
  EXPECT_GT(dark, 200);
}

// Documents built at once in several threads share the parsed files (taichod renders from its
// request threads): every one comes out whole and searchable.
TEST_F(SubsetFontTest, ThreadsShareTheParsedFiles) {
  constexpr int kThreads = 4, kEach = 5;
  std::vector<std::thread> threads;
  std::vector<std::string> outs;
  FontFiles files;  // one owner's, shared by the threads
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      outs.push_back(
          (dir_ / ("t" + std::to_string(t) + "-" + std::to_string(i) + ".pdf")).string());
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        PoDoFo::PdfMemDocument doc;
        PoDoFo::PdfPage* page = doc.CreatePage(PoDoFo::PdfRect(0, 0, 595.28, 841.89));
        SubsetFont font(*files.Open(t % 2 ? kItalic : kRegular), &doc.GetObjects());
        const std::string line = "Luồng " + std::to_string(t) + " bản " + std::to_string(i);
        SetDeflatedStream(page->GetContents(),
                          "BT /R 14 Tf 72 700 Td " + font.Show(line) + " Tj ET", 1);
        PoDoFo::PdfDictionary fonts;
        fonts.AddKey("R", font.reference());
        page->GetResources()->GetDictionary().AddKey("Font", fonts);
        if (!font.Embed(1).ok()) return;
        doc.Write(outs[t * kEach + i].c_str());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      const std::string& out = outs[t * kEach + i];
      ASSERT_TRUE(std::filesystem::exists(out)) << out;
      EXPECT_TRUE(taicho::testing::QpdfCheckPasses(out)) << out;
      const std::string line = "Luồng " + std::to_string(t) + " bản " + std::to_string(i);
      EXPECT_NE(Cmd("pdftotext -raw " + out + " -").find(line), std::string::npos) << out;
    }
  }
}

}  // namespace
}  // namespace taicho::pdf
