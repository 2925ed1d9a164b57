// Internal: the shared state behind a Span handle, and the thread's current span.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kopiur/telemetry/log/dispatcher.hpp"
#include "kopiur/telemetry/log/event.hpp"

namespace kopiur::telemetry::log::detail {

struct SpanState : std::enable_shared_from_this<SpanState> {
  SpanRecord record;
  std::shared_ptr<SpanState> parent;       // keeps record.parent valid
  std::shared_ptr<Dispatcher> dispatcher;  // receives on_span_close
  std::optional<Level> scope_level;        // set when span directives match this span
  std::mutex error_mutex;                  // record_error may race with other threads
  bool error = false;
  std::string error_message;

  SpanState() = default;
  SpanState(const SpanState&) = delete;
  SpanState& operator=(const SpanState&) = delete;
  ~SpanState();  // closes the span
};

// The span entered on this thread (nullptr when none).
SpanState* current_span_state() noexcept;
SpanState* exchange_current_span_state(SpanState* state) noexcept;

}  // namespace kopiur::telemetry::log::detail
