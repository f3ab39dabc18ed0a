#include "pades/range_digest.h"

#include <openssl/evp.h>

#include <memory>

#include "errors/error.h"

namespace taicho::pades {

absl::StatusOr<Bytes> DigestByteRange(const std::string& path, const pdf::ByteRange& range,
                                      signer::DigestAlgorithm md) {
  const EVP_MD* type = md == signer::DigestAlgorithm::kSha512   ? EVP_sha512()
                       : md == signer::DigestAlgorithm::kSha384 ? EVP_sha384()
                                                                : EVP_sha256();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), type, nullptr) != 1) {
    return Error(ErrorCode::kCrypto, "digest init");
  }
  absl::Status st = pdf::StreamByteRange(path, range, [&](std::span<const uint8_t> chunk) {
    EVP_DigestUpdate(ctx.get(), chunk.data(), chunk.size());
  });
  if (!st.ok()) return st;
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1) {
    return Error(ErrorCode::kCrypto, "digest final");
  }
  out.resize(len);
  return out;
}

}  // namespace taicho::pades
