#include "workflow/lifecycle.h"

#include "render/document_renderer.h"

namespace taicho::workflow {

using store::DocumentState;

const RoleStep& StepOf(SignatureRole role) {
  static const RoleStep kApprover{
      DocumentState::kDraft, DocumentState::kApproved,      store::RevisionPurpose::kApproval,
      render::kOfficerField, pdf::AppearanceKind::kOfficer, "approved"};
  static const RoleStep kSeal{DocumentState::kApproved,      DocumentState::kSealed,
                              store::RevisionPurpose::kSeal, render::kSealField,
                              pdf::AppearanceKind::kSeal,    "sealed"};
  return role == SignatureRole::kApprover ? kApprover : kSeal;
}

bool CanTransition(DocumentState from, DocumentState to) {
  switch (to) {
    case DocumentState::kApproved:
      return from == DocumentState::kDraft;
    case DocumentState::kSealed:
      return from == DocumentState::kApproved;
    case DocumentState::kIssued:
      return from == DocumentState::kSealed;
    case DocumentState::kCancelled:
      return from == DocumentState::kDraft || from == DocumentState::kApproved ||
             from == DocumentState::kSealed;
    case DocumentState::kDraft:
      return false;  // nothing goes back to a draft: signed bytes are never undone
  }
  return false;
}

std::vector<DocumentState> CancellableStates() {
  std::vector<DocumentState> out;
  for (DocumentState s : {DocumentState::kDraft, DocumentState::kApproved, DocumentState::kSealed,
                          DocumentState::kIssued, DocumentState::kCancelled}) {
    if (CanTransition(s, DocumentState::kCancelled)) out.push_back(s);
  }
  return out;
}

const char* StateName(DocumentState state) {
  switch (state) {
    case DocumentState::kDraft:
      return "DRAFT";
    case DocumentState::kApproved:
      return "APPROVED";
    case DocumentState::kSealed:
      return "SEALED";
    case DocumentState::kIssued:
      return "ISSUED";
    case DocumentState::kCancelled:
      return "CANCELLED";
  }
  return "UNKNOWN";
}

}  // namespace taicho::workflow
