// Private to pades/: the digest of a PDF's signed byte ranges, streamed from the file.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "pdf/pdf_file.h"
#include "signer/bytes.h"
#include "signer/key_signer.h"

namespace taicho::pades {

absl::StatusOr<Bytes> DigestByteRange(const std::string& path, const pdf::ByteRange& range,
                                      signer::DigestAlgorithm md);

}  // namespace taicho::pades
