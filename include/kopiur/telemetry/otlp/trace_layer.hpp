// File: kopiur/telemetry/otlp/trace_layer.hpp
//
// OtlpTraceLayer: a log::Layer exporting over OTLP/gRPC: closed spans become OTLP spans
// (trace/span/parent ids, name, start/end, attributes from the span's fields, error status with the
// failure message); scope "kopiur"; batched by OTEL_BSP_* settings.
//
// Thread-safety: the hooks may be called from any thread. on_span_close() copies the record into
// the bounded queue; on_event() ignores events (a short mutex section, a few small allocations) and
// never touches the network: a worker thread exports batches. When the queue is full the item is
// dropped and counted. Failure: never throws; drops and failed exports are counted (counters()) and
// reported through one rate-limited warning from the worker thread. shutdown() returns within its
// timeout even when the collector is unreachable.
#pragma once

#include <chrono>
#include <memory>

#include "kopiur/telemetry/log/layer.hpp"
#include "kopiur/telemetry/otlp/config.hpp"
#include "kopiur/telemetry/otlp/counters.hpp"

namespace kopiur::telemetry::otlp {

class OtlpTraceLayer final : public log::Layer {
 public:
  // Starts the worker. Without an endpoint for this signal the layer is inert.
  OtlpTraceLayer(const OtlpConfig& config, KeyValues resource, WarningFn warn = {});
  ~OtlpTraceLayer() override;  // shutdown(config.shutdown_timeout) if not done yet
  OtlpTraceLayer(const OtlpTraceLayer&) = delete;
  OtlpTraceLayer& operator=(const OtlpTraceLayer&) = delete;

  void on_event(const log::Event& event) noexcept override;
  void on_span_close(const log::SpanRecord& record) noexcept override;
  bool flush(std::chrono::milliseconds timeout) noexcept override;
  void shutdown(std::chrono::milliseconds timeout) noexcept override;

  [[nodiscard]] ExportCounters counters() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kopiur::telemetry::otlp
