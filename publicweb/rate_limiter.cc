#include "publicweb/rate_limiter.h"

#include <algorithm>

namespace taicho::publicweb {

RateLimiter::RateLimiter(double per_second, double burst, size_t max_clients)
    : per_ms_(per_second / 1000.0), burst_(std::max(1.0, burst)), max_clients_(max_clients) {}

bool RateLimiter::Allow(const std::string& client, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) {
      ForgetIdle(now_ms);
      if (buckets_.size() >= max_clients_) return false;
    }
    it = buckets_.emplace(client, Bucket{burst_, now_ms}).first;
  }
  Bucket& b = it->second;
  if (now_ms > b.last_ms) {
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now_ms - b.last_ms) * per_ms_);
    b.last_ms = now_ms;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

size_t RateLimiter::tracked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

void RateLimiter::ForgetIdle(int64_t now_ms) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const Bucket& b = it->second;
    const double refilled = b.tokens + static_cast<double>(now_ms - b.last_ms) * per_ms_;
    it = refilled >= burst_ ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace taicho::publicweb
