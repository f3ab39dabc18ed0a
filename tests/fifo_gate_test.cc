// server/fifo_gate.h: at most N inside, the rest admitted in arrival order, a caller that gives
// up leaves the queue without blocking the ones behind it.
#include "server/fifo_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace taicho::server {
namespace {

TEST(FifoGate, AdmitsInArrivalOrderAndNeverMoreThanItsSlots) {
  // One slot: the order of admission is the order in which they run.
  FifoGate gate(1);
  std::atomic<int> inside{0}, most{0};
  std::mutex order_mu;
  std::vector<int> order;
  // A holder takes the slot; the others queue in a known order behind it.
  auto holder = std::make_unique<FifoGate::Pass>(gate.Enter([] { return false; }));
  ASSERT_TRUE(holder->admitted());
  EXPECT_FALSE(gate.TryEnter().admitted());
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      FifoGate::Pass pass = gate.Enter([] { return false; });
      ASSERT_TRUE(pass.admitted());
      const int now = ++inside;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      {
        std::lock_guard lock(order_mu);
        order.push_back(i);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      --inside;
    });
    // The next one arrives only once this one waits.
    while (gate.waiting() < static_cast<size_t>(i + 1)) std::this_thread::yield();
  }
  holder.reset();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(most.load(), 1);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(FifoGate, SeveralSlotsAreSharedButNeverExceeded) {
  FifoGate gate(3);
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      FifoGate::Pass pass = gate.Enter([] { return false; });
      const int now = ++inside;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
      --inside;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(most.load(), 3);
  EXPECT_TRUE(gate.TryEnter().admitted());  // all slots free again
}

TEST(FifoGate, AGivenUpCallerLeavesTheQueue) {
  FifoGate gate(1);
  auto holder = std::make_unique<FifoGate::Pass>(gate.Enter([] { return false; }));
  std::atomic<bool> cancelled{false};
  std::atomic<bool> first_done{false}, second_admitted{false};
  std::thread first([&] {
    FifoGate::Pass pass = gate.Enter([&] { return cancelled.load(); });
    EXPECT_FALSE(pass.admitted());
    first_done = true;
  });
  while (gate.waiting() < 1) std::this_thread::yield();
  std::thread second([&] {
    FifoGate::Pass pass = gate.Enter([] { return false; });
    second_admitted = pass.admitted();
  });
  while (gate.waiting() < 2) std::this_thread::yield();
  cancelled = true;  // the first in line gives up (a cancelled call)
  first.join();
  EXPECT_TRUE(first_done);
  EXPECT_FALSE(second_admitted);  // the slot is still held
  holder.reset();
  second.join();
  EXPECT_TRUE(second_admitted);
}

}  // namespace
}  // namespace taicho::server
