// Who acts on a document: a role and an identity. How a front end learns them (a client
// certificate under mutual TLS: auth/role.h) is not the domain's business; the use cases
// (workflow/) only read them. Plain values; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taicho::domain {

enum class Role { kIntake, kOfficer, kSealClerk, kPrintStation, kAuditor, kOperator };

// "intake", "officer", "seal-clerk", "print-station", "auditor", "operator".
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

struct Principal {
  std::optional<Role> role;  // unset: the certificate names no (or more than one, or no known) role
  std::string subject;       // RFC 2253, UTF-8, as signer::DescribeCertificate writes it

  // What the record keeps as "who": "ROLE: SUBJECT" ("no-role: SUBJECT" without a role).
  std::string Actor() const;
};

// The caller of a use case. A front end that authenticates callers gives the principal; one that
// does not (taichod without mutual TLS, a command-line tool on the service's own machine) gives
// none, and then every operation is allowed and the record names `actor` (e.g. the peer address).
struct Caller {
  std::string actor;                   // who the record names
  std::optional<Principal> principal;  // unset: the front end authenticates no one

  static Caller Of(Principal principal) {
    std::string actor = principal.Actor();
    return Caller{std::move(actor), std::move(principal)};
  }
  static Caller Unauthenticated(std::string actor) { return Caller{std::move(actor), {}}; }
};

}  // namespace taicho::domain
