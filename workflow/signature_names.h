// Private to workflow/: before a signature is prepared, the names the page shows must be the
// certificates' names (identity/names.h). The officer's certificate must name the document's
// signer (SIGNER_NAME_MISMATCH); the seal must belong to the document's issuing agency — the
// agency its server key is configured for, else its certificate's organisation (AGENCY_MISMATCH).
// Thread-safe (reads only its arguments).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "render/document_data.h"
#include "signer/certificate_info.h"
#include "workflow/lifecycle.h"

namespace taicho::workflow {

// `data`: the document's data, parsed once by the caller. `key_agency`: PrepareInput::key_agency.
// Errors: the two above.
absl::Status CheckSignatureNames(const render::DocumentData& data, SignatureRole role,
                                 const signer::CertificateInfo& certificate,
                                 const std::string& key_agency);

}  // namespace taicho::workflow
