// At most N callers inside at once; the others wait their turn in arrival order. taichod passes
// server-side seals through one: a seal is CPU work (PDF, PKCS#11, CMS), and on a few cores N of
// them one after another finish sooner, and far more evenly, than all the waiting calls at once
// sharing the cores (each then takes as long as the slowest).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace taicho::server {

class FifoGate {
 public:
  explicit FifoGate(int slots) : free_(slots > 0 ? slots : 1) {}
  FifoGate(const FifoGate&) = delete;
  FifoGate& operator=(const FifoGate&) = delete;

  // Inside until destroyed (when admitted).
  class Pass {
   public:
    explicit Pass(FifoGate* gate) : gate_(gate) {}
    Pass(Pass&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Pass& operator=(Pass&&) = delete;
    ~Pass() {
      if (gate_ != nullptr) gate_->Leave();
    }
    bool admitted() const { return gate_ != nullptr; }

   private:
    FifoGate* gate_;
  };

  // Callers waiting for a slot now.
  size_t waiting() {
    std::lock_guard lock(mu_);
    return waiting_.size();
  }

  // A slot now if one is free and nobody waits for it, else not admitted (no waiting).
  Pass TryEnter() {
    std::lock_guard lock(mu_);
    if (free_ == 0 || !waiting_.empty()) return Pass(nullptr);
    --free_;
    return Pass(this);
  }

  // Waits for a slot in arrival order. Not admitted when `give_up` (asked a few times a second:
  // a cancelled call) turns true first; its place in the queue is then given up.
  Pass Enter(const std::function<bool()>& give_up) {
    std::unique_lock lock(mu_);
    if (free_ > 0 && waiting_.empty()) {
      --free_;
      return Pass(this);
    }
    Waiter me;
    waiting_.push_back(&me);
    while (!me.admitted) {
      if (give_up()) {
        std::erase(waiting_, &me);
        return Pass(nullptr);
      }
      me.wake.wait_for(lock, std::chrono::milliseconds(100));
    }
    return Pass(this);
  }

 private:
  // One per waiting caller, on its stack: a leaving caller wakes the next in line only. With one
  // shared condition variable every leave woke all the waiters (16 callers, 4 slots: a dozen
  // wake-ups per seal, each a futex round trip that costs a VM dearly), and all but one went back
  // to sleep.
  struct Waiter {
    std::condition_variable wake;
    bool admitted = false;  // guarded by mu_
  };

  void Leave() {
    std::lock_guard lock(mu_);
    if (waiting_.empty()) {
      ++free_;
      return;
    }
    // The slot passes straight to the next caller. Notified under the lock: once it is
    // released, the waiter may return and its condition variable be gone.
    Waiter* next = waiting_.front();
    waiting_.pop_front();
    next->admitted = true;
    next->wake.notify_one();
  }

  std::mutex mu_;
  int free_;                     // guarded by mu_
  std::deque<Waiter*> waiting_;  // guarded by mu_: in arrival order
};

}  // namespace taicho::server
