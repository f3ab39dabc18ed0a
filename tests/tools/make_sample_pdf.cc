// Writes the sample unsigned PDF used by the demo: make_sample_pdf OUT.pdf [PAGES]
#include <cstdio>
#include <cstdlib>

#include "tests/support/sample_pdf.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_sample_pdf OUT.pdf [PAGES]\n");
    return 2;
  }
  taicho::testing::WriteSamplePdf(argv[1], argc > 2 ? std::atoi(argv[2]) : 2);
  return 0;
}
