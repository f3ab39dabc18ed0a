// What taicho asks of the world that a test must be able to drive: the time now. One small seam,
// as LevelDB's Env: code that needs the time takes an `const Env&` (or a pointer, nullptr meaning
// Env::Default()) instead of calling std::time, so a test can run a signature at a chosen second.
//
// Ownership and threads: Env::Default() lives for the whole process and is thread-safe; a
// ManualEnv belongs to its test and may be read from any thread while another sets it.
#pragma once

#include <atomic>
#include <cstdint>

namespace taicho {

class Env {
 public:
  virtual ~Env() = default;

  // Milliseconds since the Unix epoch (UTC).
  virtual int64_t NowUnixMillis() const = 0;
  // Seconds since the Unix epoch (UTC), truncated.
  int64_t NowUnixSeconds() const { return NowUnixMillis() / 1000; }

  // The real clock.
  static const Env& Default();
};

// A clock that stands still until told otherwise (tests).
class ManualEnv : public Env {
 public:
  explicit ManualEnv(int64_t unix_millis) : now_ms_(unix_millis) {}
  int64_t NowUnixMillis() const override { return now_ms_.load(); }
  void SetUnixMillis(int64_t unix_millis) { now_ms_.store(unix_millis); }
  void AdvanceMillis(int64_t ms) { now_ms_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace taicho
