// Rendering latency of the sample documents, next to a floor measured in the same run: PoDoFo
// writing one line with the same four font subsets (what any renderer on PoDoFo pays).
#include <benchmark/benchmark.h>
#include <podofo/podofo.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "pdf/subset_font.h"
#include "render/document_data.h"
#include "render/document_kind.h"
#include "render/document_renderer.h"

namespace {

using taicho::render::DocumentKind;

std::string Out(const char* name) {
  const char* d = std::getenv("TAICHO_BENCH_DIR");
  return std::string(d ? d : "/tmp") + "/" + name;
}

void SetPeakRss(benchmark::State& state) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MB"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
}

void Render(benchmark::State& state, const char* kind_id, const char* sample, int articles) {
  const std::string dir = taicho::render::DefaultKindsDir();
  auto kind = taicho::render::LoadKind(dir, kind_id);
  if (!kind.ok()) std::abort();
  std::string json;
  {
    std::FILE* f =
        std::fopen((std::string(TAICHO_SOURCE_DIR) + "/render/samples/" + sample).c_str(), "rb");
    if (!f) std::abort();
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) json.append(buf, n);
    std::fclose(f);
  }
  if (articles > 0) {
    nlohmann::json j = nlohmann::json::parse(json);
    nlohmann::json many = nlohmann::json::array();
    for (int i = 0; i < articles; ++i) many.push_back(j["articles"][i % j["articles"].size()]);
    j["articles"] = many;
    json = j.dump();
  }
  auto data = taicho::render::ParseDocumentJson(json, *kind);
  if (!data.ok()) std::abort();
  taicho::render::RenderOptions options;
  options.output_path = Out("render-bench.pdf");
  taicho::pdf::FontFiles fonts;  // kept between renders, as the workflow keeps its own
  options.font_files = &fonts;
  int pages = 0;
  uintmax_t bytes = 0;
  for (auto _ : state) {
    auto doc = taicho::render::RenderDocument(*kind, *data, options);
    if (!doc.ok()) {
      std::fprintf(stderr, "%s\n", doc.status().ToString().c_str());
      std::abort();
    }
    pages = doc->page_count;
    bytes = doc->file_size;
  }
  state.counters["pages"] = pages;
  state.counters["KB"] = static_cast<double>(bytes) / 1024.0;
  SetPeakRss(state);
}

void BM_RenderDecision(benchmark::State& state) {
  Render(state, "quyet-dinh-ubnd", "quyet-dinh-ubnd.json", 0);
}
void BM_RenderDecision35Articles(benchmark::State& state) {
  Render(state, "quyet-dinh-ubnd", "quyet-dinh-ubnd.json", 35);
}
void BM_RenderCertificate(benchmark::State& state) {
  Render(state, "giay-chung-nhan-dkhkd", "giay-chung-nhan-dkhkd.json", 0);
}

// The floor: four subsets of Liberation Serif, one line in each, written.
void BM_PodofoFourSubsetsFloor(benchmark::State& state) {
  PoDoFo::PdfError::EnableDebug(false);
  PoDoFo::PdfError::EnableLogging(false);
  const std::string dir = "/usr/share/fonts/truetype/liberation2/";
  const char* files[] = {"LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf",
                         "LiberationSerif-Italic.ttf", "LiberationSerif-BoldItalic.ttf"};
  const std::string out = Out("render-floor.pdf");
  for (auto _ : state) {
    PoDoFo::PdfMemDocument doc;
    PoDoFo::PdfPage* page = doc.CreatePage(PoDoFo::PdfRect(0, 0, 595.28, 841.89));
    PoDoFo::PdfPainter painter;
    painter.SetPage(page);
    for (int f = 0; f < 4; ++f) {
      PoDoFo::PdfFont* font = doc.CreateFontSubset(
          "LiberationSerif", f == 1 || f == 3, f >= 2, false,
          PoDoFo::PdfEncodingFactory::GlobalIdentityEncodingInstance(), (dir + files[f]).c_str());
      font->SetFontSize(13);
      painter.SetFont(font);
      painter.DrawText(72, 700 - 20 * f,
                       PoDoFo::PdfString(reinterpret_cast<const PoDoFo::pdf_utf8*>(
                           "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM — Độc lập - Tự do - Hạnh phúc")));
    }
    painter.FinishPage();
    doc.Write(out.c_str());
  }
  SetPeakRss(state);
}

BENCHMARK(BM_PodofoFourSubsetsFloor)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_RenderDecision)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_RenderCertificate)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_RenderDecision35Articles)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

}  // namespace

BENCHMARK_MAIN();
