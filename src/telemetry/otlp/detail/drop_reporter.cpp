#include "telemetry/otlp/detail/drop_reporter.hpp"

namespace kopiur::telemetry::otlp::detail {

DropReporter::DropReporter(std::string signal, std::string unit, WarningFn warn,
                           std::chrono::milliseconds interval)
    : signal_(std::move(signal)),
      unit_(std::move(unit)),
      warn_(std::move(warn)),
      interval_(interval) {}

void DropReporter::note_export_failed(std::uint64_t items, const std::string& error) {
  export_failed_items_.fetch_add(items, std::memory_order_relaxed);
  failed_exports_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  last_error_ = error;
}

ExportCounters DropReporter::counters() const noexcept {
  ExportCounters out;
  out.exported = exported_.load(std::memory_order_relaxed);
  out.dropped_queue_full = queue_full_.load(std::memory_order_relaxed);
  out.dropped_export_failed = export_failed_items_.load(std::memory_order_relaxed);
  out.dropped_out_of_memory = out_of_memory_.load(std::memory_order_relaxed);
  out.failed_exports = failed_exports_.load(std::memory_order_relaxed);
  return out;
}

void DropReporter::maybe_warn() {
  if (!warn_) return;
  const auto c = counters();
  const std::uint64_t lost =
      c.dropped_queue_full + c.dropped_export_failed + c.dropped_out_of_memory;
  std::string message;
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (lost == reported_lost_) return;  // nothing new lost since the last report
    if (warned_ && now - last_warning_ < interval_) return;
    message = "OTLP " + signal_ +
              " export is losing data: " + std::to_string(lost - reported_lost_) + " " + unit_ +
              " dropped since the last report (total: " + std::to_string(c.dropped_queue_full) +
              " refused by a full queue, " + std::to_string(c.dropped_export_failed) + " in " +
              std::to_string(c.failed_exports) + " failed exports, " +
              std::to_string(c.dropped_out_of_memory) + " for want of memory)";
    if (!last_error_.empty()) message += "; last error: " + last_error_;
    reported_lost_ = lost;
    last_warning_ = now;
    warned_ = true;
  }
  try {
    warn_(message);
  } catch (...) {
    // A throwing warning sink must not take the exporter down.
  }
}

}  // namespace kopiur::telemetry::otlp::detail
