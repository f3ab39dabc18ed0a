// The command line's long-term options (PAdES B-LT/B-LTA, revocation checks before signing) and
// the `extend` command.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "revocation/revocation_client.h"
#include "tsa/tsa_client.h"

namespace taicho::cli {

// Where online revocation questions go (verify --online, and signing's checks).
struct OnlineArgs {
  std::string ocsp_url;                   // override of the certificates' AIA
  std::vector<std::string> url_rewrites;  // FROM=TO prefix rewrites
  int timeout_s = 10;
};

struct LtvArgs {
  std::string level;              // "", B-B, B-T, B-LT, B-LTA
  bool check_revocation = false;  // ask OCSP/CRL before signing (implied by B-LT/B-LTA)
  bool revocation_fallback = false;
  std::string ocsp_url;                   // override of the certificates' AIA
  std::vector<std::string> url_rewrites;  // FROM=TO prefix rewrites
  std::string roots;                      // PEM roots put in the DSS (default: --tsa-trust)
  int revocation_timeout_s = 10;
};

void AddLtvOptions(CLI::App& cmd, LtvArgs& a);

// A revocation client and the cache it fills, owned together by the command that asks: every
// request of one run shares the cache, and both go when the command is done (client first).
struct CommandRevocation {
  std::unique_ptr<revocation::RevocationCache> cache;
  std::unique_ptr<revocation::RevocationClient> client;  // nullptr when not asked for

  revocation::RevocationClient* get() const { return client.get(); }
  revocation::RevocationClient& operator*() const { return *client; }
};

// A client with its own cache; client nullptr when revocation is not asked for.
absl::StatusOr<CommandRevocation> MakeRevocationClient(const LtvArgs& a, bool needed);

// A client asking where `a` says, with its own cache.
absl::StatusOr<CommandRevocation> MakeOnlineClient(const OnlineArgs& a);

// kUsage when the level is unknown or needs a TSA that was not given.
absl::Status CheckLevel(const LtvArgs& a, bool have_tsa);
bool WantsLtv(const LtvArgs& a);  // B-LT or B-LTA

// After a signature written to `signed_path`: adds the DSS (and for B-LTA a document time-stamp)
// and writes `out_path`; prints what it added.
absl::Status FinishLevel(const LtvArgs& a, const std::string& signed_path,
                         const std::string& out_path, const revocation::RevocationClient& client,
                         const tsa::TsaClient* tsa, const std::string& tsa_trust);

}  // namespace taicho::cli
