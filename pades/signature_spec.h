// Private to pades/: the PDF field spec for a signature by this chain with these options.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "pades/pdf_signer.h"
#include "pades/range_digest.h"
#include "pdf/pdf_file.h"

namespace taicho::pades {

// Checks the options (the appearance's image and font too) before any file is written.
absl::StatusOr<pdf::SignatureFieldSpec> MakeFieldSpec(const std::vector<Bytes>& chain,
                                                      const SignOptions& options);

// The result of a signature written with `update`.
SignResult MakeResult(const pdf::PreparedUpdate& update, const std::string& signing_time,
                      pdf::AppearanceKind appearance, size_t cms_size);

// B-T: time-stamps the signature value of `cms` with `tsa` (if any) and embeds the token.
// Records the level, TSA and problems in `result`. Errors as the client's policy says.
absl::StatusOr<Bytes> AddTimeStamp(Bytes cms, const tsa::TsaClient* tsa, SignResult* result);
// Copies what AddTimeStamp recorded.
void CopyTimeStamp(const SignResult& from, SignResult* to);

// Writes the update with its placeholder into `out` (empty) and digests the signed ranges.
struct DigestedUpdate {
  pdf::PreparedUpdate update;
  Bytes digest;
};
absl::StatusOr<DigestedUpdate> WriteDigestedUpdate(const std::string& input_path,
                                                   const pdf::AtomicFile& out,
                                                   const pdf::SignatureFieldSpec& spec,
                                                   signer::DigestAlgorithm md,
                                                   FileSha256* file = nullptr);

}  // namespace taicho::pades
