#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
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
  std::string buffer;
  size_t scanned = 0;  // bytes of `buffer` already searched for a key start
  for (;;) {
    const size_t old_size = buffer.size();
    buffer.resize(old_size + kChunk);
    const ssize_t n = read(fd, buffer.data() + old_size, kChunk);
    if (n < 0) {
      close(fd);
      return Error(ErrorCode::kIo, absl::StrCat("cannot read ", path));
    }
    buffer.resize(old_size + static_cast<size_t>(n));
    const bool last = n == 0;
    // Keys starting this far in have their whole range in the buffer (or the file ends).
    const size_t limit = last ? buffer.size() : buffer.size() - std::min(buffer.size(), kOverlap);
    const char* begin = buffer.data();
    const char* end = begin + buffer.size();
    for (size_t at = scanned; at < limit;) {
      const void* hit = memmem(begin + at, buffer.size() - at, kKey, kKeyLength);
      if (hit == nullptr) break;
      const size_t pos = static_cast<const char*>(hit) - begin;
      if (pos >= limit) break;
      if (auto range = ParseRange(begin + pos + kKeyLength, end)) out.push_back(*range);
      at = pos + kKeyLength;
    }
    if (last) break;
    buffer.erase(0, limit);
    scanned = 0;
  }
  close(fd);
  return out;
}

}  // namespace taicho::pdf
