// File: kopiur/telemetry/metrics/process.hpp
//
// The standard process metrics Prometheus client libraries export, as observable instruments
// read from /proc at collect time (so the Prometheus and the OTLP readers both see them):
// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds.
//
// Thread-safety: call once per provider, typically right after creating it. Cost: a few small
// /proc reads per collect, nothing on any recording path. Failures: a value that cannot be read
// (no /proc, permission) is simply absent from that collect; nothing throws.
#pragma once

#include <optional>

#include "kopiur/telemetry/metrics/meter.hpp"

namespace kopiur::telemetry::metrics {

void register_process_metrics(Meter& meter);

// One reading of the values above (each absent when unreadable); exposed for tests.
struct ProcessSample {
  std::optional<double> cpu_seconds;
  std::optional<std::int64_t> resident_bytes;
  std::optional<std::int64_t> virtual_bytes;
  std::optional<std::int64_t> open_fds;
  std::optional<std::int64_t> max_fds;
  std::optional<double> start_time_seconds;
};
ProcessSample read_process_sample();

}  // namespace kopiur::telemetry::metrics
