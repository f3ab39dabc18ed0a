#include "pdf/trailing_bytes.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/podofo_document.h"

namespace taicho::pdf {
namespace {

constexpr size_t kChunk = 1 << 20;
// Kept from one chunk to the next, so that a keyword or an object header across the boundary
// is seen whole: "startxref" and two numbers of up to 10 and 5 digits with white space.
constexpr size_t kOverlap = 32;
constexpr size_t kMaxRedefined = 16;

bool IsPdfSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

// The reference of an "N G obj" header whose "obj" starts at `at`; false when there is none.
bool ObjectHeaderBefore(std::string_view text, size_t at, int64_t& number, int64_t& generation) {
  size_t i = at;
  auto skip_space = [&] {
    size_t n = 0;
    while (i > 0 && (IsPdfSpace(text[i - 1]) || text[i - 1] == 0)) --i, ++n;
    return n;
  };
  auto digits = [&](int64_t& value) {
    const size_t end = i;
    while (i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1])) && end - i < 10) --i;
    if (i == end) return false;
    value = 0;
    for (size_t k = i; k < end; ++k) value = value * 10 + (text[k] - '0');
    return true;
  };
  return skip_space() > 0 && digits(generation) && skip_space() > 0 && digits(number) &&
         number > 0 && generation <= 65535;
}

}  // namespace

absl::StatusOr<TrailingBytes> ReadTrailingBytes(const ParsedPdf& pdf,
                                                const std::function<bool()>& cancelled) {
  TrailingBytes out;
  out.start = pdf.revision_end();
  out.end = pdf.size();
  if (out.start >= out.end) return out;
  const int fd = ::open(pdf.path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Error(ErrorCode::kIo, absl::StrCat("cannot open ", pdf.path(), ": ", strerror(errno)));
  }
  PoDoFo::PdfVecObjects& objects = pdf.document().GetObjects();
  std::unique_ptr<char[]> buffer = std::make_unique_for_overwrite<char[]>(kChunk + kOverlap);
  size_t kept = 0;  // overlap carried over from the previous chunk
  absl::Status status;
  for (int64_t pos = out.start; pos < out.end;) {
    if (cancelled && cancelled()) {
      status = Error(ErrorCode::kCancelled, "reading the bytes after the last revision");
      break;
    }
    const size_t want = static_cast<size_t>(std::min<int64_t>(out.end - pos, kChunk));
    const ssize_t n = ::pread(fd, buffer.get() + kept, want, pos);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = Error(ErrorCode::kIo, absl::StrCat("cannot read ", pdf.path()));
      break;
    }
    const std::string_view fresh(buffer.get() + kept, static_cast<size_t>(n));
    if (out.whitespace_only) {
      out.whitespace_only = std::all_of(fresh.begin(), fresh.end(), [](char c) {
        return IsPdfSpace(static_cast<unsigned char>(c));
      });
    }
    const std::string_view text(buffer.get(), kept + static_cast<size_t>(n));
    if (!out.whitespace_only) {
      // Matches wholly inside the overlap were seen with the previous chunk.
      const size_t from = kept > 8 ? kept - 8 : 0;
      for (const char* word : {"xref", "trailer"}) {
        if (text.find(word, from) != std::string_view::npos) out.has_update_structure = true;
      }
      for (size_t at = text.find("obj", from); at != std::string_view::npos;
           at = text.find("obj", at + 3)) {
        int64_t number = 0, generation = 0;
        if (out.redefined.size() >= kMaxRedefined ||
            !ObjectHeaderBefore(text, at, number, generation)) {
          continue;
        }
        const PoDoFo::PdfReference ref(static_cast<uint32_t>(number),
                                       static_cast<uint16_t>(generation));
        if (objects.GetObject(ref) != nullptr &&
            std::find(out.redefined.begin(), out.redefined.end(), number) == out.redefined.end()) {
          out.redefined.push_back(number);
        }
      }
    }
    kept = std::min(kOverlap, text.size());
    std::memmove(buffer.get(), text.data() + text.size() - kept, kept);
    pos += n;
  }
  ::close(fd);
  if (!status.ok()) return status;
  return out;
}

}  // namespace taicho::pdf
