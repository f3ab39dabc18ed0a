#include "domain/access_policy.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::domain {
namespace {

using enum Role;

struct Rule {
  Operation operation;
  std::string_view name;
  std::vector<Role> roles;
};

// The one place permissions are decided.
const std::array<Rule, 20>& Rules() {
  static const auto* const rules = new std::array<Rule, 20>{{
      {Operation::kCreateDocument, "CreateDocument", {kIntake}},
      {Operation::kGetDocument,
       "GetDocument",
       {kIntake, kOfficer, kSealClerk, kPrintStation, kAuditor}},
      {Operation::kListDocuments,
       "ListDocuments",
       {kIntake, kOfficer, kSealClerk, kPrintStation, kAuditor}},
      {Operation::kDownloadRevision,
       "DownloadRevision",
       {kIntake, kOfficer, kSealClerk, kPrintStation, kAuditor}},
      {Operation::kCancelDocument, "CancelDocument", {kIntake}},
      {Operation::kPrepareApproval, "PrepareSignature(APPROVER)", {kOfficer}},
      {Operation::kCompleteApproval, "CompleteSignature(APPROVER)", {kOfficer}},
      {Operation::kPrepareSeal, "PrepareSignature(SEAL)", {kSealClerk}},
      {Operation::kCompleteSeal, "CompleteSignature(SEAL)", {kSealClerk}},
      // Uploading streamed (VerifyUpload) is the same verification as VerifyDocument.
      {Operation::kVerifyDocument,
       "VerifyDocument/VerifyUpload",
       {kIntake, kOfficer, kSealClerk, kPrintStation, kAuditor, kOperator}},
      // The seal clerk, or the one-stop-shop software sealing as soon as the officer approved.
      {Operation::kServerSeal, "SignDocument(SEAL)", {kSealClerk, kIntake}},
      {Operation::kActivateKey, "ActivateKey", {kOperator}},
      {Operation::kListServerKeys, "ListServerKeys", {kOperator}},
      // Only the desk's print station prints, confirms and asks for reprints.
      {Operation::kWatchReady, "WatchReady", {kPrintStation}},
      {Operation::kMarkPrinted, "MarkPrinted", {kPrintStation}},
      {Operation::kRequestReprint, "RequestReprint", {kPrintStation}},
      // The clerk (văn thư) keeps the register; auditors and the one-stop-shop read it.
      {Operation::kReadRegister, "ListRegister/ExportRegister", {kSealClerk, kAuditor, kIntake}},
      {Operation::kReadStatistics, "GetDeskStatistics", {kAuditor, kIntake, kOperator}},
      // Who may give the number (seal) may record its withdrawal (see Operation).
      {Operation::kWithdrawDocument, "WithdrawDocument", {kSealClerk, kIntake}},
      {Operation::kReportPrintFailure, "ReportPrintFailure", {kPrintStation}},
  }};
  return *rules;
}

const Rule& RuleFor(Operation operation) {
  for (const Rule& rule : Rules()) {
    if (rule.operation == operation) return rule;
  }
  // Every enumerator has a rule (checked by auth_test); an unknown value allows nobody.
  static const Rule kNobody{operation, "unknown", {}};
  return kNobody;
}

}  // namespace

std::string_view OperationName(Operation operation) { return RuleFor(operation).name; }

const std::vector<Operation>& AllOperations() {
  static const auto* const all = [] {
    auto* out = new std::vector<Operation>;
    for (const Rule& rule : Rules()) out->push_back(rule.operation);
    return out;
  }();
  return *all;
}

const std::vector<Role>& RolesFor(Operation operation) { return RuleFor(operation).roles; }

absl::Status Authorize(const Principal& principal, Operation operation) {
  const Rule& rule = RuleFor(operation);
  if (!principal.role) {
    return Error(ErrorCode::kRoleNotAllowed,
                 absl::StrCat(std::string(rule.name), ": the client certificate names no role"));
  }
  if (std::find(rule.roles.begin(), rule.roles.end(), *principal.role) == rule.roles.end()) {
    return Error(ErrorCode::kRoleNotAllowed,
                 absl::StrCat(std::string(rule.name), " is not allowed to role ",
                              std::string(RoleName(*principal.role))));
  }
  return absl::OkStatus();
}

absl::Status AuthorizeSigner(const Principal& principal, Operation operation,
                             std::string_view signer_subject) {
  const bool approval =
      operation == Operation::kPrepareApproval || operation == Operation::kCompleteApproval;
  if (!approval || principal.role != Role::kOfficer) return absl::OkStatus();
  if (signer_subject == principal.subject) return absl::OkStatus();
  // Subjects are identities, not secrets: naming the signer helps the officer see the mix-up.
  return Error(ErrorCode::kSignerMismatch, absl::StrCat("signer ", std::string(signer_subject)));
}

absl::Status Authorize(const Caller& caller, Operation operation) {
  if (!caller.principal) return absl::OkStatus();
  return Authorize(*caller.principal, operation);
}

absl::Status AuthorizeSigner(const Caller& caller, Operation operation,
                             std::string_view signer_subject) {
  if (!caller.principal) return absl::OkStatus();
  return AuthorizeSigner(*caller.principal, operation, signer_subject);
}

}  // namespace taicho::domain
