// Which role may do what in taichod: one table for every RPC, plus the rule that an officer signs
// only as themself. The service asks before doing anything; errors are PERMISSION_DENIED.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "auth/role.h"

namespace taicho::auth {

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
  kVerifyDocument,      // VerifyDocument, VerifyUpload
  kServerSeal,          // SignDocument(SEAL): the seal with a key the server holds
  kActivateKey,         // ActivateKey: an operator logs a server key in
  kListServerKeys,      // ListServerKeys
  kWatchReady,          // WatchReady: a desk's print jobs
  kMarkPrinted,         // MarkPrinted
  kRequestReprint,      // RequestReprint
  kReadRegister,        // ListRegister, ExportRegister: the register of issued documents
  kReadStatistics,      // GetDeskStatistics
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

}  // namespace taicho::auth
