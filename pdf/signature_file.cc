#include "pdf/signature_file.h"

#include <unistd.h>

#include <algorithm>

#include "errors/error.h"
#include "pdf/range_digest.h"

namespace taicho::pdf {

SignatureFile::SignatureFile(AtomicFile file, RangeDigest md, bool hash_file)
    : file_(std::move(file)), md_(md), hash_file_(hash_file) {}
SignatureFile::SignatureFile(SignatureFile&& other) noexcept = default;
SignatureFile::~SignatureFile() = default;

absl::StatusOr<SignatureFile> SignatureFile::Write(const std::string& input_path,
                                                   const std::string& output_path,
                                                   Durability durability,
                                                   const SignatureFieldSpec& spec, RangeDigest md,
                                                   bool hash_file) {
  absl::StatusOr<AtomicFile> out = AtomicFile::Create(output_path, durability);
  if (!out.ok()) return out.status();
  SignatureFile file(*std::move(out), md, hash_file);
  absl::Status st = file.WriteUpdate(input_path, spec);
  if (!st.ok()) return st;
  return file;
}

absl::Status SignatureFile::WriteUpdate(const std::string& input_path,
                                        const SignatureFieldSpec& spec) {
  // Only a second write truncates: on ext4 a truncated file is flushed when it is closed
  // (auto_da_alloc), a write-out per signature the new, empty file does not need.
  if (written_ && ::ftruncate(file_.fd(), 0) != 0) {
    return Error(ErrorCode::kIo, "cannot truncate output");
  }
  written_ = true;
  file_sha_.reset();
  if (hash_file_) {
    absl::StatusOr<std::unique_ptr<FileSha256>> sha = FileSha256::Start();
    if (!sha.ok()) return sha.status();
    file_sha_ = *std::move(sha);
  }
  absl::StatusOr<PreparedUpdate> update = WriteSignatureUpdate(input_path, file_.fd(), spec);
  if (!update.ok()) return update.status();
  update_ = *std::move(update);
  absl::StatusOr<std::vector<uint8_t>> digest =
      DigestByteRange(file_.fd(), file_.temp_path(), update_.byte_range, md_, file_sha_.get());
  if (!digest.ok()) return digest.status();
  digest_ = *std::move(digest);
  return absl::OkStatus();
}

absl::Status SignatureFile::Rewrite(const std::string& input_path, const SignatureFieldSpec& spec) {
  if (!written_) return Error(ErrorCode::kInternal, "Rewrite of a reopened signature file");
  return WriteUpdate(input_path, spec);
}

absl::StatusOr<SignatureFile> SignatureFile::Reopen(const std::string& prepared_path,
                                                    const PreparedUpdate& update,
                                                    const std::string& output_path,
                                                    Durability durability, RangeDigest md,
                                                    std::span<const uint8_t> expected_digest) {
  absl::StatusOr<AtomicFile> out = AtomicFile::Create(output_path, durability);
  if (!out.ok()) return out.status();
  SignatureFile file(*std::move(out), md, /*hash_file=*/false);
  file.update_ = update;
  // Work on a private copy so the bytes checked are the bytes signed.
  absl::StatusOr<int64_t> copied = CopyFileTo(prepared_path, file.file_.fd());
  if (!copied.ok()) return copied.status();
  if (*copied != update.file_size) {
    return Error(ErrorCode::kStateInvalid, "the prepared PDF changed size");
  }
  // The placeholder must still be all zeros: nothing was embedded in the prepared file yet.
  const size_t hex = update.contents_capacity * 2 + 2;
  absl::StatusOr<std::string> gap =
      ReadAt(file.file_.fd(), file.file_.temp_path(), update.contents_offset, hex);
  if (!gap.ok()) return gap.status();
  if (gap->size() != hex || gap->front() != '<' || gap->back() != '>' ||
      gap->find_first_not_of('0', 1) != gap->size() - 1) {
    return Error(ErrorCode::kStateInvalid, "the prepared PDF's placeholder is not empty");
  }
  absl::StatusOr<std::vector<uint8_t>> digest =
      DigestByteRange(file.file_.fd(), file.file_.temp_path(), update.byte_range, md);
  if (!digest.ok()) return digest.status();
  if (!std::equal(digest->begin(), digest->end(), expected_digest.begin(), expected_digest.end())) {
    return Error(ErrorCode::kStateInvalid, "the prepared PDF changed since it was prepared");
  }
  file.digest_ = *std::move(digest);
  return file;
}

absl::Status SignatureFile::CommitPrepared() { return file_.Commit(); }

absl::StatusOr<std::string> SignatureFile::Commit(std::span<const uint8_t> der) {
  absl::Status st = EmbedContents(file_.fd(), update_, der);
  if (!st.ok()) return st;
  std::string sha;
  if (file_sha_ != nullptr) {
    absl::StatusOr<std::string> finished =
        file_sha_->FinishFrom(file_.fd(), file_.temp_path(), update_.byte_range[1]);
    if (!finished.ok()) return finished.status();
    sha = *std::move(finished);
  }
  st = file_.Commit();
  if (!st.ok()) return st;
  return sha;
}

}  // namespace taicho::pdf
