#include "workflow/signature_names.h"

#include "identity/names.h"

namespace taicho::workflow {

absl::Status CheckSignatureNames(const render::DocumentData& data, SignatureRole role,
                                 const signer::CertificateInfo& certificate,
                                 const std::string& key_agency) {
  if (role == SignatureRole::kApprover) {
    return identity::CheckSignerName(data.signer.name, certificate.common_name);
  }
  return identity::CheckSealAgency(data.agency.name, key_agency, certificate.organisation);
}

}  // namespace taicho::workflow
