#include "pdf/pdf_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/prefix_document.h"

namespace taicho::pdf {
namespace {

// The length of the end-of-line that `text` starts with: CR, LF or CR LF (0 for none).
size_t EndOfLine(std::string_view text) {
  size_t n = 0;
  if (n < text.size() && text[n] == '\r') ++n;
  if (n < text.size() && text[n] == '\n') ++n;
  return n;
}

absl::Status IoError(const char* what, const std::string& path) {
  return Error(ErrorCode::kIo, absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<PdfSource> PdfSource::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    absl::Status error = IoError("cannot stat", path);
    ::close(fd);
    return error;
  }
  const int64_t size = st.st_size;
  if (size > kWholeFileBytes) return PdfSource(path, fd, size, nullptr);
  absl::StatusOr<std::string> bytes = pdf::ReadAt(fd, path, 0, static_cast<size_t>(size));
  ::close(fd);
  if (!bytes.ok()) return bytes.status();
  if (static_cast<int64_t>(bytes->size()) != size) {
    return Error(ErrorCode::kIo, absl::StrCat("short read of ", path));
  }
  return PdfSource(path, -1, size, std::make_shared<const std::string>(*std::move(bytes)));
}

PdfSource::PdfSource(PdfSource&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(other.fd_),
      size_(other.size_),
      whole_(std::move(other.whole_)) {
  other.fd_ = -1;
}

PdfSource::~PdfSource() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::string> PdfSource::ReadAt(int64_t offset, size_t length) const {
  if (offset < 0 || offset > size_) return std::string();
  length = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(length), size_ - offset));
  if (whole_ != nullptr) return whole_->substr(static_cast<size_t>(offset), length);
  return pdf::ReadAt(fd_, path_, offset, length);
}

absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> PdfSource::Device(
    int64_t length, const std::string& suffix) const {
  if (length < 0 || length > size_) length = size_;
  if (whole_ != nullptr) return OpenMemoryDevice(whole_, length, suffix);
  return OpenBufferedDevice(path_, length, suffix);
}

absl::StatusOr<int64_t> PdfSource::CopyForUpdate(int out_fd) const {
  int64_t end = size_;
  char last = '\n';
  if (whole_ != nullptr) {
    absl::Status st = WriteAt(
        out_fd, 0, std::span(reinterpret_cast<const uint8_t*>(whole_->data()), whole_->size()));
    if (!st.ok()) return st;
    if (!whole_->empty()) last = whole_->back();
  } else {
    absl::StatusOr<int64_t> copied = CopyFileTo(fd_, path_, out_fd);
    if (!copied.ok()) return copied.status();
    end = *copied;
    absl::StatusOr<std::string> tail = ReadAt(end - 1, 1);
    if (!tail.ok()) return tail.status();
    if (!tail->empty()) last = tail->back();
  }
  // The update starts on a fresh line whatever the previous revision ended with.
  if (last != '\n' && last != '\r') {
    absl::Status st = WriteAt(out_fd, end, std::span(reinterpret_cast<const uint8_t*>("\n"), 1));
    if (!st.ok()) return st;
    ++end;
  }
  return end;
}

absl::StatusOr<XrefTail> ReadXrefTail(const PdfSource& source) {
  const int64_t size = source.size();
  const int64_t tail_len = std::min<int64_t>(size, 2048);
  absl::StatusOr<std::string> tail = source.ReadAt(size - tail_len, static_cast<size_t>(tail_len));
  if (!tail.ok()) return tail.status();
  const std::optional<int64_t> startxref = LastStartXref(*tail);
  if (!startxref) return Error(ErrorCode::kPdfUnreadable, "no startxref at the end of the file");
  const int64_t value = *startxref;
  if (value >= size) {
    return Error(ErrorCode::kPdfUnreadable, "startxref does not point into the file");
  }
  absl::StatusOr<std::string> head = source.ReadAt(value, 32);
  if (!head.ok()) return head.status();
  size_t i = 0;
  while (i < head->size() && std::isspace(static_cast<unsigned char>((*head)[i]))) ++i;
  XrefTail result;
  result.startxref = value;
  if (head->compare(i, 4, "xref") == 0) {
    result.is_stream = false;
  } else if (i < head->size() && std::isdigit(static_cast<unsigned char>((*head)[i]))) {
    result.is_stream = true;
  } else {
    return Error(ErrorCode::kPdfUnreadable, "startxref points at neither a table nor a stream");
  }
  return result;
}

absl::StatusOr<int64_t> LastRevisionEnd(const PdfSource& source, int64_t limit) {
  static constexpr std::string_view kMarker = "%%EOF";
  static constexpr int64_t kBlock = 1 << 16;
  limit = std::clamp<int64_t>(limit, 0, source.size());
  if (const std::string* whole = source.whole()) {  // in memory already: no copies
    const std::string_view bytes(whole->data(), static_cast<size_t>(limit));
    const size_t at = bytes.rfind(kMarker);
    if (at == std::string_view::npos) return Error(ErrorCode::kPdfUnreadable, "no %%EOF marker");
    const size_t after = at + kMarker.size();
    return static_cast<int64_t>(after + EndOfLine(bytes.substr(after)));
  }
  // Blocks overlap by the marker's length less one, so a marker across two blocks is seen.
  for (int64_t end = limit; end > 0;) {
    const int64_t start = std::max<int64_t>(0, end - kBlock);
    absl::StatusOr<std::string> block = source.ReadAt(start, static_cast<size_t>(end - start));
    if (!block.ok()) return block.status();
    const size_t at = block->rfind(kMarker);
    if (at != std::string::npos) {
      const int64_t after = start + static_cast<int64_t>(at + kMarker.size());
      // The end-of-line that closes the marker belongs to the revision: CR, LF or CR LF.
      absl::StatusOr<std::string> eol = source.ReadAt(after, 2);
      if (!eol.ok()) return eol.status();
      return std::min(after + static_cast<int64_t>(EndOfLine(*eol)), limit);
    }
    if (start == 0) break;
    end = start + static_cast<int64_t>(kMarker.size()) - 1;
  }
  return Error(ErrorCode::kPdfUnreadable, "no %%EOF marker");
}

}  // namespace taicho::pdf
