// File: kopiur/telemetry/otlp/metrics_reader.hpp
//
// OtlpMetricsReader: the periodic OTLP push reader. Every OTEL_METRIC_EXPORT_INTERVAL it walks
// the instruments through the collect callback (the MeterProvider's collect) and sends one
// ExportMetricsServiceRequest: counters as monotonic Sums, up-down counters as non-monotonic
// Sums, gauges as Gauges, histograms with bounds, bucket counts, count, sum, min, max and the
// exemplar; scope "kopiur". Temporality is cumulative, or delta when configured: the reader keeps
// the last exported cumulative value per series_id and sends the difference (a failed export does
// not advance it, so the next delta covers both intervals).
//
// Thread-safety: all methods may be called from any thread. The collect callback runs on the
// reader's own thread (and inside force_flush/shutdown's export), never concurrently with itself.
// Cost: none on the recording path; the reader only reads.
// Failure: never throws; failed exports are counted (counters()) and reported through the
// rate-limited warning. shutdown() returns within its timeout even when the collector is down.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "kopiur/telemetry/metrics/collect.hpp"
#include "kopiur/telemetry/otlp/config.hpp"
#include "kopiur/telemetry/otlp/counters.hpp"

namespace kopiur::telemetry::otlp {

using CollectFn = std::function<void(metrics::CollectVisitor&)>;

class OtlpMetricsReader {
 public:
  // Starts the periodic thread. Without config.metrics the reader is inert.
  OtlpMetricsReader(const OtlpConfig& config, KeyValues resource, CollectFn collect,
                    WarningFn warn = {});
  ~OtlpMetricsReader();  // shutdown(config.shutdown_timeout) if not done yet
  OtlpMetricsReader(const OtlpMetricsReader&) = delete;
  OtlpMetricsReader& operator=(const OtlpMetricsReader&) = delete;

  // Collects and exports now; waits at most `timeout`. True when the export succeeded.
  bool force_flush(std::chrono::milliseconds timeout) noexcept;
  // Final collect + export, then stops the thread; returns within `timeout`. True on success.
  bool shutdown(std::chrono::milliseconds timeout) noexcept;

  [[nodiscard]] ExportCounters counters() const noexcept;
  // Reads counters() and stays valid after this reader is destroyed (it then returns the final
  // counts): what a self-metric callback captures, since a provider may collect after the reader
  // is gone.
  [[nodiscard]] std::function<ExportCounters()> counters_source() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kopiur::telemetry::otlp
