// Private to pdf/: the digest of a PDF's signed byte ranges, streamed from the file, and the
// SHA-256 of the whole signed file built alongside it.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pdf/pdf_file.h"
#include "pdf/signature_file.h"

namespace taicho::pdf {

// The SHA-256 of a signed file, its first range (all the bytes before /Contents, nearly the whole
// file) hashed in the same read as the signature's digest, the rest once /Contents is in place.
// The store names a revision by its file's SHA-256: without this it read every signed file back.
class FileSha256 {
 public:
  static absl::StatusOr<std::unique_ptr<FileSha256>> Start();
  void Update(std::span<const uint8_t> bytes);
  // Takes over the state of another SHA-256 that has hashed the same bytes so far.
  bool CopyStateFrom(const EVP_MD_CTX* sha256);
  // Adds the bytes of the open file `fd` (named `path`) from `offset` to its end; the lowercase
  // hex digest.
  absl::StatusOr<std::string> FinishFrom(int fd, const std::string& path, int64_t offset);

 private:
  using Ctx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
  explicit FileSha256(Ctx ctx) : ctx_(std::move(ctx)) {}
  Ctx ctx_;
};

// The `md` digest of `range` of the open file `fd` (named `path` in errors). When `file` is
// given, the first range (which must start the file) is fed to it too.
absl::StatusOr<std::vector<uint8_t>> DigestByteRange(int fd, const std::string& path,
                                                     const ByteRange& range, RangeDigest md,
                                                     FileSha256* file = nullptr);

}  // namespace taicho::pdf
