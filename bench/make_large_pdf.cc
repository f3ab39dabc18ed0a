// Writes a large PDF for benchmarks: make_large_pdf OUT.pdf MEGABYTES
// Each page shows an uncompressed noise image (incompressible, like scanned attachments), so the
// file size is close to the size asked for.
#include <podofo/podofo.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_large_pdf OUT.pdf MEGABYTES\n");
    return 2;
  }
  PoDoFo::PdfError::EnableDebug(false);
  PoDoFo::PdfError::EnableLogging(false);
  const long target = std::atol(argv[2]) * 1024L * 1024L;
  constexpr unsigned kSide = 640;  // 640×640 gray = 400 KiB a page
  const long pages = target / (kSide * kSide) + 1;
  std::mt19937 rng(42);
  std::vector<char> pixels(kSide * kSide);
  try {
    PoDoFo::PdfMemDocument doc;
    doc.SetPdfVersion(PoDoFo::ePdfVersion_1_7);
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
    doc.Write(argv[1]);
  } catch (const PoDoFo::PdfError& e) {
    std::fprintf(stderr, "make_large_pdf: PoDoFo error %d\n", static_cast<int>(e.GetError()));
    return 1;
  }
  return 0;
}
