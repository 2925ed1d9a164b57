// File: kopiur/telemetry/log/layer.hpp
//
// Layer: one consumer of events and spans, like tracing-subscriber's Layer. The process logger
// always has the fmt layer (stdout, text or JSON); the OTLP traces and logs exporters attach as
// further layers. Every hook is noexcept and must not block on the network: a layer that exports
// queues and returns.
#pragma once

#include <chrono>

#include "kopiur/telemetry/log/event.hpp"

namespace kopiur::telemetry::log {

class Layer {
 public:
  virtual ~Layer() = default;
  // Called for every event that passed the filter, on the recording thread.
  virtual void on_event(const Event& event) noexcept = 0;
  // Called when a span that passed the filter is closed (record.end is set).
  virtual void on_span_close(const SpanRecord& /*record*/) noexcept {}
  // Pushes out anything buffered, waiting at most `timeout`. Returns false on timeout.
  virtual bool flush(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
  // Flushes and stops background work; called once by the telemetry guard.
  virtual void shutdown(std::chrono::milliseconds timeout) noexcept { flush(timeout); }
};

}  // namespace kopiur::telemetry::log
