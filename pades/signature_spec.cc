#include "pades/signature_spec.h"

#include <ctime>

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

}  // namespace taicho::pades
