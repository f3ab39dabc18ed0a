// The print rendition (print/): a decision rendered, approved and sealed through the command
// line, then `taicho print-copy`; checked with poppler (pdftotext, pdftoppm, pdfsig), zbar and
// qpdf — tools we did not write.
#include <sys/stat.h>

#include <string>

#include "gtest/gtest.h"
#include "print/print_rendition.h"
#include "tests/support/checkers.h"
#include "tests/support/commands.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/raster.h"
#include "tests/support/sample_images.h"

namespace taicho {
namespace {

using namespace taicho::testing;

constexpr char kReference[] = "UBND-LP-2026-000123";
constexpr char kUrl[] = "https://tracuu.example.vn/v/UBND-LP-2026-000123";
constexpr char kOfficer[] = "Trần Thị Bích";
constexpr int kDpi = 150;
constexpr double kPointsPerMm = 72 / 25.4;

// A sealed decision (officer image + red seal), made once per process.
struct Sealed {
  std::string dir, pdf;
};
const Sealed& SealedDecision() {
  static const Sealed sealed = [] {
    const std::string dir = MakeTempDir("print");
    const std::string pki = GetSamplePki().dir;
    auto r = Sh(Taicho("render --kind quyet-dinh-ubnd --data " +
                       Quote(testing::SourceDir() + "/render/samples/quyet-dinh-ubnd.json") +
                       " --out " + Quote(dir + "/draft.pdf")));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    r = Sh("echo taicho | " +
           Taicho("sign --in " + Quote(dir + "/draft.pdf") + " --out " +
                  Quote(dir + "/approved.pdf") + " --p12 " + Quote(pki + "/officer-an.p12") +
                  " --pin-stdin --appearance officer --image " +
                  Quote(testing::SampleImages().signature)));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    r = Sh("echo taicho | " +
           Taicho("sign --in " + Quote(dir + "/approved.pdf") + " --out " +
                  Quote(dir + "/sealed.pdf") + " --p12 " + Quote(pki + "/seal.p12") +
                  " --pin-stdin --appearance seal --image " + Quote(testing::SampleImages().seal)));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return Sealed{dir, dir + "/sealed.pdf"};
  }();
  return sealed;
}

int PageCount(const std::string& pdf) {
  auto r = Sh("pdfinfo " + Quote(pdf) + " | awk '/^Pages:/ {print $2}'");
  return std::atoi(r.output.c_str());
}

std::optional<testing::RgbImage> Raster(const std::string& pdf, int page, const std::string& png) {
  if (!testing::RenderPage(pdf, page, kDpi, png)) return std::nullopt;
  return testing::LoadPng(png);
}

// Pixels whose colour differs by more than 48 in a channel, in rows [from_row, to_row).
int DifferingPixels(const testing::RgbImage& a, const testing::RgbImage& b, int from_row,
                    int to_row) {
  int n = 0;
  for (int y = from_row; y < to_row; ++y) {
    for (int x = 0; x < a.width; ++x) {
      const uint8_t* p = a.at(x, y);
      const uint8_t* q = b.at(x, y);
      for (int c = 0; c < 3; ++c) {
        if (std::abs(int{p[c]} - int{q[c]}) > 48) {
          ++n;
          break;
        }
      }
    }
  }
  return n;
}

// Red (the seal) and blue (the officer's ink) pixels.
void CountInk(const testing::RgbImage& img, int* red, int* blue) {
  *red = *blue = 0;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = img.at(x, y);
      if (p[0] > 150 && p[1] < 100 && p[2] < 100) ++*red;
      if (p[2] > 120 && p[0] < 100 && p[1] < 120) ++*blue;
    }
  }
}

