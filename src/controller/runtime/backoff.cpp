#include "kopiur/controller/backoff.hpp"

#include <algorithm>

namespace kopiur::controller {

std::chrono::milliseconds ErrorBackoff::next(const std::string& key, ErrorClass error_class) {
  std::uint32_t n = 0;
  {
    std::lock_guard lock(mu_);
    n = failures_[key]++;
  }
  if (error_class == ErrorClass::kStructural) return policy_.structural_interval;
  // Doubling stops at the cap; the shift is bounded so it never overflows.
  const auto shift = std::min<std::uint32_t>(n, 30);
  const auto delay = policy_.transient_initial * (std::int64_t{1} << shift);
  return std::min(delay, policy_.transient_max);
}

void ErrorBackoff::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

std::uint32_t ErrorBackoff::failures(const std::string& key) const {
  std::lock_guard lock(mu_);
  const auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

}  // namespace kopiur::controller
