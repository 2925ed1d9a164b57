// File: kopiur/controller/clock.hpp
//
// Clock: where the controller runtime reads time (backoff, requeue delays, the phase gauge's
// grace period, the health heartbeat). SteadyClock is the real one; ManualClock only moves when a
// test advances it, so backoff sequences and grace periods are tested without waiting for them.
//
//   ManualClock clock;
//   WorkQueue queue(clock);
//   queue.add_after("a", std::chrono::minutes(5));
//   clock.advance(std::chrono::minutes(5));   // "a" is ready now
//
// Waiters block on a condition variable for at most real_wait(deadline) of real time and then
// re-read now(): the real clock waits exactly until the deadline, the manual clock re-checks every
// millisecond (no subscription between clocks and their waiters is needed).
// Thread-safety: both clocks are safe from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>

namespace kopiur::controller {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  [[nodiscard]] virtual time_point now() const noexcept = 0;
  // How long a waiter for `deadline` may block (in real time) before it reads now() again.
  [[nodiscard]] virtual duration real_wait(time_point deadline) const noexcept = 0;
};

class SteadyClock final : public Clock {
 public:
  [[nodiscard]] time_point now() const noexcept override {
    return std::chrono::steady_clock::now();
  }
  [[nodiscard]] duration real_wait(time_point deadline) const noexcept override {
    return std::max(deadline - now(), duration::zero());
  }
};

// ManualClock: starts at an arbitrary fixed point and moves only by advance().
class ManualClock final : public Clock {
 public:
  [[nodiscard]] time_point now() const noexcept override {
    return time_point(duration(ticks_.load(std::memory_order_acquire)));
  }
  [[nodiscard]] duration real_wait(time_point /*deadline*/) const noexcept override {
    return std::chrono::milliseconds(1);
  }
  void advance(duration by) noexcept { ticks_.fetch_add(by.count(), std::memory_order_acq_rel); }

 private:
  std::atomic<duration::rep> ticks_{
      std::chrono::duration_cast<duration>(std::chrono::hours(1)).count()};
};

}  // namespace kopiur::controller
