// Content-addressed files: each blob is named by the SHA-256 of its bytes
// (ROOT/ab/abcdef….pdf), made durable before anyone can name it, and never changed afterwards.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace taicho::store {

class BlobFiles {
 public:
  // `root` is created if missing. Not owned state beyond the path: thread-safe.
  static absl::StatusOr<BlobFiles> Open(const std::string& root);

  // fsyncs `path` (a complete file on the same file system), hashes it, drops it from the page
  // cache, renames it to its blob name and fsyncs the directory. When the blob exists already,
  // `path` is removed instead.
  // `sha256`, when not empty, is the file's hash as its writer computed it (then the file is
  // not read back): 64 lowercase hex digits, else kInternal.
  absl::StatusOr<std::string> Adopt(const std::string& path, const std::string& sha256 = {}) const;

  // The path a blob has (whether or not it exists). `sha256` must be 64 lowercase hex digits.
  absl::StatusOr<std::string> PathOf(const std::string& sha256) const;

 private:
  explicit BlobFiles(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

// SHA-256 of a file's bytes, lowercase hex (kIo when unreadable).
absl::StatusOr<std::string> Sha256OfFile(const std::string& path);

// fsync of a directory, so a rename or create inside it survives a crash.
absl::Status SyncDirectory(const std::string& dir);

}  // namespace taicho::store
