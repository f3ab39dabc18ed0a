#include "domain/transitions.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::domain {
namespace {

using enum DocumentState;

struct Row {
  Action action;
  const char* name;
  // The target from each state, indexed by the state's stored value - 1; unset: not allowed.
  std::optional<DocumentState> to[6];
};

constexpr std::nullopt_t no = std::nullopt;

// THE table. Columns: DRAFT, APPROVED, SEALED, ISSUED, CANCELLED, WITHDRAWN.
const Row kTable[] = {
    {Action::kApprove, "approve", {kApproved, no, no, no, no, no}},
    {Action::kSeal, "seal", {no, kSealed, no, no, no, no}},
    {Action::kPrint, "print", {no, no, kIssued, kIssued, no, no}},
    {Action::kRequestReprint, "request reprint", {no, no, no, kIssued, no, no}},
    {Action::kCancel, "cancel", {kCancelled, kCancelled, no, no, no, no}},
    {Action::kWithdraw, "withdraw", {no, no, kWithdrawn, kWithdrawn, no, no}},
};

const Row* RowOf(Action action) {
  for (const Row& row : kTable) {
    if (row.action == action) return &row;
  }
  return nullptr;
}

int Index(DocumentState state) { return static_cast<int>(state) - 1; }

bool Known(DocumentState state) { return Index(state) >= 0 && Index(state) < 6; }

}  // namespace

const std::vector<DocumentState>& AllStates() {
  static const std::vector<DocumentState> kAll = {kDraft,  kApproved,  kSealed,
                                                  kIssued, kCancelled, kWithdrawn};
  return kAll;
}

const std::vector<Action>& AllActions() {
  static const std::vector<Action> kAll = [] {
    std::vector<Action> out;
    for (const Row& row : kTable) out.push_back(row.action);
    return out;
  }();
  return kAll;
}

absl::StatusOr<DocumentState> Next(DocumentState from, Action action) {
  const Row* row = RowOf(action);
  if (row != nullptr && Known(from) && row->to[Index(from)]) return *row->to[Index(from)];
  const std::string what = absl::StrCat("văn bản đang ở trạng thái / the document is ",
                                        StateName(from), ": ", ActionName(action));
  // The two ends are easy to confuse: say which one applies.
  if (action == Action::kCancel && (from == kSealed || from == kIssued)) {
    return Error(ErrorCode::kTransitionInvalid,
                 absl::StrCat(what,
                              " — văn bản đã đóng dấu, có số: hãy thu hồi "
                              "(WithdrawDocument) / sealed and numbered: withdraw it "
                              "(WithdrawDocument)"));
  }
  if (action == Action::kWithdraw && (from == kDraft || from == kApproved)) {
    return Error(ErrorCode::kTransitionInvalid,
                 absl::StrCat(what,
                              " — văn bản chưa đóng dấu: hãy hủy (CancelDocument) / not "
                              "sealed yet: cancel it (CancelDocument)"));
  }
  std::string allowed;
  for (DocumentState s : StatesAllowing(action)) {
    absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", StateName(s));
  }
  return Error(ErrorCode::kTransitionInvalid,
               absl::StrCat(what, " — chỉ khi / only when ", allowed));
}

std::vector<DocumentState> StatesAllowing(Action action) {
  std::vector<DocumentState> out;
  const Row* row = RowOf(action);
  if (row == nullptr) return out;
  for (DocumentState s : AllStates()) {
    if (row->to[Index(s)]) out.push_back(s);
  }
  return out;
}

bool CanTransition(DocumentState from, DocumentState to) {
  if (!Known(from)) return false;
  for (const Row& row : kTable) {
    if (row.to[Index(from)] == to && from != to) return true;
  }
  return false;
}

const char* StateName(DocumentState state) {
  switch (state) {
    case kDraft:
      return "DRAFT";
    case kApproved:
      return "APPROVED";
    case kSealed:
      return "SEALED";
    case kIssued:
      return "ISSUED";
    case kCancelled:
      return "CANCELLED";
    case kWithdrawn:
      return "WITHDRAWN";
  }
  return "UNKNOWN";
}

const char* ActionName(Action action) {
  const Row* row = RowOf(action);
  return row == nullptr ? "unknown" : row->name;
}

}  // namespace taicho::domain
