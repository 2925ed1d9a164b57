// DropReporter: an exporter's counters plus its one rate-limited warning. Recording threads only
// bump relaxed atomics (note_queue_full); the worker thread calls maybe_warn(), so the warning
// callback (which may log) never runs on a recording thread or under an exporter lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "kopiur/telemetry/otlp/counters.hpp"

namespace kopiur::telemetry::otlp::detail {

class DropReporter {
 public:
  DropReporter(std::string signal, std::string unit, WarningFn warn,
               std::chrono::milliseconds interval);

  void note_queue_full() noexcept { queue_full_.fetch_add(1, std::memory_order_relaxed); }
  void note_out_of_memory(std::uint64_t items) noexcept {
    out_of_memory_.fetch_add(items, std::memory_order_relaxed);
  }
  void note_exported(std::uint64_t items) noexcept {
    exported_.fetch_add(items, std::memory_order_relaxed);
  }
  void note_export_failed(std::uint64_t items, const std::string& error);

  [[nodiscard]] ExportCounters counters() const noexcept;

  // Emits one warning summarising losses since the last one, at most once per interval.
  void maybe_warn();

 private:
  std::string signal_;
  std::string unit_;
  WarningFn warn_;
  std::chrono::milliseconds interval_;

  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> queue_full_{0};
  std::atomic<std::uint64_t> out_of_memory_{0};
  std::atomic<std::uint64_t> export_failed_items_{0};
  std::atomic<std::uint64_t> failed_exports_{0};

  std::mutex mutex_;  // guards the fields below (worker and shutdown paths only)
  std::string last_error_;
  std::uint64_t reported_lost_ = 0;
  std::chrono::steady_clock::time_point last_warning_{};
  bool warned_ = false;
};

}  // namespace kopiur::telemetry::otlp::detail
