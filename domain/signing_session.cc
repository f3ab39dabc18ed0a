#include "domain/signing_session.h"

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::domain {

absl::Status CheckSessionOpen(const SessionRecord& session) {
  if (session.completed_revision != 0) {
    return Error(ErrorCode::kSessionCompleted,
                 absl::StrCat("revision ", session.completed_revision));
  }
  if (!session.superseded_by.empty()) {
    return Error(ErrorCode::kSessionSuperseded,
                 "prepared again as signingSessions/" + session.superseded_by);
  }
  return absl::OkStatus();
}

}  // namespace taicho::domain
