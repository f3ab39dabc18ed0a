#include "tests/support/sample_pdf.h"

#include <gtest/gtest.h>
#include <podofo/podofo.h>

#include <map>
#include <random>
#include <string>
#include <vector>

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

// Fills `doc` with the sample pages.
void AddSamplePages(PoDoFo::PdfMemDocument& doc, int pages) {
  // A subset TrueType font with Identity-H encoding: the standard 14 fonts cannot show
  // Vietnamese, and a subset keeps the sample small.
  PoDoFo::PdfFont* font =
      doc.CreateFontSubset("LiberationSerif", false, false, false,
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
}

// A new PDF 1.7 of the sample's `pages`, then what `fill` adds, written to `path`: "" when
// written, else what PoDoFo said.
template <typename Fill>
std::string WriteSampleDocument(const std::string& path, int pages, Fill&& fill) {
  PoDoFo::PdfError::EnableDebug(false);
  PoDoFo::PdfError::EnableLogging(false);
  try {
    PoDoFo::PdfMemDocument doc;
    doc.SetPdfVersion(PoDoFo::ePdfVersion_1_7);
    AddSamplePages(doc, pages);
    fill(doc);
    doc.Write(path.c_str());
    return "";
  } catch (const PoDoFo::PdfError& e) {
    const char* message = PoDoFo::PdfError::ErrorMessage(e.GetError());
    return "PoDoFo could not write " + path + ": " + (message != nullptr ? message : "(null)");
  }
}

}  // namespace

void WriteSamplePdf(const std::string& path, int pages) {
  const std::string problem = WriteSampleDocument(path, pages, [](PoDoFo::PdfMemDocument&) {});
  if (!problem.empty()) FAIL() << problem;
}

void WriteLargePdf(const std::string& path, int megabytes) {
  constexpr unsigned kSide = 640;  // 640×640 gray = 400 KiB a page
  const long pages = static_cast<long>(megabytes) * 1024 * 1024 / (kSide * kSide) + 1;
  std::mt19937 rng(42);
  std::vector<char> pixels(kSide * kSide);
  const std::string problem = WriteSampleDocument(path, 1, [&](PoDoFo::PdfMemDocument& doc) {
    for (long p = 0; p < pages; ++p) {
      for (char& c : pixels) c = static_cast<char>(rng());
      PoDoFo::PdfPage* page =
          doc.CreatePage(PoDoFo::PdfPage::CreateStandardPageSize(PoDoFo::ePdfPageSize_A4));
      PoDoFo::PdfImage image(&doc);
      image.SetImageColorSpace(PoDoFo::ePdfColorSpace_DeviceGray);
      PoDoFo::PdfMemoryInputStream in(pixels.data(), static_cast<PoDoFo::pdf_long>(pixels.size()));
      image.SetImageData(kSide, kSide, 8, &in, PoDoFo::TVecFilters());
      PoDoFo::PdfPainter painter;
      painter.SetPage(page);
      painter.DrawImage(50, 200, &image, 0.7, 0.7);
      painter.FinishPage();
    }
  });
  if (!problem.empty()) FAIL() << problem;
}

std::map<std::string, int> WriteSamplePdfWithEmptyFields(
    const std::string& path, int pages, const std::vector<EmptySignatureField>& fields,
    int sig_flags) {
  using PoDoFo::PdfArray;
  using PoDoFo::PdfName;
  using PoDoFo::PdfObject;
  std::map<std::string, int> numbers;
  const std::string problem = WriteSampleDocument(path, pages, [&](PoDoFo::PdfMemDocument& doc) {
    PdfArray form_fields;
    for (const EmptySignatureField& f : fields) {
      PoDoFo::PdfPage* page = doc.GetPage(f.page_index);
      PdfObject* widget = doc.GetObjects().CreateObject("Annot");
      PoDoFo::PdfDictionary& dict = widget->GetDictionary();
      dict.AddKey("Subtype", PdfName("Widget"));
      dict.AddKey("FT", PdfName("Sig"));
      dict.AddKey("T", PoDoFo::PdfString(f.name));
      dict.AddKey("F", static_cast<PoDoFo::pdf_int64>(4));
      PdfArray rect;
      for (double v : {f.left, f.bottom, f.right, f.top}) rect.push_back(PoDoFo::PdfVariant(v));
      dict.AddKey("Rect", rect);
      dict.AddKey("P", page->GetObject()->Reference());
      PoDoFo::PdfDictionary& page_dict = page->GetObject()->GetDictionary();
      if (!page_dict.HasKey("Annots")) page_dict.AddKey("Annots", PdfArray());
      page_dict.GetKey("Annots")->GetArray().push_back(widget->Reference());
      form_fields.push_back(widget->Reference());
      numbers[f.name] = static_cast<int>(widget->Reference().ObjectNumber());
    }
    PdfObject* form = doc.GetObjects().CreateObject();
    form->GetDictionary().AddKey("Fields", form_fields);
    if (sig_flags != 0) {
      form->GetDictionary().AddKey("SigFlags", static_cast<PoDoFo::pdf_int64>(sig_flags));
    }
    doc.GetCatalog()->GetDictionary().AddKey("AcroForm", form->Reference());
  });
  if (!problem.empty()) ADD_FAILURE() << problem;
  return numbers;
}

void RewriteWithObjectStreams(const std::string& in, const std::string& out) {
  RunQpdf("--object-streams=generate", in, out);
}

void Linearize(const std::string& in, const std::string& out) { RunQpdf("--linearize", in, out); }

}  // namespace taicho::testing
