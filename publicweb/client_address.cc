#include "publicweb/client_address.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace taicho::publicweb {
namespace {

bool Trusted(std::string_view address, const std::vector<std::string>& trusted) {
  return std::find(trusted.begin(), trusted.end(), address) != trusted.end();
}

// Only what an address can hold (IPv4, IPv6 with its brackets, zone or port): a hop with
// anything else makes the header unusable rather than a key an attacker shapes.
bool Plausible(std::string_view address) {
  return !address.empty() && address.size() <= 64 &&
         address.find_first_not_of("0123456789abcdefABCDEF.:[]%") == std::string_view::npos;
}

}  // namespace

std::string ClientAddress(std::string_view peer, std::string_view forwarded_for,
                          const std::vector<std::string>& trusted_proxies) {
  if (!Trusted(peer, trusted_proxies)) return std::string(peer);
  std::vector<std::string_view> hops;
  for (size_t start = 0;;) {
    const size_t comma = forwarded_for.find(',', start);
    std::string_view hop = forwarded_for.substr(start, comma - start);
    while (!hop.empty() && absl::ascii_isspace(hop.front())) hop.remove_prefix(1);
    while (!hop.empty() && absl::ascii_isspace(hop.back())) hop.remove_suffix(1);
    hops.push_back(hop);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (hops.empty() ||
      std::any_of(hops.begin(), hops.end(), [](std::string_view h) { return !Plausible(h); })) {
    return std::string(peer);
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!Trusted(*it, trusted_proxies)) return std::string(*it);
  }
  return std::string(hops.front());
}

}  // namespace taicho::publicweb
