#include "pades/signature_spec.h"

#include <ctime>

#include "pades/range_digest.h"
#include "signer/certificate_info.h"

namespace taicho::pades {

absl::StatusOr<pdf::SignatureFieldSpec> MakeFieldSpec(const std::vector<Bytes>& chain,
                                                      const SignOptions& options) {
  absl::StatusOr<signer::CertificateInfo> info = signer::DescribeCertificate(chain.front());
  if (!info.ok()) return info.status();
  pdf::SignatureFieldSpec spec;
  spec.page_index = options.page_index;
  spec.field_name = options.field_name;
  spec.reason = options.reason;
  spec.location = options.location;
  spec.signer_name = info->common_name;
  spec.rect = options.rect;
  spec.signing_time =
      pdf::PdfDateVietnam(options.signing_time.value_or(static_cast<int64_t>(std::time(nullptr))));
  spec.contents_capacity = signer::EstimateCmsSize(chain);
  return spec;
}

absl::StatusOr<DigestedUpdate> WriteDigestedUpdate(const std::string& input_path,
                                                   const pdf::AtomicFile& out,
                                                   const pdf::SignatureFieldSpec& spec,
                                                   signer::DigestAlgorithm md) {
  absl::StatusOr<pdf::PreparedUpdate> update =
      pdf::WriteSignatureUpdate(input_path, out.fd(), spec);
  if (!update.ok()) return update.status();
  absl::StatusOr<Bytes> digest = DigestByteRange(out.temp_path(), update->byte_range, md);
  if (!digest.ok()) return digest.status();
  return DigestedUpdate{*update, *std::move(digest)};
}

}  // namespace taicho::pades
