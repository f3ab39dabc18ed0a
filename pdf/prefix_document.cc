#include "pdf/prefix_document.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <istream>
#include <memory>
#include <streambuf>
#include <utility>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/pdf_source.h"
#include "pdf/podofo_boundary.h"
#include "pdf/podofo_document.h"

namespace taicho::pdf {
namespace {

// Bytes [0, length) of a file, read with pread through a window; seekable. A file of at most
// kWholeFileBytes is read whole, once: PoDoFo seeks all over a file (the xref at the end, then
// each object), and a 64 KiB window read a 100 KB approved decision four and a half times over
// per seal. Larger files keep the small window: memory stays flat whatever their size.
// `suffix` (pdf::ConsolidatedXrefTail) follows the file's bytes, as if written after them.
class FilePrefixBuffer : public std::streambuf {
 public:
  FilePrefixBuffer(int fd, int64_t length, std::string suffix)
      : fd_(fd),
        length_(length),
        suffix_(std::move(suffix)),
        total_(length + static_cast<int64_t>(suffix_.size())),
        capacity_(length <= kWholeFileBytes ? static_cast<size_t>(std::max<int64_t>(length, 1))
                                            : kWindow),
        window_(std::make_unique_for_overwrite<char[]>(capacity_)) {
    setg(window_.get(), window_.get(), window_.get());
  }
  ~FilePrefixBuffer() override { ::close(fd_); }
  FilePrefixBuffer(const FilePrefixBuffer&) = delete;
  FilePrefixBuffer& operator=(const FilePrefixBuffer&) = delete;

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const int64_t pos = Position();
    if (pos >= total_) return traits_type::eof();
    if (pos >= length_) {
      char* begin = suffix_.data();
      window_start_ = length_;
      setg(begin, begin + (pos - length_), begin + suffix_.size());
      return traits_type::to_int_type(*gptr());
    }
    // Still inside what was read last (a seek moved the get area off it): no read.
    if (pos >= loaded_start_ && pos < loaded_start_ + static_cast<int64_t>(loaded_size_)) {
      window_start_ = loaded_start_;
      setg(window_.get(), window_.get() + (pos - loaded_start_), window_.get() + loaded_size_);
      return traits_type::to_int_type(*gptr());
    }
    // A whole-file buffer is filled from the start, so that every later seek lands inside it.
    int64_t start = capacity_ >= static_cast<size_t>(length_) ? 0 : pos;
    if (start != 0 && loaded_size_ > 0 && pos < loaded_start_ &&
        loaded_start_ - pos <= static_cast<int64_t>(capacity_)) {
      // Stepping backwards (PoDoFo looks for %%EOF and startxref from the end a byte at a time):
      // a window that ends just after `pos` serves the next steps too, instead of one read of a
      // whole window per byte.
      start = std::max<int64_t>(0, pos + kLookAhead - static_cast<int64_t>(capacity_));
    }
    const size_t want = static_cast<size_t>(std::min<int64_t>(length_ - start, capacity_));
    size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd_, window_.get() + got, want - got, start + got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    loaded_start_ = start;
    loaded_size_ = got;
    window_start_ = start;
    if (start + static_cast<int64_t>(got) <= pos) {
      setg(window_.get(), window_.get() + got, window_.get() + got);
      return traits_type::eof();
    }
    setg(window_.get(), window_.get() + (pos - start), window_.get() + got);
    return traits_type::to_int_type(*gptr());
  }

  pos_type seekoff(off_type off, std::ios_base::seekdir dir,
                   std::ios_base::openmode mode) override {
    int64_t base = 0;
    if (dir == std::ios_base::cur) base = Position();
    if (dir == std::ios_base::end) base = total_;
    return seekpos(pos_type(base + off), mode);
  }

  pos_type seekpos(pos_type pos, std::ios_base::openmode) override {
    const int64_t target = static_cast<int64_t>(pos);
    if (target < 0 || target > total_) return pos_type(off_type(-1));
    if (target >= window_start_ && target <= window_start_ + (egptr() - eback())) {
      setg(eback(), eback() + (target - window_start_), egptr());
    } else {
      window_start_ = target;
      setg(window_.get(), window_.get(), window_.get());
    }
    return pos;
  }

  std::streamsize showmanyc() override {
    const int64_t left = total_ - Position();
    return left > 0 ? static_cast<std::streamsize>(left) : -1;
  }

