#include "tests/support/sample_pdf.h"

#include <gtest/gtest.h>
#include <podofo/podofo.h>

#include <string>

#include "tests/support/pki_fixture.h"

namespace taicho::testing {
namespace {

constexpr const char* kFontFile =
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf";

PoDoFo::PdfString Utf8(const std::string& text) {
  return PoDoFo::PdfString(reinterpret_cast<const PoDoFo::pdf_utf8*>(text.c_str()));
}

void RunQpdf(const std::string& options, const std::string& in, const std::string& out) {
  CommandResult result = Run("qpdf " + options + " " + Quote(in) + " " + Quote(out));
  // qpdf exits 3 when it succeeded with warnings; a sample input should have none.
  if (result.exit_code != 0) {
    FAIL() << "qpdf " << options << " " << in << " failed (" << result.exit_code << "):\n"
           << result.output;
  }
}

}  // namespace

void WriteSamplePdf(const std::string& path, int pages) {
  PoDoFo::PdfError::EnableDebug(false);
  PoDoFo::PdfError::EnableLogging(false);
  try {
    PoDoFo::PdfMemDocument doc;
    doc.SetPdfVersion(PoDoFo::ePdfVersion_1_7);
    // A subset TrueType font with Identity-H encoding: the standard 14 fonts cannot show
    // Vietnamese, and a subset keeps the sample small.
    PoDoFo::PdfFont* font = doc.CreateFontSubset(
        "LiberationSerif", false, false, false,
        PoDoFo::PdfEncodingFactory::GlobalIdentityEncodingInstance(), kFontFile);
    if (font == nullptr) FAIL() << "cannot load font " << kFontFile;
    doc.GetInfo()->SetTitle(Utf8("Tờ trình mẫu"));
    doc.GetInfo()->SetCreator(Utf8("taicho tests"));

    const char* lines[] = {
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "TỜ TRÌNH",
        "Về việc cấp giấy chứng nhận quyền sử dụng đất",
        "Kính gửi: Ủy ban nhân dân huyện Châu Đức, tỉnh Bà Rịa - Vũng Tàu.",
    };
    for (int n = 1; n <= pages; ++n) {
      PoDoFo::PdfPage* page =
          doc.CreatePage(PoDoFo::PdfPage::CreateStandardPageSize(PoDoFo::ePdfPageSize_A4));
      PoDoFo::PdfPainter painter;
      painter.SetPage(page);
      font->SetFontSize(13);
      painter.SetFont(font);
      double y = page->GetPageSize().GetHeight() - 72;
      for (const char* line : lines) {
        painter.DrawText(72, y, Utf8(line));
        y -= 22;
      }
      painter.DrawText(72, 48, Utf8("Trang " + std::to_string(n)));
      painter.FinishPage();
    }
    doc.Write(path.c_str());
  } catch (const PoDoFo::PdfError& e) {
    FAIL() << "PoDoFo could not write " << path << ": "
           << PoDoFo::PdfError::ErrorMessage(e.GetError());
  }
}

void RewriteWithObjectStreams(const std::string& in, const std::string& out) {
  RunQpdf("--object-streams=generate", in, out);
}

void Linearize(const std::string& in, const std::string& out) { RunQpdf("--linearize", in, out); }

}  // namespace taicho::testing
