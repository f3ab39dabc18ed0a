// Private to pades/: the PDF field spec for a signature by this chain with these options.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "pades/pdf_signer.h"
#include "pdf/pdf_file.h"

namespace taicho::pades {

absl::StatusOr<pdf::SignatureFieldSpec> MakeFieldSpec(const std::vector<Bytes>& chain,
                                                      const SignOptions& options);

// Writes the update with its placeholder into `out` (empty) and digests the signed ranges.
struct DigestedUpdate {
  pdf::PreparedUpdate update;
  Bytes digest;
};
absl::StatusOr<DigestedUpdate> WriteDigestedUpdate(const std::string& input_path,
                                                   const pdf::AtomicFile& out,
                                                   const pdf::SignatureFieldSpec& spec,
                                                   signer::DigestAlgorithm md);

}  // namespace taicho::pades
