// The access policy moved to the domain (domain/access_policy.h): the use cases enforce it, for
// every front end. These names keep auth:: callers compiling.
#pragma once

#include "auth/role.h"
#include "domain/access_policy.h"

namespace taicho::auth {

using domain::AllOperations;
using domain::Authorize;
using domain::AuthorizeSigner;
using domain::Operation;
using domain::OperationName;
using domain::RolesFor;

}  // namespace taicho::auth
