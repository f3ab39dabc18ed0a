// Who a taichod caller is: a role and an identity, read from the client certificate that mutual
// TLS authenticated.
//
// The role is a SAN URI "urn:taicho:role:ROLE" in the client certificate (exactly one), not a
// subject attribute: the subject then stays free to be exactly the person's signing-certificate
// subject, which is how an officer is matched to the signing sessions they may complete. Only a
// CA the service trusts for clients (--client-ca) can put a role there.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace taicho::auth {

enum class Role { kIntake, kOfficer, kSealClerk, kPrintStation, kAuditor, kOperator };

// "intake", "officer", "seal-clerk", "print-station", "auditor", "operator".
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

// The SAN URI prefix naming a role.
inline constexpr std::string_view kRoleUriPrefix = "urn:taicho:role:";

struct Principal {
  std::optional<Role> role;  // unset: the certificate names no (or more than one, or no known) role
  std::string subject;       // RFC 2253, UTF-8, as signer::DescribeCertificate writes it

  // What the record keeps as "who": "ROLE: SUBJECT" ("no-role: SUBJECT" without a role).
  std::string Actor() const;
};

// The principal of a client certificate (PEM, the leaf first). kCertificateInvalid when it
// cannot be read.
absl::StatusOr<Principal> PrincipalFromCertificatePem(std::string_view pem);

}  // namespace taicho::auth