TEST(PrintRendition, CarriesTheMarkOnEveryPageAndLeavesTheOriginalUnchanged) {
  const Sealed& sealed = SealedDecision();
  const std::string before = Slurp(sealed.pdf);
  ASSERT_FALSE(before.empty());
  const std::string out = sealed.dir + "/print.pdf";
  auto r = Sh(Taicho("print-copy " + Quote(sealed.pdf) + " --out " + Quote(out) + " --officer " +
                     Quote(kOfficer) + " --reference " + kReference + " --url " + kUrl +
                     " --system " + Quote("Cổng dịch vụ công tỉnh (taicho)")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Slurp(sealed.pdf), before) << "the signed original must stay byte-identical";

  std::string qpdf;
  EXPECT_TRUE(testing::QpdfCheckPasses(out, &qpdf)) << qpdf;
  // Not the original: no signatures travel with the print file.
  auto pdfsig = testing::RunPdfsig(out);
  EXPECT_EQ(pdfsig.signatures, 0) << pdfsig.output;

  const int pages = PageCount(sealed.pdf);
  ASSERT_GE(pages, 2);
  EXPECT_EQ(PageCount(out), pages);
  for (int page = 1; page <= pages; ++page) {
    SCOPED_TRACE(page);
    auto text = Sh("pdftotext -f " + std::to_string(page) + " -l " + std::to_string(page) + " " +
                   Quote(out) + " -");
    ASSERT_EQ(text.exit_code, 0);
    for (const std::string& expected :
         {std::string("Bản in từ văn bản điện tử"),
          std::string("Hệ thống lưu bản gốc: Cổng dịch vụ công tỉnh (taicho)"),
          std::string("Mã tra cứu: ") + kReference, std::string("Người chuyển đổi: ") + kOfficer,
          std::string("+07:00")}) {
      EXPECT_NE(text.output.find(expected), std::string::npos) << expected << "\n" << text.output;
    }
    const std::string png = sealed.dir + "/print-" + std::to_string(page) + ".png";
    auto print = Raster(out, page, png);
    auto original = Raster(sealed.pdf, page, sealed.dir + "/orig-" + std::to_string(page) + ".png");
    ASSERT_TRUE(print && original);
    ASSERT_EQ(print->width, original->width);
    ASSERT_EQ(print->height, original->height);
    // The mark lies in the bottom margin (20 mm): everything above it is exactly the original,
    // the flattened signature appearances included; the bottom margin did change.
    const int margin_rows = static_cast<int>(20 * kPointsPerMm * kDpi / 72);
    EXPECT_EQ(DifferingPixels(*print, *original, 0, print->height - margin_rows), 0);
    EXPECT_GT(DifferingPixels(*print, *original, print->height - margin_rows, print->height), 500);
    // The mark's QR code carries the verification URL (the last page also has the draft's own).
    auto zbar = Sh("zbarimg -q --raw " + Quote(png));
    EXPECT_NE(zbar.output.find(kUrl), std::string::npos) << zbar.output;
  }
  // The signature page shows the officer's ink and the red seal as the original does.
  auto print = testing::LoadPng(sealed.dir + "/print-" + std::to_string(pages) + ".png");
  ASSERT_TRUE(print);
  int red = 0, blue = 0;
  CountInk(*print, &red, &blue);
  EXPECT_GT(red, 1000) << "the seal";
  EXPECT_GT(blue, 300) << "the officer's signature";
}

// The objects in a file's cross-reference that are in use (qpdf's view).
int ObjectsInUse(const std::string& pdf) {
  auto r = Sh("qpdf --show-xref " + Quote(pdf) + " | grep -c -v ': free'");
  return std::atoi(r.output.c_str());
}

TEST(PrintRendition, HoldsOnlyWhatItDraws) {
  const Sealed& sealed = SealedDecision();
  print::ConversionMark mark;
  mark.reference = kReference;
  mark.officer = kOfficer;
  const std::string out = sealed.dir + "/only-drawn.pdf";
  auto made = print::MakePrintRendition(sealed.pdf, out, mark);
  ASSERT_TRUE(made.ok()) << made.status();
  // The two signature dictionaries and their fields at least.
  EXPECT_GE(made->dropped_objects, 4);
  const std::string bytes = Slurp(out);
  EXPECT_EQ(bytes.find("/ByteRange"), std::string::npos);
  EXPECT_EQ(bytes.find("/Type /Sig"), std::string::npos);
  EXPECT_EQ(bytes.find("/Type/Sig"), std::string::npos);
  std::string qpdf;
  EXPECT_TRUE(testing::QpdfCheckPasses(out, &qpdf)) << qpdf;
  // No unreferenced object: qpdf, which writes only what the trailer reaches, keeps every one.
  const std::string rewritten = sealed.dir + "/only-drawn-qpdf.pdf";
  ASSERT_EQ(Sh("qpdf --object-streams=disable " + Quote(out) + " " + Quote(rewritten)).exit_code,
            0);
  EXPECT_EQ(ObjectsInUse(out), ObjectsInUse(rewritten));
  // Smaller than the signed file, though it adds the mark (a font subset and a QR code): it
  // used to carry the two signature dictionaries along and be larger (196 524 bytes from a
  // 167 825-byte sealed decision; now 155 706).
  const std::string original = Slurp(sealed.pdf);
  size_t contents = 0;
  for (size_t at = original.find("/Contents <"); at != std::string::npos;
       at = original.find("/Contents <", at + 1)) {
    contents += original.find('>', at) - at;
  }
  EXPECT_GT(contents, 10000u) << "the signature values the rendition must not carry";
  EXPECT_LT(made->file_size, original.size());
  auto text = Sh("pdftotext " + Quote(out) + " -");
  EXPECT_NE(text.output.find("Bản in từ văn bản điện tử"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("QUYẾT ĐỊNH"), std::string::npos) << text.output;
  // Our verifier finds no signature in it, and no trace of one removed or hidden.
  auto verify = Sh(Taicho("verify " + Quote(out)));
  EXPECT_EQ(verify.output.find("removed or hidden"), std::string::npos) << verify.output;
  EXPECT_EQ(verify.output.find("ByteRange"), std::string::npos) << verify.output;
}

TEST(PrintRendition, WordingIsConfigurableAndTimeIsVietnamIso8601) {
  const Sealed& sealed = SealedDecision();
  print::ConversionMark mark;
  mark.wording = "Bản in từ văn bản điện tử của UBND tỉnh Đồng Nai";
  mark.reference = kReference;
  mark.officer = kOfficer;
  mark.time_ms = 1795833045000;  // 2026-11-28T02:30:45Z
  const std::string out = sealed.dir + "/wording.pdf";
  auto r = print::MakePrintRendition(sealed.pdf, out, mark);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->time_iso, "2026-11-28T09:30:45+07:00");
  EXPECT_EQ(r->flattened_appearances, 2);  // the officer's image and the seal
  auto text = Sh("pdftotext " + Quote(out) + " -");
  EXPECT_NE(text.output.find(mark.wording), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("Thời điểm chuyển đổi: 2026-11-28T09:30:45+07:00"), std::string::npos);
  // Without the QR's URL, the code carries the reference itself.
  auto print = Raster(out, 1, sealed.dir + "/wording-1.png");
  ASSERT_TRUE(print);
  auto zbar = Sh("zbarimg -q --raw " + Quote(sealed.dir + "/wording-1.png"));
  EXPECT_NE(zbar.output.find(kReference), std::string::npos) << zbar.output;
}

TEST(PrintRendition, RefusesMissingOfficerSamePathAndTextTooLong) {
  const Sealed& sealed = SealedDecision();
  print::ConversionMark mark;
  mark.reference = kReference;
  auto r = print::MakePrintRendition(sealed.pdf, sealed.dir + "/x.pdf", mark);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  mark.officer = kOfficer;
  r = print::MakePrintRendition(sealed.pdf, sealed.pdf, mark);
  EXPECT_FALSE(r.ok());
  mark.system_name = std::string(300, 'x');
  r = print::MakePrintRendition(sealed.pdf, sealed.dir + "/x.pdf", mark);
  EXPECT_FALSE(r.ok());
  struct stat st {};
  EXPECT_NE(::stat((sealed.dir + "/x.pdf").c_str(), &st), 0) << "no partial output";
  // Not a PDF.
  mark.system_name = "taicho";
  r = print::MakePrintRendition(testing::SampleImages().seal, sealed.dir + "/x.pdf", mark);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace taicho
