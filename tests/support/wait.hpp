// File: support/wait.hpp
//
// Waiting on a condition in tests without fixed sleeps: poll a predicate until it holds or a
// deadline passes. The deadline is a failure bound, not a delay: a passing test returns as soon
// as the condition holds.
#pragma once

#include <chrono>
#include <thread>

namespace kopiur::test {

// Polls `condition()` every `poll` until it returns true (→ true) or `timeout` elapses (→ false).
template <typename Condition>
[[nodiscard]] bool wait_until(Condition&& condition, std::chrono::milliseconds timeout,
                              std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace kopiur::test
