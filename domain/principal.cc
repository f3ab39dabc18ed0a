#include "domain/principal.h"

#include <array>
#include <utility>

namespace taicho::domain {
namespace {

constexpr std::array<std::pair<Role, std::string_view>, 6> kNames = {{
    {Role::kIntake, "intake"},
    {Role::kOfficer, "officer"},
    {Role::kSealClerk, "seal-clerk"},
    {Role::kPrintStation, "print-station"},
    {Role::kAuditor, "auditor"},
    {Role::kOperator, "operator"},
}};

}  // namespace

std::string_view RoleName(Role role) {
  for (const auto& [r, name] : kNames) {
    if (r == role) return name;
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (const auto& [r, n] : kNames) {
    if (n == name) return r;
  }
  return std::nullopt;
}

std::string Principal::Actor() const {
  return (role ? std::string(RoleName(*role)) : std::string("no-role")) + ": " + subject;
}

}  // namespace taicho::domain
