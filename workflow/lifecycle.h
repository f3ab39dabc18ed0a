// The document lifecycle (Decree 30/2020: the authority signs, then the agency seals; then the
// desk issues): DRAFT → APPROVED → SEALED → ISSUED, and CANCELLED from any state before ISSUED.
#pragma once

#include <vector>

#include "pdf/signature_appearance.h"
#include "store/store.h"

namespace taicho::workflow {

enum class SignatureRole { kApprover, kSeal };

// What a role's signature needs and does.
struct RoleStep {
  store::DocumentState from;  // the state the document must be in
  store::DocumentState to;    // the state after the signature
  store::RevisionPurpose purpose;
  const char* field;               // the draft's signature field it fills
  pdf::AppearanceKind appearance;  // when an image is given
  const char* action;              // the history's word for it
};
const RoleStep& StepOf(SignatureRole role);

// True for the transitions the lifecycle allows.
bool CanTransition(store::DocumentState from, store::DocumentState to);

// The states a document may be cancelled from.
std::vector<store::DocumentState> CancellableStates();

const char* StateName(store::DocumentState state);  // "DRAFT", …

}  // namespace taicho::workflow
