#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/signature_reader.h"

namespace taicho::pdf {
namespace {

constexpr char kKey[] = "/ByteRange";
constexpr size_t kKeyLength = sizeof kKey - 1;
constexpr size_t kChunk = 1 << 20;
// Enough for the key, spaces and four 20-digit numbers.
constexpr size_t kOverlap = 160;

// "[a b c d]" after the key, or nothing when it is not four non-negative integers.
std::optional<ByteRange> ParseRange(const char* p, const char* end) {
  auto skip = [&] {
    while (p < end && std::isspace(static_cast<unsigned char>(*p))) ++p;
  };
  skip();
  if (p >= end || *p != '[') return std::nullopt;
  ++p;
  ByteRange range{};
  for (int64_t& v : range) {
    skip();
    if (p >= end || !std::isdigit(static_cast<unsigned char>(*p))) return std::nullopt;
    v = 0;
    int digits = 0;
    while (p < end && std::isdigit(static_cast<unsigned char>(*p)) && digits++ < 18) {
      v = v * 10 + (*p++ - '0');
    }
  }
  skip();
  if (p >= end || *p != ']') return std::nullopt;
  return range;
}

}  // namespace

absl::StatusOr<std::vector<ByteRange>> ScanByteRanges(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrorCode::kIo, absl::StrCat("cannot open ", path));
  std::vector<ByteRange> out;
  // Not zero-filled (make_unique_for_overwrite): only bytes read are looked at, and clearing a
  // megabyte cost more than scanning a small file.
  constexpr size_t kCapacity = kChunk + kOverlap;
  std::unique_ptr<char[]> buffer = std::make_unique_for_overwrite<char[]>(kCapacity);
  size_t size = 0;  // bytes in `buffer`: the overlap kept from the last chunk, then new ones
  for (;;) {
    const ssize_t n = read(fd, buffer.get() + size, kCapacity - size);
    if (n < 0) {
      close(fd);
      return Error(ErrorCode::kIo, absl::StrCat("cannot read ", path));
    }
    size += static_cast<size_t>(n);
    const bool last = n == 0;
    // Keys starting this far in have their whole range in the buffer (or the file ends).
    const size_t limit = last ? size : size - std::min(size, kOverlap);
    const char* begin = buffer.get();
    const char* end = begin + size;
    for (size_t at = 0; at < limit;) {
      const void* hit = memmem(begin + at, size - at, kKey, kKeyLength);
      if (hit == nullptr) break;
      const size_t pos = static_cast<const char*>(hit) - begin;
      if (pos >= limit) break;
      if (auto range = ParseRange(begin + pos + kKeyLength, end)) out.push_back(*range);
      at = pos + kKeyLength;
    }
    if (last) break;
    std::memmove(buffer.get(), begin + limit, size - limit);
    size -= limit;
  }
  close(fd);
  return out;
}

}  // namespace taicho::pdf
