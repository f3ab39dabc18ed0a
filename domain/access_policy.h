// Which role may do what: one table for every operation a front end offers, plus the rule that
// an officer signs only as themself. The use cases (workflow/) ask before doing anything, so a
// refused caller learns nothing from the store; errors are PERMISSION_DENIED (kRoleNotAllowed,
// kSignerMismatch). The table is constant: every function is thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "domain/principal.h"

namespace taicho::domain {

// An RPC, or an RPC and the signature role it is for (the split-signing calls differ by role).
enum class Operation {
  kCreateDocument,
  kGetDocument,
  kListDocuments,
  kDownloadRevision,
  kCancelDocument,
  kPrepareApproval,
  kCompleteApproval,
  kPrepareSeal,
  kCompleteSeal,
  kVerifyDocument,  // VerifyDocument, VerifyUpload
  kServerSeal,      // SignDocument(SEAL): the seal with a key the server holds
  kActivateKey,     // ActivateKey: an operator logs a server key in
  kListServerKeys,  // ListServerKeys
  kWatchReady,      // WatchReady: a desk's print jobs
  kMarkPrinted,     // MarkPrinted
  kRequestReprint,  // RequestReprint
  kReadRegister,    // ListRegister, ExportRegister: the register of issued documents
  kReadStatistics,  // GetDeskStatistics
  // WithdrawDocument (thu hồi): whoever may seal, i.e. give the number, may record its
  // withdrawal — the clerk (văn thư) who keeps the register, and the one-stop-shop software that
  // seals with the server's key (SignDocument).
  kWithdrawDocument,
  kReportPrintFailure,  // ReportPrintFailure: a print the printer did not finish
};

std::string_view OperationName(Operation operation);

// Every operation, in declaration order (for tables and tests).
const std::vector<Operation>& AllOperations();

// The roles allowed `operation`.
const std::vector<Role>& RolesFor(Operation operation);

// OK when `principal`'s role may perform `operation`; kRoleNotAllowed otherwise (also for a
// principal with no role).
absl::Status Authorize(const Principal& principal, Operation operation);

// For the approval operations, an officer acts only with their own signing certificate: OK when
// `signer_subject` (RFC 2253, from the chain or the stored session) equals the principal's
// subject, kSignerMismatch otherwise. OK for every other operation and role (a seal clerk uses
// the agency's seal certificate, not their own).
absl::Status AuthorizeSigner(const Principal& principal, Operation operation,
                             std::string_view signer_subject);

// The same for a use case's caller: OK for a caller without a principal (a front end that
// authenticates no one allows everything).
absl::Status Authorize(const Caller& caller, Operation operation);
absl::Status AuthorizeSigner(const Caller& caller, Operation operation,
                             std::string_view signer_subject);

}  // namespace taicho::domain
