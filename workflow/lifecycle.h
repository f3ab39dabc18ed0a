// What each signature role needs and does. Which state may move where is the domain's one table
// (domain/transitions.h); this adds what the PDF side needs for the two signatures. Constant
// data; thread-safe.
#pragma once

#include "domain/transitions.h"
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
  domain::Action transition;       // its row in the transitions table
};
const RoleStep& StepOf(SignatureRole role);

using domain::StateName;

}  // namespace taicho::workflow
