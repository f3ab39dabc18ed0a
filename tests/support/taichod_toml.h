// taichod.toml sections the service tests write, with the sample PKI's files: one place for the
// keys' names, so a renamed config key is renamed once. Pure text; safe from any thread.
#pragma once

#include <string>

namespace taicho::testing {

// "[tls]" for mutual TLS: the sample server chain and key, the clients' root.
std::string MtlsTomlSection();

// "[keys.seal]" for the sample seal key ("seal", id 01) on the SoftHSM2 token `token_label`,
// followed by `more` (further lines of that section, e.g. "sessions = 2\n").
std::string SealKeyTomlSection(const std::string& token_label, const std::string& more = "");

}  // namespace taicho::testing
