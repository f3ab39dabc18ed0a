// Which address the public page's rate limit counts a request against. Directly connected
// clients are counted by their socket's address; behind a reverse proxy every request would come
// from the proxy's address (one bucket for the whole city), so for a peer listed in
// `trusted_proxies` the X-Forwarded-For header says who the client was — read from the right,
// past the trusted proxies, because anything left of the last trusted hop was written by the
// client itself and may be forged.
//
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace taicho::publicweb {

// `peer`: the socket's remote address. `forwarded_for`: the X-Forwarded-For header ("" when
// absent; several headers joined with ","). Addresses compare as text, exactly (no ranges).
// Returns the rightmost forwarded address that is not a trusted proxy; `peer` when the peer is
// not trusted or the header is empty or malformed; the leftmost address when every hop is
// trusted.
std::string ClientAddress(std::string_view peer, std::string_view forwarded_for,
                          const std::vector<std::string>& trusted_proxies);

}  // namespace taicho::publicweb
