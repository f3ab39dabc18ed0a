// Visible signatures end to end: the officer's signature image and the agency's seal filling a
// draft's empty fields, the attachment text block, the split flow and the redo path. Every
// signed PDF is checked by pdfsig, qpdf --check, openssl cms and our verifier; what is drawn is
// checked on pdftoppm's rendering (PPM) and pdftotext's output.
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "pades/pdf_signer.h"
#include "pades/pdf_verifier.h"
#include "signer/certificate_info.h"
#include "tests/support/checkers.h"
#include "tests/support/commands.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_images.h"
#include "tests/support/sample_pdf.h"
#include "tests/support/signed_pdf_checks.h"

namespace taicho::pades {
namespace {

using namespace taicho::testing;

constexpr double kPageHeight = 841.89;  // A4, points
constexpr double kPointsPerMm = 72.0 / 25.4;
// Fixed: 2026-11-28T09:30:45+07:00.
constexpr int64_t kSigningTime = 1795833045;
constexpr char kSigningTimeIso[] = "2026-11-28T09:30:45+07:00";

// The draft's fields: the seal covers the left third of the officer's signature image.
const pdf::Rect kOfficerRect{330, 150, 500, 230};
const pdf::Rect kSealRect{303, 135, 413, 245};

std::vector<EmptySignatureField> DraftFields() {
  return {
      {"officer", 0, kOfficerRect.left, kOfficerRect.bottom, kOfficerRect.right, kOfficerRect.top},
      {"seal", 0, kSealRect.left, kSealRect.bottom, kSealRect.right, kSealRect.top}};
}

const testing::SampleImagePaths& Images() { return testing::SampleImages(); }

std::unique_ptr<signer::KeySigner> P12(const std::string& name) {
  auto key = signer::LoadPkcs12Signer(GetSamplePki().dir + "/" + name + ".p12", "taicho");
  EXPECT_TRUE(key.ok()) << key.status();
  return key.ok() ? *std::move(key) : nullptr;
}

// "D:20261128093045+07'00'" -> "2026-11-28T09:30:45+07:00", written here independently of pdf/.
std::string IsoOfPdfDate(const std::string& d) {
  if (d.size() < 23) return "bad date " + d;
  return d.substr(2, 4) + "-" + d.substr(6, 2) + "-" + d.substr(8, 2) + "T" + d.substr(10, 2) +
         ":" + d.substr(12, 2) + ":" + d.substr(14, 2) + d.substr(16, 3) + ":" + d.substr(20, 2);
}

// /M of the signature of `field`, from our verifier's report.
std::string SigningTimeOf(const std::string& pdf, const std::string& field) {
  auto report = VerifyPdf(pdf);
  if (!report.ok()) return "";
  for (const SignatureReport& s : report->signatures) {
    if (s.field_name == field) return s.signing_time;
  }
  return "";
}

// --- rendering (pdftoppm writes PPM by default (poppler 22 has no -ppm flag): a P6 header and RGB
// bytes) ---

struct Pixels {
  int width = 0, height = 0;
  std::string rgb;
  const uint8_t* at(int x, int y) const {
    return reinterpret_cast<const uint8_t*>(rgb.data()) + 3 * (static_cast<size_t>(y) * width + x);
  }
};

Pixels Render(const std::string& pdf, int page = 1) {
  Pixels p;
  const std::string prefix = MakeTempDir("render") + "/page";
  auto r = Sh("pdftoppm -r 72 -singlefile -f " + std::to_string(page) + " -l " +
              std::to_string(page) + " " + Quote(pdf) + " " + Quote(prefix));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const std::string ppm = Slurp(prefix + ".ppm");
  std::istringstream in(ppm);
  std::string magic;
  int max = 0;
  in >> magic >> p.width >> p.height >> max;
  EXPECT_EQ(magic, "P6");
  EXPECT_EQ(max, 255);
  const size_t data = static_cast<size_t>(in.tellg()) + 1;  // one whitespace after maxval
  p.rgb = ppm.substr(data);
  EXPECT_EQ(p.rgb.size(), static_cast<size_t>(p.width) * p.height * 3);
  return p;
}

bool IsBlue(const uint8_t* c) { return c[2] > 120 && c[2] > c[0] + 60 && c[2] > c[1] + 40; }
bool IsRed(const uint8_t* c) { return c[0] > 150 && c[0] > c[1] + 80 && c[0] > c[2] + 80; }

// A rect in device pixels (72 dpi, y down), widened by `margin` pixels.
struct Box {
  int x0, y0, x1, y1;
  bool Contains(int x, int y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};
Box ToBox(const pdf::Rect& r, int margin) {
  return {static_cast<int>(std::floor(r.left)) - margin,
          static_cast<int>(std::floor(kPageHeight - r.top)) - margin,
          static_cast<int>(std::ceil(r.right)) + margin,
          static_cast<int>(std::ceil(kPageHeight - r.bottom)) + margin};
}

struct Extent {
  int count = 0;
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
  int width() const { return count ? x1 - x0 + 1 : 0; }
  int height() const { return count ? y1 - y0 + 1 : 0; }
};

template <typename Pred>
Extent Find(const Pixels& p, Pred pred) {
  Extent e;
  for (int y = 0; y < p.height; ++y) {
    for (int x = 0; x < p.width; ++x) {
      if (!pred(p.at(x, y))) continue;
      ++e.count;
      e.x0 = std::min(e.x0, x);
      e.y0 = std::min(e.y0, y);
      e.x1 = std::max(e.x1, x);
      e.y1 = std::max(e.y1, y);
    }
  }
  return e;
}

bool Inside(const Extent& e, const Box& b) {
  return e.count == 0 || (e.x0 >= b.x0 && e.x1 < b.x1 && e.y0 >= b.y0 && e.y1 < b.y1);
}

// Pixels that differ between two renderings outside `boxes`: what a signature drew elsewhere.
int ChangedOutside(const Pixels& a, const Pixels& b, const std::vector<Box>& boxes) {
  if (a.width != b.width || a.height != b.height) return -1;
  int changed = 0;
  for (int y = 0; y < a.height; ++y) {
    for (int x = 0; x < a.width; ++x) {
      bool inside = false;
      for (const Box& box : boxes) inside = inside || box.Contains(x, y);
      if (!inside && std::memcmp(a.at(x, y), b.at(x, y), 3) != 0) ++changed;
    }
  }
  return changed;
}

std::string PdfToText(const std::string& pdf, const std::string& crop = "", int page = 1) {
  const std::string p = std::to_string(page);
  return Sh("pdftotext -enc UTF-8 -f " + p + " -l " + p + " " + crop + " " + Quote(pdf) + " -")
      .output;
}

class Appearance : public ::testing::Test {
 protected:
  void SetUp() override {
    GetSamplePki();
    dir_ = MakeTempDir("appearance");
    draft_ = dir_ + "/draft.pdf";
    field_numbers_ = taicho::testing::WriteSamplePdfWithEmptyFields(draft_, 2, DraftFields());
    ASSERT_EQ(field_numbers_.size(), 2u);
  }
  SignOptions OfficerOptions() const {
    SignOptions o;
    o.reason = "Phê duyệt";
    o.signing_time = kSigningTime;
    o.appearance.kind = pdf::AppearanceKind::kOfficer;
    o.appearance.image_path = Images().signature;
    return o;
  }
  SignOptions SealOptions(double diameter_mm = 36) const {
    SignOptions o;
    o.reason = "Đóng dấu";
    o.signing_time = kSigningTime + 60;
    o.appearance.kind = pdf::AppearanceKind::kSeal;
    o.appearance.image_path = Images().seal;
    o.appearance.seal_diameter_mm = diameter_mm;
    return o;
  }
  std::string dir_, draft_;
  std::map<std::string, int> field_numbers_;
};

TEST_F(Appearance, OfficerThenSealFillTheDraftFields) {
  auto officer = P12("officer-an");
  auto seal = P12("seal");
  ASSERT_TRUE(officer && seal);
  const std::string one = dir_ + "/1.pdf", two = dir_ + "/2.pdf";

  SignOptions o = OfficerOptions();
  o.appearance.caption = true;
  auto r = SignPdf(draft_, one, *officer, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->field_name, "officer");
  EXPECT_TRUE(r->filled_existing_field);
  EXPECT_EQ(r->rect.left, kOfficerRect.left);
  EXPECT_EQ(r->rect.top, kOfficerRect.top);
  std::cout << "officer appearance (with caption): " << r->appearance_bytes << " bytes\n";
  ExpectAllSignaturesValid(one, 1, 1);
  // The draft's AcroForm already says /SigFlags 3: only the field itself changes.
  EXPECT_EQ(Redefined(draft_, one), (std::set<int>{field_numbers_["officer"]}));

  r = SignPdf(one, two, *seal, SealOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->field_name, "seal");
  EXPECT_TRUE(r->filled_existing_field);
  std::cout << "seal appearance: " << r->appearance_bytes << " bytes\n";
  ExpectAllSignaturesValid(two, 2);
  EXPECT_EQ(Redefined(one, two), (std::set<int>{field_numbers_["seal"]}));

  const Pixels before = Render(draft_), after = Render(two);
  const Box officer_box = ToBox(kOfficerRect, 1), seal_box = ToBox(kSealRect, 1);
  const Extent blue = Find(after, IsBlue), red = Find(after, IsRed);
  EXPECT_GT(blue.count, 300) << "the signature image is drawn";
  EXPECT_TRUE(Inside(blue, officer_box))
      << blue.x0 << "," << blue.y0 << " " << blue.x1 << "," << blue.y1;
  EXPECT_GT(red.count, 300) << "the seal image is drawn";
  EXPECT_TRUE(Inside(red, seal_box));
  // Real size: 36 mm across.
  const double diameter = 36 * kPointsPerMm;
  EXPECT_NEAR(red.width(), diameter, diameter * 0.1);
  EXPECT_NEAR(red.height(), diameter, diameter * 0.1);
  // The seal sits over the left part of the signature image.
  EXPECT_LT(red.x0, blue.x0 + (blue.x1 - blue.x0) / 3);
  EXPECT_EQ(ChangedOutside(before, after, {officer_box, seal_box}), 0);

  // The caption says what the signature says: the certificate's name and /M.
  const std::string text = PdfToText(two);
  EXPECT_NE(text.find("Nguyễn Văn An"), std::string::npos) << text;
  EXPECT_EQ(IsoOfPdfDate(SigningTimeOf(two, "officer")), kSigningTimeIso);
  EXPECT_NE(text.find(kSigningTimeIso), std::string::npos) << text;
}

// A DrawingCache only saves work: a seal drawn from it (cold, then warm) is the same bytes as
// a seal drawn afresh.
TEST_F(Appearance, KeptDrawingsGiveTheSameBytesAsDrawingAfresh) {
  auto officer = P12("officer-an");
  auto seal = P12("seal");
  ASSERT_TRUE(officer && seal);
  const std::string approved = dir_ + "/approved.pdf";
  ASSERT_TRUE(SignPdf(draft_, approved, *officer, OfficerOptions()).ok());
  pdf::DrawingCache drawings;
  std::vector<std::string> sealed;
  for (pdf::DrawingCache* cache :
       {static_cast<pdf::DrawingCache*>(nullptr), &drawings, &drawings}) {
    SignOptions o = SealOptions();
    o.drawings = cache;
    sealed.push_back(dir_ + "/sealed-" + std::to_string(sealed.size()) + ".pdf");
    auto r = SignPdf(approved, sealed.back(), *seal, o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->appearance, pdf::AppearanceKind::kSeal);
  }
  const std::string afresh = Slurp(sealed[0]);
  EXPECT_EQ(Slurp(sealed[1]), afresh) << "cold cache";
  EXPECT_EQ(Slurp(sealed[2]), afresh) << "warm cache";
  ExpectAllSignaturesValid(sealed[2], 2);
}

TEST_F(Appearance, DraftWithoutSigFlagsAlsoGetsItsAcroFormUpdated) {
  const std::string draft = dir_ + "/noflags.pdf", out = dir_ + "/out.pdf";
  auto numbers = taicho::testing::WriteSamplePdfWithEmptyFields(draft, 1, DraftFields(), 0);
  auto officer = P12("officer-an");
  ASSERT_TRUE(officer);
  auto r = SignPdf(draft, out, *officer, OfficerOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAllSignaturesValid(out, 1, 1);
  const std::set<int> redefined = Redefined(draft, out);
  EXPECT_EQ(redefined.size(), 2u) << "the field and the AcroForm";
  EXPECT_EQ(redefined.count(numbers["officer"]), 1u);
  EXPECT_EQ(redefined.count(numbers["seal"]), 0u);
}

TEST_F(Appearance, FillingASignedFieldIsRefused) {
  auto officer = P12("officer-an");
  ASSERT_TRUE(officer);
  const std::string one = dir_ + "/1.pdf", again = dir_ + "/again.pdf";
  ASSERT_TRUE(SignPdf(draft_, one, *officer, OfficerOptions()).ok());
  auto r = SignPdf(one, again, *officer, OfficerOptions());
  EXPECT_TRUE(HasCode(r.status(), ErrorCode::kUsage)) << r.status();
  EXPECT_NE(r.status().message().find("already signed"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("đã được ký"), std::string::npos) << r.status();
  EXPECT_FALSE(Exists(again));
  // Naming the field explicitly is refused the same way.
  SignOptions o = OfficerOptions();
  o.field_name = "officer";
  o.appearance.kind = pdf::AppearanceKind::kNone;
  r = SignPdf(one, again, *officer, o);
  EXPECT_TRUE(HasCode(r.status(), ErrorCode::kUsage)) << r.status();
}

TEST_F(Appearance, NewFieldWhereTheDocumentHasNone) {
  const std::string plain = dir_ + "/plain.pdf", out = dir_ + "/out.pdf";
  taicho::testing::WriteSamplePdf(plain, 1);
  auto seal = P12("seal");
  ASSERT_TRUE(seal);
  SignOptions o = SealOptions(40);
  // Smaller than the seal: the rect grows about its centre to the seal's real size.
  o.rect = {100, 100, 150, 150};
  auto r = SignPdf(plain, out, *seal, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->field_name, "seal");
  EXPECT_FALSE(r->filled_existing_field);
  EXPECT_NEAR(r->rect.right - r->rect.left, 40 * kPointsPerMm, 0.1);
  EXPECT_NEAR((r->rect.left + r->rect.right) / 2, 125, 0.01);
  ExpectAllSignaturesValid(out, 1);
  const Extent red = Find(Render(out), IsRed);
  EXPECT_NEAR(red.width(), 40 * kPointsPerMm, 4 * kPointsPerMm);
  EXPECT_TRUE(Inside(red, ToBox(r->rect, 1)));

  // No rect and no such field: nowhere to draw.
  o.rect = {};
  r = SignPdf(plain, dir_ + "/none.pdf", *seal, o);
  EXPECT_TRUE(HasCode(r.status(), ErrorCode::kUsage)) << r.status();
}

TEST_F(Appearance, AttachmentTextTopRightMatchesTheSignature) {
  const std::string plain = dir_ + "/plain.pdf", one = dir_ + "/1.pdf", two = dir_ + "/2.pdf";
  taicho::testing::WriteSamplePdf(plain, 2);
  auto seal = P12("seal");
  ASSERT_TRUE(seal);
  SignOptions o;
  o.signing_time = kSigningTime;
  o.appearance.kind = pdf::AppearanceKind::kAttachment;
  o.appearance.document_number = "05/QĐ-UBND";
  auto r = SignPdf(plain, one, *seal, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAllSignaturesValid(one, 1);
  std::cout << "attachment appearance: " << r->appearance_bytes << " bytes\n";
  EXPECT_EQ(r->page_index, 0);
  // Top right, inside the 20 mm right margin, in the top margin.
  EXPECT_NEAR(r->rect.right, 595.28 - 20 * kPointsPerMm, 0.5);
  EXPECT_NEAR(r->rect.top, kPageHeight - 10 * kPointsPerMm, 0.5);
  EXPECT_GT(r->rect.left, 595.28 / 2);

  // The text is there, extractable, inside the rect, with the exact time of /M.
  const std::string iso = IsoOfPdfDate(SigningTimeOf(one, r->field_name));
  EXPECT_EQ(iso, kSigningTimeIso);
  const Box box = ToBox(r->rect, 1);
  const std::string crop = "-x " + std::to_string(box.x0) + " -y " + std::to_string(box.y0) +
                           " -W " + std::to_string(box.x1 - box.x0) + " -H " +
                           std::to_string(box.y1 - box.y0);
  const std::string text = PdfToText(one, crop);
  EXPECT_NE(text.find("05/QĐ-UBND"), std::string::npos) << text;
  EXPECT_NE(text.find(iso), std::string::npos) << text;
  const Pixels before = Render(plain), after = Render(one);
  EXPECT_EQ(ChangedOutside(before, after, {box}), 0);
  const Extent dark = Find(after, [](const uint8_t* c) { return c[0] < 100 && c[2] < 100; });
  EXPECT_GT(dark.count, 0);

  // A second text appearance (on page 2) brings its own font subset under a different name than
  // the first and than the document's own "AAAAAA+" subset. Its number comes decomposed (NFD)
  // and is drawn composed.
  o.signing_time = kSigningTime + 3600;
  o.page_index = 1;
  o.appearance.document_number =
      "06/GCN-UBND Phu\xCC\x9Bo\xCC\x9B\xCC\x81"
      "c";
  r = SignPdf(one, two, *seal, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAllSignaturesValid(two, 2);
  const std::string page2 = PdfToText(two, "", 2);
  EXPECT_NE(page2.find("06/GCN-UBND Phước"), std::string::npos) << page2;
  EXPECT_NE(page2.find("2026-11-28T10:30:45+07:00"), std::string::npos) << page2;
  std::set<std::string> tags;
  const std::string bytes = Slurp(two);
  for (size_t at = bytes.find("/FontName"); at != std::string::npos;
       at = bytes.find("/FontName", at + 1)) {
    const size_t name = bytes.find_first_not_of(" \r\n", at + 9);
    if (name != std::string::npos && bytes[name] == '/') tags.insert(bytes.substr(name + 1, 7));
  }
  EXPECT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags.count("AAAAAA+"), 1u);
}

TEST_F(Appearance, SplitFlowDrawsAtPrepareTime) {
  const auto& pki = GetSamplePki();
  auto chain = signer::ReadCertificates(pki.dir + "/officer-an.chain.pem");
  ASSERT_TRUE(chain.ok()) << chain.status();
  const std::string prepared_pdf = dir_ + "/prepared.pdf", out = dir_ + "/out.pdf";
  SignOptions o = OfficerOptions();
  o.appearance.caption = true;
  auto p = PrepareSignature(draft_, prepared_pdf, *chain, signer::SignatureScheme::kRsaPkcs1v15, o);
  ASSERT_TRUE(p.ok()) << p.status();
  auto restored = PreparedSignature::FromJson(p->ToJson());
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->appearance, pdf::AppearanceKind::kOfficer);
  EXPECT_EQ(restored->update.rect.left, kOfficerRect.left);
  EXPECT_TRUE(restored->update.filled_existing_field);

  auto key = P12("officer-an");
  ASSERT_TRUE(key);
  auto value = key->Sign(restored->BytesToSign(), signer::DigestAlgorithm::kSha256);
  ASSERT_TRUE(value.ok()) << value.status();
  auto r = CompleteSignature(*restored, *value, out);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->appearance, pdf::AppearanceKind::kOfficer);
  EXPECT_EQ(r->field_name, "officer");
  ExpectAllSignaturesValid(out, 1, 1);
  EXPECT_EQ(Redefined(draft_, out), (std::set<int>{field_numbers_["officer"]}));
  const Extent blue = Find(Render(out), IsBlue);
  EXPECT_GT(blue.count, 300);
  EXPECT_TRUE(Inside(blue, ToBox(kOfficerRect, 1)));
  EXPECT_NE(PdfToText(out).find(kSigningTimeIso), std::string::npos);
}

TEST_F(Appearance, RedoneLargerUpdateKeepsTheAppearance) {
  auto officer = P12("officer-an");
  ASSERT_TRUE(officer);
  const std::string out = dir_ + "/out.pdf";
  SignOptions o = OfficerOptions();
  o.contents_capacity = 64;  // far too small: the first pass is thrown away
  auto r = SignPdf(draft_, out, *officer, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->reserved, 64u);
  ExpectAllSignaturesValid(out, 1, 1);
  const Extent blue = Find(Render(out), IsBlue);
  EXPECT_GT(blue.count, 300);
  EXPECT_TRUE(Inside(blue, ToBox(kOfficerRect, 1)));
}

TEST_F(Appearance, BadImagesAreRefusedAndLeaveNoOutput) {
  auto officer = P12("officer-an");
  ASSERT_TRUE(officer);
  const std::string out = dir_ + "/out.pdf";
  SignOptions o = OfficerOptions();
  o.appearance.image_path = dir_ + "/missing.png";
  auto r = SignPdf(draft_, out, *officer, o);
  EXPECT_TRUE(HasCode(r.status(), ErrorCode::kIo)) << r.status();

  const std::string text = dir_ + "/not.png";
  std::ofstream(text) << "not an image";
  o.appearance.image_path = text;
  r = SignPdf(draft_, out, *officer, o);
  EXPECT_TRUE(HasCode(r.status(), ErrorCode::kUsage)) << r.status();

  // A PNG header with its image data cut off.
  const std::string cut = dir_ + "/cut.png";
  std::ofstream(cut, std::ios::binary) << Slurp(Images().signature).substr(0, 200);
  o.appearance.image_path = cut;
  r = SignPdf(draft_, out, *officer, o);
  EXPECT_TRUE(HasCode(r.status(), ErrorCode::kUsage)) << r.status();

  o.appearance.image_path.clear();
  r = SignPdf(draft_, out, *officer, o);
  EXPECT_TRUE(HasCode(r.status(), ErrorCode::kUsage)) << r.status();
  EXPECT_FALSE(Exists(out));
}

TEST_F(Appearance, CommandLineOfficerThenSplitSeal) {
  const auto& pki = GetSamplePki();
  const std::string a = dir_ + "/a.pdf", b = dir_ + "/b.pdf", state = dir_ + "/s.json";
  auto r = Sh("echo taicho | " +
              Taicho("sign --in " + Quote(draft_) + " --out " + Quote(a) + " --p12 " +
                     Quote(pki.dir + "/officer-an.p12") + " --pin-stdin --appearance officer" +
                     " --image " + Quote(Images().signature) + " --caption"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("officer"), std::string::npos) << r.output;
  ExpectAllSignaturesValid(a, 1, 1);

  r = Sh(Taicho("sign prepare --in " + Quote(a) + " --state " + Quote(state) + " --cert " +
                Quote(pki.dir + "/seal.chain.pem") + " --tbs " + Quote(dir_ + "/tbs.bin") +
                " --appearance seal --image " + Quote(Images().seal) +
                " --seal-diameter-mm 38 --field seal"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Sh("openssl dgst -sha256 -sign " + Quote(pki.dir + "/seal.key") + " -out " +
         Quote(dir_ + "/sig.bin") + " " + Quote(dir_ + "/tbs.bin"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Sh(Taicho("sign complete --state " + Quote(state) + " --signature " +
                Quote(dir_ + "/sig.bin") + " --out " + Quote(b)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectAllSignaturesValid(b, 2);
  const Extent red = Find(Render(b), IsRed);
  EXPECT_NEAR(red.width(), 38 * kPointsPerMm, 3.8 * kPointsPerMm);
  EXPECT_TRUE(Inside(red, ToBox(kSealRect, 1)));
}

// The whole issue-3 path as a desk runs it: `taicho render` a decision, the officer signs with the
// SoftHSM token into the draft's `officer` field, the agency's seal token into `seal`.
TEST(RenderedDecision, SignatureAndSealDrawnWhereTheDecreePutsThem) {
  GetSamplePki();  // makes the tokens and sets SOFTHSM2_CONF
  const std::string dir = MakeTempDir("decision");
  const std::string draft = dir + "/draft.pdf", approved = dir + "/approved.pdf",
                    sealed = dir + "/sealed.pdf";
  auto r = Sh(Taicho("render --json --kind quyet-dinh-ubnd --data " +
                     Quote(taicho::testing::SourceDir() + "/render/samples/quyet-dinh-ubnd.json") +
                     " --out " + Quote(draft)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json rendered = nlohmann::json::parse(r.output);
  auto rect_of = [&](const char* key) {
    const nlohmann::json& f = rendered[key];
    return pdf::Rect{f["x"].get<double>(), f["y"].get<double>(),
                     f["x"].get<double>() + f["width"].get<double>(),
                     f["y"].get<double>() + f["height"].get<double>()};
  };
  const pdf::Rect officer_rect = rect_of("officer_field"), seal_rect = rect_of("seal_field");
  const int page = rendered["officer_field"]["page"].get<int>();
  const Pixels unsigned_page = Render(draft, page);

  const std::string module = TAICHO_SOFTHSM_MODULE;
  r = Sh("echo 123456 | " + Taicho("sign --in " + Quote(draft) + " --out " + Quote(approved) +
                                   " --module " + module + " --token " + Quote("Nguyễn Văn An") +
                                   " --pin-stdin --reason 'Phê duyệt' --appearance officer" +
                                   " --image " + Quote(Images().signature)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectAllSignaturesValid(approved, 1, 1);
  r = Sh("echo 123456 | " +
         Taicho("sign --in " + Quote(approved) + " --out " + Quote(sealed) + " --module " + module +
                " --token " + Quote("Con dấu UBND Châu Đức") +
                " --pin-stdin --reason 'Đóng dấu' --appearance seal --image " +
                Quote(Images().seal) + " --seal-diameter-mm 36"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectAllSignaturesValid(sealed, 2);

  const Pixels p = Render(sealed, page);
  const Extent blue = Find(p, IsBlue), red = Find(p, IsRed);
  ASSERT_GT(blue.count, 200) << "the officer's signature image is drawn";
  ASSERT_GT(red.count, 200) << "the seal is drawn";
  EXPECT_TRUE(Inside(blue, ToBox(officer_rect, 1)));
  EXPECT_TRUE(Inside(red, ToBox(seal_rect, 1)));
  EXPECT_NEAR(red.width(), 36 * kPointsPerMm, 3.6 * kPointsPerMm) << "real size";
  // The seal overlaps the left third of the signature image, and not much more.
  EXPECT_LT(red.x0, blue.x0);
  EXPECT_GT(red.x1, blue.x0 + blue.width() / 4);
  EXPECT_LT(red.x1, blue.x0 + blue.width() * 3 / 4);
  // Between the signer's title and name: nothing else on the page moved.
  EXPECT_EQ(ChangedOutside(unsigned_page, p, {ToBox(officer_rect, 1), ToBox(seal_rect, 1)}), 0);
  const std::string text = PdfToText(sealed, "", page);
  EXPECT_NE(text.find("Nguyễn Văn An"), std::string::npos) << text;

  // The verifier reads the name the signer block draws under the officer's signature and finds
  // it is the certificate's; the seal has no name of its own on the page.
  auto report = pades::VerifyPdf(sealed);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->signatures.size(), 2u);
  EXPECT_EQ(report->signatures[0].page_name_check, "match") << report->ToText();
  EXPECT_EQ(report->signatures[0].page_name, "Nguyễn Văn An");
  EXPECT_EQ(report->signatures[1].page_name_check, "none") << report->signatures[1].page_name;
  EXPECT_NE(report->ToJson().find("\"page_name_check\": \"match\""), std::string::npos);

  // A page that names another signer than the certificate (the command line signs what it is
  // given; the service refuses it at PrepareSignature): the verifier says so.
  nlohmann::json data = nlohmann::json::parse(taicho::testing::ReadFileBytes(
      taicho::testing::SourceDir() + "/render/samples/quyet-dinh-ubnd.json"));
  data["signer"]["name"] = "Nguyễn Văn Bình";
  const std::string other_data = dir + "/other.json", other = dir + "/other.pdf",
                    other_signed = dir + "/other-signed.pdf";
  std::ofstream(other_data) << data.dump();
  r = Sh(Taicho("render --kind quyet-dinh-ubnd --data " + Quote(other_data) + " --out " +
                Quote(other)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Sh("echo 123456 | " +
         Taicho("sign --in " + Quote(other) + " --out " + Quote(other_signed) + " --module " +
                module + " --token " + Quote("Nguyễn Văn An") +
                " --pin-stdin --appearance officer --image " + Quote(Images().signature)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Sh(Taicho("verify " + Quote(other_signed)));
  EXPECT_NE(r.output.find("Nguyễn Văn Bình — KHÔNG KHỚP chứng thư / DOES NOT MATCH"),
            std::string::npos)
      << r.output;
  auto mismatch = pades::VerifyPdf(other_signed);
  ASSERT_TRUE(mismatch.ok()) << mismatch.status();
  ASSERT_EQ(mismatch->signatures.size(), 1u);
  EXPECT_EQ(mismatch->signatures[0].page_name_check, "mismatch");
  EXPECT_EQ(mismatch->signatures[0].page_name, "Nguyễn Văn Bình");
}

TEST_F(Appearance, CommandLineErrors) {
  const auto& pki = GetSamplePki();
  const std::string out = dir_ + "/out.pdf";
  const std::string base = "sign --in " + Quote(draft_) + " --out " + Quote(out) + " --p12 " +
                           Quote(pki.dir + "/seal.p12") + " --pin-stdin ";
  auto r = Sh("echo taicho | " + Taicho(base + "--appearance seal --image /nonexistent.png"));
  EXPECT_EQ(r.exit_code, 6) << r.output;
  EXPECT_NE(r.output.find("IO_ERROR"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cannot read the image"), std::string::npos) << r.output;

  r = Sh("echo taicho | " + Taicho(base + "--appearance seal --image " + Quote(draft_)));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("[USAGE]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("không phải PNG"), std::string::npos) << r.output;

  r = Sh("echo taicho | " + Taicho(base + "--appearance stamp"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = Sh("echo taicho | " + Taicho(base + "--appearance attachment"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--doc-number"), std::string::npos) << r.output;
  EXPECT_FALSE(Exists(out));
}

TEST(AppearanceUnits, IsoTimeComesFromThePdfDate) {
  EXPECT_EQ(*pdf::Iso8601FromPdfDate(pdf::PdfDateVietnam(kSigningTime)), kSigningTimeIso);
  EXPECT_EQ(*pdf::Iso8601FromPdfDate("D:20250715093045Z"), "2025-07-15T09:30:45Z");
  EXPECT_FALSE(pdf::Iso8601FromPdfDate("D:2025").ok());
  EXPECT_EQ(*pdf::ParseAppearanceKind("seal"), pdf::AppearanceKind::kSeal);
  EXPECT_TRUE(HasCode(pdf::ParseAppearanceKind("stamp").status(), ErrorCode::kUsage));
  EXPECT_EQ(pdf::DefaultFieldName(pdf::AppearanceKind::kOfficer), "officer");
}

}  // namespace
}  // namespace taicho::pades
