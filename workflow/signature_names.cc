#include "workflow/signature_names.h"

#include "identity/names.h"
#include "render/document_data.h"

namespace taicho::workflow {

absl::Status CheckSignatureNames(const store::DocumentRecord& document, render::KindCache& kinds,
                                 SignatureRole role, const signer::CertificateInfo& certificate,
                                 const std::string& key_agency) {
  absl::StatusOr<std::shared_ptr<const render::DocumentKind>> kind = kinds.Get(document.kind);
  if (!kind.ok()) return kind.status();
  absl::StatusOr<render::DocumentData> data = render::ParseDocumentJson(document.data_json, **kind);
  if (!data.ok()) return data.status();
  if (role == SignatureRole::kApprover) {
    return identity::CheckSignerName(data->signer.name, certificate.common_name);
  }
  return identity::CheckSealAgency(data->agency.name, key_agency, certificate.organisation);
}

}  // namespace taicho::workflow
