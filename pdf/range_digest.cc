#include "pdf/range_digest.h"

#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "errors/error.h"

namespace taicho::pdf {

absl::StatusOr<std::unique_ptr<FileSha256>> FileSha256::Start() {
  Ctx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Error(ErrorCode::kCrypto, "SHA-256 init");
  }
  return std::unique_ptr<FileSha256>(new FileSha256(std::move(ctx)));
}

void FileSha256::Update(std::span<const uint8_t> bytes) {
  EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
}

bool FileSha256::CopyStateFrom(const EVP_MD_CTX* sha256) {
  return EVP_MD_CTX_copy_ex(ctx_.get(), sha256) == 1;
}

absl::StatusOr<std::string> FileSha256::FinishFrom(int fd, const std::string& path,
                                                   int64_t offset) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error(ErrorCode::kIo, "cannot stat " + path);
  // One range from `offset` to the end, and an empty second one.
  const ByteRange rest{offset, st.st_size - offset, st.st_size, 0};
  absl::Status read =
      StreamByteRange(fd, path, rest, [&](std::span<const uint8_t> chunk) { Update(chunk); });
  if (!read.ok()) return read;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) {
    return Error(ErrorCode::kCrypto, "SHA-256 final");
  }
  return absl::BytesToHexString(std::string(reinterpret_cast<const char*>(md), len));
}

absl::StatusOr<std::vector<uint8_t>> DigestByteRange(int fd, const std::string& path,
                                                     const ByteRange& range, RangeDigest md,
                                                     FileSha256* file) {
  const EVP_MD* type = md == RangeDigest::kSha512   ? EVP_sha512()
                       : md == RangeDigest::kSha384 ? EVP_sha384()
                                                    : EVP_sha256();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), type, nullptr) != 1) {
    return Error(ErrorCode::kCrypto, "digest init");
  }
  if (file != nullptr && range[0] != 0) {
    return Error(ErrorCode::kInternal, "the signed ranges do not start the file");
  }
  // The chunks come in file order, the first range's first. A SHA-256 signature digest and the
  // file's SHA-256 are the same state at the end of the first range (nearly the whole file): it
  // is hashed once and the state copied, not hashed twice.
  const bool shared_prefix = file != nullptr && md == RangeDigest::kSha256;
  int64_t first_left = range[1];
  bool copied = shared_prefix && first_left == 0 && file->CopyStateFrom(ctx.get());
  absl::Status st = StreamByteRange(fd, path, range, [&](std::span<const uint8_t> chunk) {
    EVP_DigestUpdate(ctx.get(), chunk.data(), chunk.size());
    if (file == nullptr || first_left <= 0) return;
    const size_t n = static_cast<size_t>(std::min<int64_t>(first_left, chunk.size()));
    if (!shared_prefix) file->Update(chunk.first(n));
    first_left -= static_cast<int64_t>(n);
    // A chunk never spans the two ranges (they are apart), so the state here is the prefix's.
    if (shared_prefix && first_left == 0) copied = file->CopyStateFrom(ctx.get());
  });
  if (!st.ok()) return st;
  if (shared_prefix && !copied) return Error(ErrorCode::kCrypto, "SHA-256 state copy");
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1) {
    return Error(ErrorCode::kCrypto, "digest final");
  }
  out.resize(len);
  return out;
}

}  // namespace taicho::pdf
