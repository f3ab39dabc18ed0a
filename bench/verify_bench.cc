// In-process verification of signed PDFs (the whole report: integrity, chain, time-stamp, change
// analysis), next to the change analysis alone. Run by bench/verify_bench.sh, which signs the
// inputs and exports TAICHO_BENCH_DIR (small-2sig.pdf, large-2sig.pdf, ca-bundle.pem there).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "pades/change_analysis.h"
#include "pades/pdf_verifier.h"
#include "pdf/signature_reader.h"
#include "signer/certificate_cache.h"

namespace {

std::string Dir() {
  const char* d = std::getenv("TAICHO_BENCH_DIR");
  return d ? d : "/tmp";
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Peak RSS of the process so far (the large file runs after the small one).
void SetPeakRss(benchmark::State& state) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MB"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
}

void BM_VerifyPdf(benchmark::State& state, const std::string& name) {
  const std::string path = Dir() + "/" + name;
  const std::string anchors = Slurp(Dir() + "/ca-bundle.pem");
  for (auto _ : state) {
    auto report = taicho::pades::VerifyPdf(path, anchors);
    if (!report.ok() || !report->all_passed()) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(report);
  }
  SetPeakRss(state);
}

// As a service verifies (taichod's workflow, the print station): the certificates its callers'
// files carry stay parsed in a cache it holds, so the same chains are not decoded per file.
void BM_VerifyPdfHeldCertificates(benchmark::State& state, const std::string& name) {
  taicho::pades::VerifyOptions options;
  options.trust_anchors_pem = Slurp(Dir() + "/ca-bundle.pem");
  taicho::signer::CertificateCache held;
  options.certificates = &held;
  const std::string path = Dir() + "/" + name;
  for (auto _ : state) {
    auto report = taicho::pades::VerifyPdf(path, options);
    if (!report.ok() || !report->all_passed()) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(report);
  }
  SetPeakRss(state);
}

void BM_ChangeAnalysis(benchmark::State& state, const std::string& name) {
  const std::string path = Dir() + "/" + name;
  auto found = taicho::pdf::ReadSignatures(path);
  if (!found.ok()) {
    state.SkipWithError("no signatures");
    return;
  }
  // The ByteRanges, as the verifier passes them (the signed revisions' /Contents not parsed).
  std::vector<taicho::pdf::ByteRange> ranges;
  for (const auto& s : *found) ranges.push_back(s.byte_range);
  for (auto _ : state) {
    // The parse included, as the verifier pays it (once, shared with its other readers).
    auto parsed = taicho::pdf::ParsedPdf::Open(path);
    if (!parsed.ok()) {
      state.SkipWithError("unreadable");
      break;
    }
    auto changes = taicho::pades::AnalyzeChangesAfterSignatures(*parsed, ranges);
    if (!changes.ok()) state.SkipWithError("analysis failed");
    benchmark::DoNotOptimize(changes);
  }
  SetPeakRss(state);
}

BENCHMARK_CAPTURE(BM_VerifyPdf, small_2sig, std::string("small-2sig.pdf"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_VerifyPdfHeldCertificates, small_2sig, std::string("small-2sig.pdf"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_VerifyPdf, large_2sig, std::string("large-2sig.pdf"))
    ->Unit(benchmark::kMillisecond);
// Hostile shapes (issue 21): 16 and 256 MiB of zeros after the last %%EOF (a warning; it took
// 4.5 s of CPU per MiB when PoDoFo stepped back a byte per window read), and 300 revisions
// after the signatures (beyond PoDoFo's 127: read through a consolidated cross-reference).
BENCHMARK_CAPTURE(BM_VerifyPdf, padded_16MiB, std::string("padded-16m.pdf"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_VerifyPdf, padded_256MiB, std::string("padded-256m.pdf"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_VerifyPdf, revisions_300, std::string("revisions-300.pdf"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ChangeAnalysis, small_2sig, std::string("small-2sig.pdf"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ChangeAnalysis, large_2sig, std::string("large-2sig.pdf"))
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
