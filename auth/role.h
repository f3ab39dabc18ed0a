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
#include "domain/principal.h"

namespace taicho::auth {

// The role and principal are the domain's (domain/principal.h); this module reads them from a
// client certificate. Thread-safe (no state).
using domain::ParseRole;
using domain::Principal;
using domain::Role;
using domain::RoleName;

// The SAN URI prefix naming a role.
inline constexpr std::string_view kRoleUriPrefix = "urn:taicho:role:";

// The principal of a client certificate (PEM, the leaf first). kCertificateInvalid when it
// cannot be read.
absl::StatusOr<Principal> PrincipalFromCertificatePem(std::string_view pem);

}  // namespace taicho::auth
