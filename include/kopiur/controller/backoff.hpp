// File: kopiur/controller/backoff.hpp
//
// ErrorBackoff: how long an object waits before its next reconcile after a failed one.
// Transient errors back off exponentially per object (1 s, 2 s, 4 s, ... capped at 5 min);
// structural errors wait a slow fixed interval (a person has to act; a change to the object or to
// what it references requeues it at once through the watches, not through this delay). A
// successful reconcile forgets the object's history.
//
// Thread-safety: every method is safe from any thread (one mutex). Cost: one map entry per object
// currently failing.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "kopiur/controller/reconcile.hpp"

namespace kopiur::controller {

struct BackoffPolicy {
  std::chrono::milliseconds transient_initial{1000};
  std::chrono::milliseconds transient_max{std::chrono::minutes(5)};
  std::chrono::milliseconds structural_interval{std::chrono::minutes(5)};
};

class ErrorBackoff {
 public:
  explicit ErrorBackoff(BackoffPolicy policy = {}) : policy_(policy) {}
  // The delay before retrying `key` after an error of `error_class` (counts the failure).
  std::chrono::milliseconds next(const std::string& key, ErrorClass error_class);
  void forget(const std::string& key);
  // Consecutive failures of `key` so far.
  [[nodiscard]] std::uint32_t failures(const std::string& key) const;

 private:
  BackoffPolicy policy_;
  mutable std::mutex mu_;
  std::map<std::string, std::uint32_t> failures_;
};

}  // namespace kopiur::controller
