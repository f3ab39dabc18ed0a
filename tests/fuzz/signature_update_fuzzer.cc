// Fuzz target: the signature update read straight through the file's cross-reference
// (pdf/signature_update_objects.h) against the same update read through PoDoFo's load of the
// whole document. Both must give the same bytes, or fail with the same error code: a file that
// reader does not take as PoDoFo would must go to the load. Three updates per input: a new field
// on the first page, a named empty field filled (the officer's certification) and the seal's
// (its field, the number filled, every field locked). Replayed over tests/fuzz/signature_update/
// by ctest; a libFuzzer binary with -DTAICHO_FUZZ=ON.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "errors/error.h"
#include "pdf/signature_update.h"
#include "pdf/signature_update_objects.h"

namespace {

struct Written {
  absl::Status status;
  std::string bytes;
};

Written Write(taicho::pdf::UpdateReading reading, const std::string& in,
              const taicho::pdf::SignatureFieldSpec& spec) {
  char out_path[] = "/tmp/taicho-fuzz-update-XXXXXX";
  const int out = ::mkstemp(out_path);
  if (out < 0) std::abort();
  Written w;
  absl::StatusOr<taicho::pdf::PreparedUpdate> u =
      taicho::pdf::WriteSignatureUpdateReading(reading, in, out, spec);
  ::close(out);
  w.status = u.status();
  if (u.ok()) {
    std::ifstream file(out_path, std::ios::binary);
    w.bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  ::unlink(out_path);
  return w;
}

taicho::ErrorCode CodeOf(const absl::Status& st) {
  for (auto code : {taicho::ErrorCode::kPdfUnreadable, taicho::ErrorCode::kPdfEncrypted,
                    taicho::ErrorCode::kPdfPageOutOfRange, taicho::ErrorCode::kPdfUnsupported,
                    taicho::ErrorCode::kPdfTooManyRevisions, taicho::ErrorCode::kUsage,
                    taicho::ErrorCode::kIo}) {
    if (taicho::HasCode(st, code)) return code;
  }
  return taicho::ErrorCode::kInternal;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char in_path[] = "/tmp/taicho-fuzz-in-XXXXXX";
  const int in = ::mkstemp(in_path);
  if (in < 0) return 0;
  if (size > 0 && ::write(in, data, size) != static_cast<ssize_t>(size)) size = 0;
  ::close(in);

  taicho::pdf::SignatureFieldSpec new_field;
  new_field.rect = {100, 100, 200, 150};
  taicho::pdf::SignatureFieldSpec officer;
  officer.field_name = "officer";
  officer.certification = 2;
  taicho::pdf::SignatureFieldSpec seal;
  seal.field_name = "seal";
  seal.lock_fields = true;
  seal.fills = {{"so", "279"}};
  for (taicho::pdf::SignatureFieldSpec spec : {new_field, officer, seal}) {
    spec.signing_time = "D:20261205100000+07'00'";
    spec.contents_capacity = 64;
    const Written loaded = Write(taicho::pdf::UpdateReading::kLoadedOnly, in_path, spec);
    const Written read = Write(taicho::pdf::UpdateReading::kAuto, in_path, spec);
    if (loaded.status.ok() != read.status.ok() || loaded.bytes != read.bytes ||
        (!loaded.status.ok() && CodeOf(loaded.status) != CodeOf(read.status))) {
      std::fprintf(stderr, "the two readings differ: %s / %s\n", loaded.status.ToString().c_str(),
                   read.status.ToString().c_str());
      std::abort();
    }
  }
  ::unlink(in_path);
  return 0;
}
