// Private to pades/: the PDF field spec for a signature by this chain with these options.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "pades/pdf_signer.h"

namespace taicho::pades {

absl::StatusOr<pdf::SignatureFieldSpec> MakeFieldSpec(const std::vector<Bytes>& chain,
                                                      const SignOptions& options);

}  // namespace taicho::pades
