// auth/: roles read from the sample client certificates, and the permission table.
#include <map>
#include <set>

#include "auth/access_policy.h"
#include "auth/role.h"
#include "errors/error.h"
#include "gtest/gtest.h"
#include "tests/support/pki_fixture.h"

namespace taicho::auth {
namespace {

using taicho::testing::GetSamplePki;
using taicho::testing::ReadFileBytes;

Principal FromSample(const std::string& name) {
  absl::StatusOr<Principal> p =
      PrincipalFromCertificatePem(ReadFileBytes(GetSamplePki().dir + "/" + name + ".pem"));
  EXPECT_TRUE(p.ok()) << name << ": " << p.status();
  return p.ok() ? *p : Principal{};
}

TEST(AuthRole, NamesRoundTrip) {
  for (Role role : {Role::kIntake, Role::kOfficer, Role::kSealClerk, Role::kPrintStation,
                    Role::kAuditor, Role::kOperator}) {
    EXPECT_EQ(ParseRole(RoleName(role)), role);
  }
  EXPECT_EQ(ParseRole("admin"), std::nullopt);
  EXPECT_EQ(ParseRole(""), std::nullopt);
}

TEST(AuthRole, SampleClientCertificatesCarryTheirRoles) {
  const std::map<std::string, std::optional<Role>> expected = {
      {"client-intake", Role::kIntake},
      {"client-officer-an", Role::kOfficer},
      {"client-officer-binh", Role::kOfficer},
      {"client-seal-clerk", Role::kSealClerk},
      {"client-print-station", Role::kPrintStation},
      {"client-auditor", Role::kAuditor},
      {"client-operator", Role::kOperator},
      {"client-no-role", std::nullopt},
      // A signing certificate has no role URI: it can never act as a client.
      {"officer-an", std::nullopt},
  };
  for (const auto& [name, role] : expected) {
    EXPECT_EQ(FromSample(name).role, role) << name;
  }
}

TEST(AuthRole, OfficerClientSubjectIsTheSigningSubject) {
  const Principal client = FromSample("client-officer-an");
  const Principal signing = FromSample("officer-an");
  EXPECT_EQ(client.subject, signing.subject);
  EXPECT_NE(client.subject.find("CN=Nguyễn Văn An"), std::string::npos) << client.subject;
  EXPECT_EQ(client.Actor(), "officer: " + client.subject);
}

TEST(AuthRole, GarbageIsCertificateInvalid) {
  auto p =
      PrincipalFromCertificatePem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  EXPECT_TRUE(HasCode(p.status(), ErrorCode::kCertificateInvalid)) << p.status();
  EXPECT_TRUE(HasCode(PrincipalFromCertificatePem("").status(), ErrorCode::kCertificateInvalid));
}

TEST(AuthPolicy, EveryOperationHasANameAndTheTableIsAsDocumented) {
  using enum Operation;
  using enum Role;
  const std::set<Role> readers = {kIntake, kOfficer, kSealClerk, kPrintStation, kAuditor};
  const std::map<Operation, std::set<Role>> expected = {
      {kCreateDocument, {kIntake}},
      {kCancelDocument, {kIntake}},
      {kGetDocument, readers},
      {kListDocuments, readers},
      {kDownloadRevision, readers},
      {kPrepareApproval, {kOfficer}},
      {kCompleteApproval, {kOfficer}},
      {kPrepareSeal, {kSealClerk}},
      {kCompleteSeal, {kSealClerk}},
      {kVerifyDocument, {kIntake, kOfficer, kSealClerk, kPrintStation, kAuditor, kOperator}},
      {kServerSeal, {kSealClerk, kIntake}},
      {kActivateKey, {kOperator}},
      {kListServerKeys, {kOperator}},
      {kWatchReady, {kPrintStation}},
      {kMarkPrinted, {kPrintStation}},
      {kRequestReprint, {kPrintStation}},
      {kReadRegister, {kSealClerk, kAuditor, kIntake}},
      {kReadStatistics, {kAuditor, kIntake, kOperator}},
      {kWithdrawDocument, {kSealClerk, kIntake}},
      {kReportPrintFailure, {kPrintStation}},
  };
  ASSERT_EQ(AllOperations().size(), expected.size());
  for (Operation op : AllOperations()) {
    EXPECT_NE(OperationName(op), "unknown");
    const std::set<Role>& allowed = expected.at(op);
    for (Role role : {kIntake, kOfficer, kSealClerk, kPrintStation, kAuditor, kOperator}) {
      absl::Status st = Authorize(Principal{role, "CN=x"}, op);
      if (allowed.count(role) != 0) {
        EXPECT_TRUE(st.ok()) << OperationName(op) << " " << RoleName(role) << ": " << st;
      } else {
        EXPECT_TRUE(HasCode(st, ErrorCode::kRoleNotAllowed))
            << OperationName(op) << " " << RoleName(role) << ": " << st;
        EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
      }
    }
    EXPECT_TRUE(
        HasCode(Authorize(Principal{std::nullopt, "CN=x"}, op), ErrorCode::kRoleNotAllowed));
  }
}

TEST(AuthPolicy, AnOfficerSignsOnlyAsThemself) {
  const Principal an{Role::kOfficer, "CN=An"};
  EXPECT_TRUE(AuthorizeSigner(an, Operation::kPrepareApproval, "CN=An").ok());
  EXPECT_TRUE(AuthorizeSigner(an, Operation::kCompleteApproval, "CN=An").ok());
  absl::Status st = AuthorizeSigner(an, Operation::kCompleteApproval, "CN=Binh");
  EXPECT_TRUE(HasCode(st, ErrorCode::kSignerMismatch)) << st;
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(HasCode(AuthorizeSigner(an, Operation::kPrepareApproval, "CN=Binh"),
                      ErrorCode::kSignerMismatch));
  // A seal clerk uses the agency's seal certificate, never their own.
  EXPECT_TRUE(
      AuthorizeSigner(Principal{Role::kSealClerk, "CN=Clerk"}, Operation::kCompleteSeal, "CN=UBND")
          .ok());
}

}  // namespace
}  // namespace taicho::auth
