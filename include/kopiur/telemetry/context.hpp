// File: kopiur/telemetry/context.hpp
//
// W3C trace-context identifiers shared by logging (spans), metrics (exemplars) and OTLP export.
// entered_span_context() is the histogram exemplar's hot-path probe (one thread-local load; the
// entered span's context by address); current_span_ids() copies the two ids;
// current_span_context() also copies the trace state string.
// Thread-safety: TraceId, SpanId and SpanContext are plain values (copy them across threads). The
// current_* functions and entered_span_context() read the calling thread's entered span and may
// be called from any thread; the pointer entered_span_context() returns must stay on that thread
// and not outlive the entry. new_trace_id()/new_span_id() draw from a per-thread generator (no
// lock); parse_traceparent() is pure.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kopiur::telemetry {

// TraceId: 16 bytes; all-zero means "no trace".
struct TraceId {
  std::array<std::uint8_t, 16> bytes{};
  [[nodiscard]] bool valid() const noexcept;
  [[nodiscard]] std::string hex() const;  // 32 lower-case hex digits
  friend bool operator==(const TraceId&, const TraceId&) = default;
};

// SpanId: 8 bytes; all-zero means "no span".
struct SpanId {
  std::array<std::uint8_t, 8> bytes{};
  [[nodiscard]] bool valid() const noexcept;
  [[nodiscard]] std::string hex() const;  // 16 lower-case hex digits
  friend bool operator==(const SpanId&, const SpanId&) = default;
};

// SpanContext: what crosses thread and process boundaries.
struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  std::uint8_t trace_flags = 1;  // 01 = sampled
  std::string trace_state;       // W3C tracestate, passed through verbatim
  bool remote = false;
  [[nodiscard]] bool valid() const noexcept { return trace_id.valid() && span_id.valid(); }
};

// The context of the span entered on this thread, or an invalid one. Never throws.
SpanContext current_span_context() noexcept;

// The ids of the span entered on this thread: true (and both written) when one is entered and its
// ids are valid; false (both left untouched) otherwise. Copies no string; what a histogram's
// exemplar check calls on every record.
bool current_span_ids(TraceId& trace_id, SpanId& span_id) noexcept;

// The context of the span entered on this thread, by address (nullptr when none); valid while that
// span stays entered here. One thread-local load: what a histogram's exemplar check calls on
// every record (it reads the span id and copies the ids only when it keeps an exemplar).
const SpanContext* entered_span_context() noexcept;

// W3C traceparent "00-<trace>-<span>-<flags>" for the current span; empty when none.
std::string current_traceparent();
// Parses a traceparent header value; nullopt on any malformed input.
std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept;

// Fresh random identifiers (never all-zero).
TraceId new_trace_id() noexcept;
SpanId new_span_id() noexcept;

}  // namespace kopiur::telemetry
