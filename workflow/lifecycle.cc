#include "workflow/lifecycle.h"

#include "render/document_renderer.h"

namespace taicho::workflow {

using store::DocumentState;

const RoleStep& StepOf(SignatureRole role) {
  static const RoleStep kApprover{
      DocumentState::kDraft,   DocumentState::kApproved,      store::RevisionPurpose::kApproval,
      render::kOfficerField,   pdf::AppearanceKind::kOfficer, "approved",
      domain::Action::kApprove};
  static const RoleStep kSeal{DocumentState::kApproved,      DocumentState::kSealed,
                              store::RevisionPurpose::kSeal, render::kSealField,
                              pdf::AppearanceKind::kSeal,    "sealed",
                              domain::Action::kSeal};
  return role == SignatureRole::kApprover ? kApprover : kSeal;
}

}  // namespace taicho::workflow
