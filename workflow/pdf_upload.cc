#include "workflow/pdf_upload.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::workflow {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

// The cap in words for the message: MiB when whole, bytes otherwise.
std::string CapText(int64_t max_bytes) {
  if (max_bytes % kMiB == 0) return absl::StrCat(max_bytes / kMiB, " MiB");
  return absl::StrCat(max_bytes, " bytes");
}

absl::Status TooLarge(int64_t max_bytes) {
  return Error(ErrorCode::kUploadTooLarge, absl::StrCat("tối đa / at most ", CapText(max_bytes)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PdfUpload>> PdfUpload::Create(std::string path, int64_t max_bytes) {
  // 0600 whatever the umask: an uploaded document is nobody else's business on this machine.
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error(ErrorCode::kIo,
                 absl::StrCat("cannot create an upload work file: ", std::strerror(errno)));
  }
  return std::unique_ptr<PdfUpload>(new PdfUpload(fd, std::move(path), max_bytes));
}

PdfUpload::~PdfUpload() {
  if (fd_ >= 0) close(fd_);
  unlink(path_.c_str());
}

absl::Status PdfUpload::Declare(int64_t total_bytes) {
  if (size_ > 0 || declared_ > 0) {
    return Error(ErrorCode::kUsage, "metadata: chỉ trong thông điệp đầu / first message only");
  }
  if (total_bytes < 0) return Error(ErrorCode::kUsage, "total_size_bytes: âm / negative");
  if (total_bytes > max_bytes_) return TooLarge(max_bytes_);
  declared_ = total_bytes;
  return absl::OkStatus();
}

absl::Status PdfUpload::Append(std::string_view data) {
  if (fd_ < 0) return Error(ErrorCode::kInternal, "upload already finished");
  if (data.size() > kMaxUploadChunkBytes) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("data: tối đa / at most ", kMaxUploadChunkBytes, " bytes a message"));
  }
  const auto n = static_cast<int64_t>(data.size());
  // Checked before writing, so the file never holds more than the cap.
  if (n > max_bytes_ - size_) return TooLarge(max_bytes_);
  if (declared_ > 0 && n > declared_ - size_) {
    return Error(ErrorCode::kUsage, absl::StrCat("nhiều hơn kích thước đã khai / more than the ",
                                                 declared_, " bytes declared"));
  }
  while (!data.empty()) {
    const ssize_t written = write(fd_, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      return Error(ErrorCode::kIo,
                   absl::StrCat("cannot write the upload work file: ", std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  size_ += n;
  return absl::OkStatus();
}

absl::Status PdfUpload::Finish() {
  if (fd_ < 0) return Error(ErrorCode::kInternal, "upload already finished");
  const int fd = fd_;
  fd_ = -1;
  // A failed close can mean a failed delayed write (NFS, quotas): the file is not to be trusted.
  if (close(fd) != 0) {
    return Error(ErrorCode::kIo,
                 absl::StrCat("cannot close the upload work file: ", std::strerror(errno)));
  }
  if (size_ == 0) return Error(ErrorCode::kPdfUnreadable, "empty");
  if (declared_ > 0 && size_ != declared_) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("nhận / received ", size_, " bytes, khai / declared ", declared_));
  }
  return absl::OkStatus();
}

}  // namespace taicho::workflow
