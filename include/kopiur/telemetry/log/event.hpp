// File: kopiur/telemetry/log/event.hpp
//
// The data a log event and a closed span carry, as layers (the fmt writer, the OTLP exporters)
// see them. Views only: an Event lives for the duration of one Layer::on_event() call, so a layer
// that keeps anything must copy it.
// Thread-safety: an Event is built on the emitting thread's stack and read only by that call. A
// SpanRecord is written when its span is created and, for end and the error fields, when it
// closes (after its last handle is gone); in between it is only read, so layers on several
// threads (one span entered on two threads) may read one record at once without locking.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kopiur/telemetry/context.hpp"

namespace kopiur::telemetry::log {

// Level: ordered from most to least severe, as in tracing; Off disables everything.
enum class Level : std::uint8_t { Off = 0, Error = 1, Warn = 2, Info = 3, Debug = 4, Trace = 5 };

std::string_view to_string(Level level) noexcept;  // "ERROR", "WARN", ...

// An error value as a field: rendered as its message.
struct ErrorValue {
  std::string_view message;
};

// FieldValue: the typed value of a structured field.
using FieldValue =
    std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool, ErrorValue>;

// Field: a borrowed name/value pair.
struct Field {
  std::string_view name;
  FieldValue value;
};

// OwnedField: a field a span keeps for its lifetime.
struct OwnedField {
  std::string name;
  std::variant<std::string, std::int64_t, std::uint64_t, double, bool> value;
  bool is_error = false;
};

using Clock = std::chrono::system_clock;

// SpanRecord: a span as layers see it (on close, and as the current span of an event).
struct SpanRecord {
  std::string name;
  std::string target;
  Level level = Level::Info;
  std::vector<OwnedField> fields;
  SpanContext context;                 // this span's trace and span id
  SpanId parent_span_id;               // invalid for a root span
  const SpanRecord* parent = nullptr;  // the enclosing in-process span, if any (valid while open)
  Clock::time_point start;
  Clock::time_point end;  // set on close
  bool error = false;     // true when the span recorded a failure
  std::string error_message;
};

// Event: one log event that passed the filter.
struct Event {
  Clock::time_point timestamp;
  Level level;
  std::string_view target;
  std::string_view message;
  std::span<const Field> fields;
  const SpanRecord* span = nullptr;  // the current span (innermost), or nullptr
};

}  // namespace kopiur::telemetry::log
