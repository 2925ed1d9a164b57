// File: kopiur/telemetry/process_metrics.hpp
//
// The standard process metrics Prometheus client libraries export, as observable instruments
// read from /proc at collect time (so the Prometheus and the OTLP readers both see them):
// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds.
//
//   register_process_metrics(telemetry.meter());
//
// One batch callback reports all six from one sample: getrusage() for the CPU time, one pread of
// /proc/self/statm (kept open by the registered sampler) for the memory sizes, the size of
// /proc/self/fd (the descriptor count since Linux 6.2; older kernels list the directory), one
// getrlimit(). The start time never changes: it is read once, at registration. A sample serves
// every collect within `max_age` of it (100 ms by default), so a burst of scrapes (several
// Prometheus replicas, a load test) reads /proc ten times a second at most, while a scraper every
// second or slower always gets a new sample; the values of one collect always come from one
// sample. Thread-safety: call register_process_metrics() once per provider, typically right after
// creating it. read_process_sample() and parse_proc_stat() may run on any thread. Failures: a
// value that cannot be read (no /proc, permission, a malformed line) is absent from that sample;
// nothing throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "kopiur/telemetry/metrics/meter.hpp"

namespace kopiur::telemetry {

// ProcessSample: one reading of the values above, each absent when unreadable.
struct ProcessSample {
  std::optional<double> cpu_seconds;
  std::optional<std::int64_t> resident_bytes;
  std::optional<std::int64_t> virtual_bytes;
  std::optional<std::int64_t> open_fds;
  std::optional<std::int64_t> max_fds;
  std::optional<double> start_time_seconds;
};

// ProcessSampler: takes one sample; called at most once per collect. Tests inject one to count
// calls.
using ProcessSampler = std::function<ProcessSample()>;

// read_boot_time_seconds: /proc/stat's btime (seconds since the epoch), nullopt when unreadable.
std::optional<double> read_boot_time_seconds();

// read_process_sample: one sample of this process. `boot_time_seconds` (read_boot_time_seconds(),
// read once by the caller) anchors the start time; nullopt leaves start_time_seconds absent.
ProcessSample read_process_sample(std::optional<double> boot_time_seconds);

// parse_proc_stat: the CPU, memory and start-time values of one /proc/<pid>/stat line (the command
// name may hold spaces and parentheses). Fields it cannot parse stay absent; open_fds and max_fds
// always do. Exposed for tests.
ProcessSample parse_proc_stat(std::string_view stat, long ticks_per_second, long page_size,
                              std::optional<double> boot_time_seconds) noexcept;

// How long a process sample serves later collects by default.
inline constexpr std::chrono::milliseconds kProcessSampleMaxAge{100};

// register_process_metrics: the six instruments and their one batch callback on `meter`.
// An empty sampler reads this process (its start time once, now). A collect reuses the last
// sample while it is younger than `max_age`; zero samples at every collect.
void register_process_metrics(metrics::Meter& meter, ProcessSampler sampler = {},
                              std::chrono::nanoseconds max_age = kProcessSampleMaxAge);

}  // namespace kopiur::telemetry
