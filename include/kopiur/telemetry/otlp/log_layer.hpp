// File: kopiur/telemetry/otlp/log_layer.hpp
//
// OtlpLogLayer: a log::Layer exporting over OTLP/gRPC: every event becomes an OTLP LogRecord
// (severity number and text, the message as body, fields as attributes, the current span's trace
// and span id, the target as scope name); batched by OTEL_BLRP_* settings.
//
// Thread-safety: the hooks may be called from any thread. on_event() copies the event into the
// bounded queue; on_span_close() ignores spans (a short mutex section, a few small allocations) and
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

class OtlpLogLayer final : public log::Layer {
 public:
  // Starts the worker. Without an endpoint for this signal the layer is inert.
  OtlpLogLayer(const OtlpConfig& config, KeyValues resource, WarningFn warn = {});
  ~OtlpLogLayer() override;  // shutdown(config.shutdown_timeout) if not done yet
  OtlpLogLayer(const OtlpLogLayer&) = delete;
  OtlpLogLayer& operator=(const OtlpLogLayer&) = delete;

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
