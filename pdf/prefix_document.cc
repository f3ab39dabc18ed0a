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
#include "pdf/podofo_document.h"

namespace taicho::pdf {
namespace {

// Bytes [0, length) of a file, read with pread through a window; seekable. A file of at most
// kWholeFileBytes is read whole, once: PoDoFo seeks all over a file (the xref at the end, then
// each object), and a 64 KiB window read a 100 KB approved decision four and a half times over
// per seal. Larger files keep the small window: memory stays flat whatever their size.
class FilePrefixBuffer : public std::streambuf {
 public:
  FilePrefixBuffer(int fd, int64_t length)
      : fd_(fd),
        length_(length),
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
    if (pos >= length_) return traits_type::eof();
    // A whole-file buffer is filled from the start, so that every later seek lands inside it.
    const int64_t start = capacity_ >= static_cast<size_t>(length_) ? 0 : pos;
    const size_t want = static_cast<size_t>(std::min<int64_t>(length_ - start, capacity_));
    size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd_, window_.get() + got, want - got, start + got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (start + static_cast<int64_t>(got) <= pos) return traits_type::eof();
    window_start_ = start;
    setg(window_.get(), window_.get() + (pos - start), window_.get() + got);
    return traits_type::to_int_type(*gptr());
  }

  pos_type seekoff(off_type off, std::ios_base::seekdir dir,
                   std::ios_base::openmode mode) override {
    int64_t base = 0;
    if (dir == std::ios_base::cur) base = Position();
    if (dir == std::ios_base::end) base = length_;
    return seekpos(pos_type(base + off), mode);
  }

  pos_type seekpos(pos_type pos, std::ios_base::openmode) override {
    const int64_t target = static_cast<int64_t>(pos);
    if (target < 0 || target > length_) return pos_type(off_type(-1));
    if (target >= window_start_ && target <= window_start_ + (egptr() - eback())) {
      setg(eback(), eback() + (target - window_start_), egptr());
    } else {
      window_start_ = target;
      setg(window_.get(), window_.get(), window_.get());
    }
    return pos;
  }

  std::streamsize showmanyc() override {
    const int64_t left = length_ - Position();
    return left > 0 ? static_cast<std::streamsize>(left) : -1;
  }

 private:
  int64_t Position() const { return window_start_ + (gptr() - eback()); }
  static constexpr size_t kWindow = 1 << 16;
  int fd_;
  int64_t length_;
  size_t capacity_;
  std::unique_ptr<char[]> window_;
  int64_t window_start_ = 0;
};

// A whole file already in memory (pdf/pdf_source.h), shared with whoever else holds it.
class SharedBytesBuffer : public std::streambuf {
 public:
  explicit SharedBytesBuffer(std::shared_ptr<const std::string> bytes) : bytes_(std::move(bytes)) {
    // The get area is only read: std::streambuf wants it non-const.
    char* begin = const_cast<char*>(bytes_->data());
    setg(begin, begin, begin + bytes_->size());
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
// (base-from-member), so the device owns everything it uses.
template <class Buffer>
struct BufferStream {
  template <class... Args>
  explicit BufferStream(Args&&... args) : buffer(std::forward<Args>(args)...), stream(&buffer) {}
  Buffer buffer;
  std::istream stream;
};

template <class Buffer>
class StreamDevice : private BufferStream<Buffer>, public PoDoFo::PdfInputDevice {
 public:
  template <class... Args>
  explicit StreamDevice(Args&&... args)
      : BufferStream<Buffer>(std::forward<Args>(args)...), PoDoFo::PdfInputDevice(&this->stream) {}
};

}  // namespace

absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> OpenBufferedDevice(const std::string& path,
                                                                    int64_t length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Error(ErrorCode::kIo, absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  try {
    return PoDoFo::PdfRefCountedInputDevice(new StreamDevice<FilePrefixBuffer>(fd, length));
  } catch (const PoDoFo::PdfError& e) {
    return FromPodofoError(e, "open");
  }
}

absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> OpenMemoryDevice(
    std::shared_ptr<const std::string> bytes) {
  try {
    return PoDoFo::PdfRefCountedInputDevice(new StreamDevice<SharedBytesBuffer>(std::move(bytes)));
  } catch (const PoDoFo::PdfError& e) {
    return FromPodofoError(e, "open");
  }
}

absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadRevision(const std::string& path,
                                                                     int64_t length) {
  InitPodofo();
  absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> device = OpenBufferedDevice(path, length);
  if (!device.ok()) return device.status();
  auto doc = std::make_unique<PoDoFo::PdfMemDocument>();
  try {
    doc->LoadFromDevice(*device);
    if (doc->GetEncrypted()) return Error(ErrorCode::kPdfEncrypted);
    if (doc->GetCatalog() == nullptr) {
      return Error(ErrorCode::kPdfUnreadable, "signed revision has no catalog");
    }
  } catch (const PoDoFo::PdfError& e) {
    return FromPodofoError(e, "load signed revision");
  } catch (const std::exception& e) {
    return Error(ErrorCode::kPdfUnreadable, absl::StrCat("load signed revision: ", e.what()));
  }
  return doc;
}

}  // namespace taicho::pdf
