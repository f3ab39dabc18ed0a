// The document lifecycle (Decree 30/2020: the authority signs, then the agency seals; then the
// desk issues), as one table: for each state and each action, the state it leads to or why not.
//
//   DRAFT ─approve→ APPROVED ─seal→ SEALED ─print→ ISSUED (─print/request reprint→ ISSUED)
//   DRAFT, APPROVED ─cancel→ CANCELLED        SEALED, ISSUED ─withdraw→ WITHDRAWN (thu hồi)
//
// Cancelling ends a document that has no number yet. Once sealed, the number is a legal fact: the
// document can only be withdrawn, with a reason, and the register keeps the number as withdrawn.
// Nothing leaves CANCELLED or WITHDRAWN, and nothing goes back: signed bytes are never undone.
// Constant data; every function is thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/records.h"

namespace taicho::domain {

// What can happen to a document's state. Reading it, verifying it and downloading it change no
// state and are allowed in every state.
enum class Action {
  kApprove,         // the officer's signature (prepared, completed)
  kSeal,            // the agency's seal (prepared, completed, or in one step with a server key)
  kPrint,           // a print recorded (MarkPrinted): the first issues, a reprint keeps ISSUED
  kRequestReprint,  // a reprint asked for (RequestReprint)
  kCancel,          // CancelDocument
  kWithdraw,        // WithdrawDocument (thu hồi)
};

// Every state and every action, in declaration order (for tables and tests).
const std::vector<DocumentState>& AllStates();
const std::vector<Action>& AllActions();

// The state `action` moves a document in `from` to; kTransitionInvalid (a Vietnamese / English
// message naming the state, and for cancel/withdraw the operation to use instead) otherwise.
absl::StatusOr<DocumentState> Next(DocumentState from, Action action);

// The states `action` is allowed from: what the store checks again inside its transaction.
std::vector<DocumentState> StatesAllowing(Action action);

// True when some action moves a document from `from` to `to`.
bool CanTransition(DocumentState from, DocumentState to);

const char* StateName(DocumentState state);  // "DRAFT", …
const char* ActionName(Action action);       // "approve", …

}  // namespace taicho::domain