 private:
  int64_t Position() const { return window_start_ + (gptr() - eback()); }
  static constexpr size_t kWindow = 1 << 16;
  static constexpr int64_t kLookAhead = 256;  // kept after the position when stepping back
  int fd_;
  int64_t length_;  // bytes of the file
  std::string suffix_;
  int64_t total_;  // length_ and the suffix
  size_t capacity_;
  std::unique_ptr<char[]> window_;
  int64_t window_start_ = 0;  // file offset of the get area's start
  int64_t loaded_start_ = 0;  // file offset and size of the bytes in window_
  size_t loaded_size_ = 0;
};

// A whole file already in memory (pdf/pdf_source.h), shared with whoever else holds it.
class SharedBytesBuffer : public std::streambuf {
 public:
  SharedBytesBuffer(std::shared_ptr<const std::string> bytes, int64_t length)
      : bytes_(std::move(bytes)) {
    // The get area is only read: std::streambuf wants it non-const.
    char* begin = const_cast<char*>(bytes_->data());
    const size_t size =
        static_cast<size_t>(std::clamp<int64_t>(length, 0, static_cast<int64_t>(bytes_->size())));
    setg(begin, begin, begin + size);
  }

 protected:
  pos_type seekoff(off_type off, std::ios_base::seekdir dir,
                   std::ios_base::openmode mode) override {
    off_type base = 0;
    if (dir == std::ios_base::cur) base = gptr() - eback();
    if (dir == std::ios_base::end) base = egptr() - eback();
    return seekpos(pos_type(base + off), mode);
  }

  pos_type seekpos(pos_type pos, std::ios_base::openmode) override {
    const off_type target = static_cast<off_type>(pos);
    if (target < 0 || target > egptr() - eback()) return pos_type(off_type(-1));
    setg(eback(), eback() + target, egptr());
    return pos;
  }

  std::streamsize showmanyc() override {
    const std::streamsize left = egptr() - gptr();
    return left > 0 ? left : -1;
  }

 private:
  std::shared_ptr<const std::string> bytes_;
};

// The buffer and stream are built before the PdfInputDevice base that reads through them
// (base-from-member), so the device owns everything it uses. Mutable: PoDoFo reads through
// const methods.
template <class Buffer>
struct BufferStream {
  template <class... Args>
  explicit BufferStream(Args&&... args) : buffer(std::forward<Args>(args)...), stream(&buffer) {}
  mutable Buffer buffer;
  mutable std::istream stream;
};

template <class Buffer>
class StreamDevice : private BufferStream<Buffer>, public PoDoFo::PdfInputDevice {
 public:
  template <class... Args>
  explicit StreamDevice(Args&&... args)
      : BufferStream<Buffer>(std::forward<Args>(args)...), PoDoFo::PdfInputDevice(&this->stream) {}

  // PoDoFo's tokenizer reads one character at a time (a signature's /Contents hex string is
  // tens of thousands of them); std::istream::get and peek build a sentry for each, which was a
  // fifth of verifying a small signed file. These read the buffer directly and leave the
  // stream's state exactly as get() and peek() would: a stream not good() reads nothing and
  // fails; reaching the end sets eofbit (and failbit for get).
  int GetChar() const override {
    if (!this->stream.good()) {
      this->stream.setstate(std::ios_base::failbit);
      return EOF;
    }
    const int c = this->buffer.sbumpc();
    if (c == EOF) this->stream.setstate(std::ios_base::eofbit | std::ios_base::failbit);
    return c;
  }
  int Look() const override {
    if (!this->stream.good()) {
      this->stream.setstate(std::ios_base::failbit);
      return EOF;
    }
    const int c = this->buffer.sgetc();
    if (c == EOF) this->stream.setstate(std::ios_base::eofbit);
    return c;
  }
};

}  // namespace

absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> OpenBufferedDevice(const std::string& path,
                                                                    int64_t length,
                                                                    std::string suffix) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Error(ErrorCode::kIo, absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  return AtPodofoBoundary("open", [&]() -> absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> {
    return PoDoFo::PdfRefCountedInputDevice(
        new StreamDevice<FilePrefixBuffer>(fd, length, std::move(suffix)));
  });
}

absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> OpenMemoryDevice(
    std::shared_ptr<const std::string> bytes, int64_t length, const std::string& suffix) {
  if (!suffix.empty()) {  // rare (files of many revisions): a copy with the suffix
    length = std::clamp<int64_t>(length, 0, static_cast<int64_t>(bytes->size()));
    auto joined = std::make_shared<std::string>(bytes->substr(0, static_cast<size_t>(length)));
    joined->append(suffix);
    length = static_cast<int64_t>(joined->size());
    bytes = std::move(joined);
  }
  return AtPodofoBoundary("open", [&]() -> absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> {
    return PoDoFo::PdfRefCountedInputDevice(
        new StreamDevice<SharedBytesBuffer>(std::move(bytes), length));
  });
}

absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadRevision(const std::string& path,
                                                                     int64_t length,
                                                                     const LoadLimits& limits) {
  absl::StatusOr<PdfSource> source = PdfSource::Open(path);
  if (!source.ok()) return source.status();
  absl::StatusOr<int64_t> end = LastRevisionEnd(*source, length);
  if (!end.ok()) return end.status();
  return LoadDocument(*source, *end, limits, "load signed revision");
}

}  // namespace taicho::pdf
