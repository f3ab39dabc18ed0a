// A PDF received in pieces (taichod's VerifyUpload) into a private work file, so a file of any size
// up to the upload cap is verified without ever being held in memory. The file is created in the
// store's scratch directory, mode 0600, and removed when the PdfUpload goes away, however the call
// ended (done, refused, cancelled by the client); the store empties scratch/ at start-up for the
// case of a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace taicho::workflow {

// The most data one message of an upload may carry (bytes).
inline constexpr size_t kMaxUploadChunkBytes = 1024 * 1024;

class PdfUpload {
 public:
  // Creates the work file at `path` (a fresh scratch path: O_EXCL, so never someone else's file).
  // kIo when it cannot be created.
  static absl::StatusOr<std::unique_ptr<PdfUpload>> Create(std::string path, int64_t max_bytes);

  ~PdfUpload();
  PdfUpload(const PdfUpload&) = delete;
  PdfUpload& operator=(const PdfUpload&) = delete;

  // The sender's declared total size (0: not declared), before any data: kUploadTooLarge over the
  // cap, so a client learns it before sending anything; kUsage when negative or after data.
  absl::Status Declare(int64_t total_bytes);

  // Appends one piece. kUsage for a piece over kMaxUploadChunkBytes or one that goes past the
  // declared size; kUploadTooLarge when the total would pass the cap (nothing of the piece is
  // written; the caller stops reading); kIo when the disk refuses (full, …).
  absl::Status Append(std::string_view data);

  // Ends the upload; the file at path() is then complete and closed. kPdfUnreadable when no data
  // came (as an empty VerifyDocument), kUsage when fewer bytes came than declared.
  absl::Status Finish();

  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }

 private:
  PdfUpload(int fd, std::string path, int64_t max_bytes)
      : fd_(fd), path_(std::move(path)), max_bytes_(max_bytes) {}

  int fd_;  // -1 once finished
  const std::string path_;
  const int64_t max_bytes_;
  int64_t declared_ = 0;
  int64_t size_ = 0;
};

}  // namespace taicho::workflow
