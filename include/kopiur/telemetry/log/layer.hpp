// File: kopiur/telemetry/log/layer.hpp
//
// Layer: one consumer of events and spans, like tracing-subscriber's Layer. The process logger
// always has the fmt layer (stdout, text or JSON); the OTLP traces and logs exporters attach as
// further layers. Every hook is noexcept and must not block on the network: a layer that exports
// queues and returns.
//
// What the Dispatcher guarantees a layer, and what it does not:
// - Concurrent calls: on_event() runs on each emitting thread and on_span_close() on whichever
//   thread drops a span's last handle, with no lock held, so any number of them run at once;
//   flush() may overlap them and another flush(). A layer synchronises its own state (the fmt
//   layer formats into a thread-local buffer and its sink locks; the OTLP layers take a short
//   queue lock).
// - Re-entrancy: there is no guard. An event logged from inside a hook (KOPIUR_WARN, ...) goes to
//   the same thread's dispatcher and re-enters every layer, this one included, without bound. A
//   hook must not log; it counts or hands the problem to another thread (the OTLP exporters
//   report through a callback on their exporter thread).
// - After shutdown: shutdown() is called at most once per dispatcher, but the dispatcher does not
//   stop delivering: on_event(), on_span_close() and flush() may still come (other threads keep
//   logging, spans close late). A layer must accept them: the OTLP layers drop and count them,
//   the fmt layer keeps writing.
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
