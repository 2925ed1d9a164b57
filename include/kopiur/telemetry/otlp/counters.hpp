// File: kopiur/telemetry/otlp/counters.hpp
//
// ExportCounters: what an exporter has sent and lost, for the self-metric
// (e.g. kopiur_telemetry_otlp_dropped_total{signal, reason}). A snapshot; reading is a few
// relaxed atomic loads. WarningFn: the sink of the one rate-limited drop warning; it is called
// from the exporter's worker thread, never from a recording thread, so it may log.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace kopiur::telemetry::otlp {

struct ExportCounters {
  std::uint64_t exported = 0;               // items (spans, log records, data points) accepted
  std::uint64_t dropped_queue_full = 0;     // items refused because the queue was full
  std::uint64_t dropped_export_failed = 0;  // items lost after every retry of an export failed
  std::uint64_t dropped_out_of_memory = 0;  // items dropped for want of memory to queue or batch
  std::uint64_t failed_exports = 0;         // export calls that failed for good
};

using WarningFn = std::function<void(const std::string& message)>;

}  // namespace kopiur::telemetry::otlp
