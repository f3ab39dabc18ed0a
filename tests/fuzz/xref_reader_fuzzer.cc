// Fuzz target: the cross-reference reader (pdf/xref_reader.h), which reads an untrusted PDF's
// xref tables and streams along the /Prev chain before PoDoFo sees the file, and the tail it
// writes from what it read. Replayed over tests/fuzz/xref_reader/ by ctest; a libFuzzer binary
// with -DTAICHO_FUZZ=ON.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "pdf/xref_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char path[] = "/tmp/taicho-fuzz-xref-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return 0;
  const bool written = size == 0 || ::write(fd, data, size) == static_cast<ssize_t>(size);
  ::close(fd);
  if (written) {
    const int64_t end = static_cast<int64_t>(size);
    auto xref = taicho::pdf::ReadRevisionXref(path, end);
    if (xref.ok()) (void)taicho::pdf::ConsolidatedXrefTail(*xref, end);
    // An earlier revision's end, as the verifier asks for each signature.
    if (end > 16) (void)taicho::pdf::ReadRevisionXref(path, end / 2);
  }
  ::unlink(path);
  return 0;
}
