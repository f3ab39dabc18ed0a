// Fuzz target for every entry point that parses an untrusted PDF: reading and verifying its
// signatures, and preparing a signature update on it. Built as a libFuzzer binary with
// -DTAICHO_FUZZ=ON (clang); the normal build links it with replay_main.cc so ctest replays the
// corpus in tests/fuzz/corpus/ (seeds and every crash ever found) under the sanitizers.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "pades/pdf_verifier.h"
#include "pdf/signature_reader.h"
#include "pdf/signature_update.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char in_path[] = "/tmp/taicho-fuzz-in-XXXXXX";
  char out_path[] = "/tmp/taicho-fuzz-out-XXXXXX";
  const int in = ::mkstemp(in_path);
  const int out = ::mkstemp(out_path);
  if (in < 0 || out < 0) return 0;
  if (size > 0 && ::write(in, data, size) != static_cast<ssize_t>(size)) size = 0;
  ::close(in);

  // Results are ignored: the target only has to return without crashing or leaking.
  (void)taicho::pdf::ReadSignatures(in_path);
  (void)taicho::pades::VerifyPdf(in_path);
  taicho::pdf::SignatureFieldSpec spec;
  spec.contents_capacity = 64;
  (void)taicho::pdf::WriteSignatureUpdate(in_path, out, spec);

  ::close(out);
  ::unlink(in_path);
  ::unlink(out_path);
  return 0;
}
