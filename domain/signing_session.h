// A signing session's own rule (split signing: prepared once, completed at most once): what the
// workflow checks before its work and the store checks again inside its transaction, so that two
// completions racing on one session cannot both land. Pure function; thread-safe.
#pragma once

#include "absl/status/status.h"
#include "domain/records.h"

namespace taicho::domain {

// OK while `session` may still be completed; kSessionCompleted once a revision came of it,
// kSessionSuperseded once its document was prepared again for the same role.
absl::Status CheckSessionOpen(const SessionRecord& session);

}  // namespace taicho::domain
