// In process: the seal's update (pdf::WriteSignatureUpdate) on a document the officer has
// certified, read through the file's cross-reference (pdf/signature_update_objects.h) and, as
// before, through PoDoFo's load of the whole document; the rest of the update (the fills drawn,
// the file written) is the same in both. Not a test. Usage:
//   seal_update_bench CERTIFIED.pdf [FONT_DIR] [--benchmark_* flags]
// CERTIFIED.pdf: a draft with the officer's signature (e.g. a sealed file from bench/seal_load.sh
// cut at its second %%EOF), with empty "seal", "so" and "ngay" fields.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "pdf/drawing_cache.h"
#include "pdf/signature_update.h"
#include "pdf/signature_update_objects.h"

namespace {

std::string g_input;
std::string g_font_dir;

void WriteUpdate(benchmark::State& state, taicho::pdf::UpdateReading reading) {
  taicho::pdf::DrawingCache drawings;  // as taichod keeps its own: drawn once
  taicho::pdf::SignatureFieldSpec spec;
  spec.field_name = "seal";
  spec.lock_fields = true;
  spec.signing_time = taicho::pdf::PdfDateVietnam(1790000000);
  spec.fills = {{"so", "279"}, {"ngay", "ngày 05 tháng 12 năm 2026"}};
  if (!g_font_dir.empty()) spec.font_dir = g_font_dir;
  spec.drawings = &drawings;
  const std::string out = "/tmp/seal_update_bench." + std::to_string(::getpid()) + ".pdf";
  for (auto _ : state) {
    // A new file each time, as a seal's: ext4 writes a truncated file out when it is closed.
    ::unlink(out.c_str());
    const int fd = ::open(out.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) std::abort();
    auto u = taicho::pdf::WriteSignatureUpdateReading(reading, g_input, fd, spec);
    ::close(fd);
    if (!u.ok()) {
      state.SkipWithError(std::string(u.status().message()).c_str());
      break;
    }
  }
  ::unlink(out.c_str());
}

void BM_SealUpdateThroughXref(benchmark::State& state) {
  WriteUpdate(state, taicho::pdf::UpdateReading::kXrefOnly);
}
void BM_SealUpdateThroughPodofoLoad(benchmark::State& state) {
  WriteUpdate(state, taicho::pdf::UpdateReading::kLoadedOnly);
}
BENCHMARK(BM_SealUpdateThroughXref)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SealUpdateThroughPodofoLoad)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: seal_update_bench CERTIFIED.pdf [FONT_DIR]\n");
    return 2;
  }
  g_input = argv[1];
  if (argc > 2) g_font_dir = argv[2];
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
