// A token bucket per client address for the public page: each address may make `burst` requests
// at once and `per_second` more every second after; past that, Allow is false (HTTP 429). Keeps
// at most `max_clients` addresses: when full, the buckets that have refilled (idle clients) are
// forgotten first, and if none has, the request is refused rather than the table grown.
//
// Thread-safe (one mutex; each call is a map lookup). The clock is the caller's, so tests
// choose the time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace taicho::publicweb {

class RateLimiter {
 public:
  RateLimiter(double per_second, double burst, size_t max_clients = 100000);

  // Takes one token of `client`'s bucket at `now_ms` (any monotonic milliseconds); false when it
  // is empty.
  bool Allow(const std::string& client, int64_t now_ms);

  size_t tracked() const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_ms = 0;
  };
  // Drops the buckets full again at `now_ms` (their clients look like new ones anyway).
  void ForgetIdle(int64_t now_ms);

  const double per_ms_;
  const double burst_;
  const size_t max_clients_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace taicho::publicweb
