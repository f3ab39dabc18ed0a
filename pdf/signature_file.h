// The file a signature goes into, from the empty placeholder to the committed file. pdf/ does
// every step on the bytes — writes the update with its placeholder (signature_update.h), digests
// the signed byte ranges, embeds the DER the caller brings, finishes the file's SHA-256 and
// commits — and the caller (pades/) only makes the CMS between Write/Reopen and Commit. One-pass
// signing uses one SignatureFile from Write to Commit; split signing commits it empty at prepare
// time (CommitPrepared) and Reopens a copy at complete time. Knows bytes and digests, no CMS.
//
// Ownership and threads: a SignatureFile owns its temp file beside the output path (removed
// unless committed) and is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pdf/pdf_file.h"
#include "pdf/signature_update.h"

namespace taicho::pdf {

// The digest of the signed byte ranges (the CMS's message-digest).
enum class RangeDigest { kSha256, kSha384, kSha512 };

class FileSha256;  // private to pdf/ (range_digest.h)

class SignatureFile {
 public:
  // Copies `input_path` with the signature update `spec` asks for (placeholder, appearance,
  // fills) into a temp file beside `output_path` and digests its signed ranges with `md`. With
  // `hash_file`, the SHA-256 of the whole output file is built in the same read and finished by
  // Commit (the store names a revision by it). Errors: WriteSignatureUpdate's, kIo, kCrypto.
  static absl::StatusOr<SignatureFile> Write(const std::string& input_path,
                                             const std::string& output_path, Durability durability,
                                             const SignatureFieldSpec& spec, RangeDigest md,
                                             bool hash_file);

  // A file Write wrote and CommitPrepared committed, copied into a temp file beside
  // `output_path` (the bytes checked are the bytes signed). kStateInvalid unless it still has
  // `update`'s size, an empty placeholder, and signed ranges whose `md` digest is
  // `expected_digest`.
  static absl::StatusOr<SignatureFile> Reopen(const std::string& prepared_path,
                                              const PreparedUpdate& update,
                                              const std::string& output_path, Durability durability,
                                              RangeDigest md,
                                              std::span<const uint8_t> expected_digest);

  SignatureFile(SignatureFile&& other) noexcept;
  SignatureFile& operator=(SignatureFile&&) = delete;
  ~SignatureFile();

  const PreparedUpdate& update() const { return update_; }
  // The digest of the signed byte ranges, with the RangeDigest given.
  const std::vector<uint8_t>& digest() const { return digest_; }

  // Writes the update again from `input_path`, with `spec` (a larger /Contents capacity: the
  // CMS outgrew the first). Only for a file made by Write.
  absl::Status Rewrite(const std::string& input_path, const SignatureFieldSpec& spec);

  // Renames the file into place with its placeholder still empty (split signing's prepare).
  absl::Status CommitPrepared();

  // Embeds `der` in the placeholder (kSignatureTooLarge when it does not fit), finishes the
  // file's SHA-256 when one was asked for and renames the file into place. Returns that SHA-256
  // (lowercase hex), or "" when none was asked for.
  absl::StatusOr<std::string> Commit(std::span<const uint8_t> der);

 private:
  SignatureFile(AtomicFile file, RangeDigest md, bool hash_file);
  // Writes the update into the (empty or truncated) file and digests it.
  absl::Status WriteUpdate(const std::string& input_path, const SignatureFieldSpec& spec);

  AtomicFile file_;
  RangeDigest md_;
  bool hash_file_ = false;
  bool written_ = false;  // the file holds an update: Rewrite truncates it first
  PreparedUpdate update_;
  std::vector<uint8_t> digest_;
  std::unique_ptr<FileSha256> file_sha_;  // while hash_file_, from WriteUpdate to Commit
};

}  // namespace taicho::pdf
