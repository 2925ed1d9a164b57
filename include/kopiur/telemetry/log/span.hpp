// File: kopiur/telemetry/log/span.hpp
//
// Span: a named period of work with fields (a reconcile of kind/namespace/name). Events logged
// while a span is entered carry it, and the text format prints the whole chain:
//
//   auto span = KOPIUR_INFO_SPAN("reconcile", log::kv("kind", "Backup"), log::kv("name", name));
//   auto entered = span.enter();          // RAII: this thread's current span until destroyed
//   KOPIUR_INFO("started");               // ... reconcile{kind=Backup name=x}: target: started
//
// A Span is a cheap shared handle (copy it, move it into a worker and enter() it there); the
// span closes when the last handle goes, and layers then get on_span_close(). Every enabled span
// has a W3C trace id (its parent's, a remote parent's given to create_child_of(), or a new one)
// and its own span id; current_span_context() reads the entered one.
//
// Thread-safety: handles may be copied, entered and dropped on any thread; a SpanGuard must be
// destroyed on the thread that made it, in reverse order of entry (RAII does this). A guard that
// breaks this rule is counted on the span's dispatcher (misplaced_span_guards()) and, in debug
// builds (no NDEBUG), reported on stderr; the thread's state stays sane in every build: a guard
// destroyed before guards entered after it ends those entries too (the thread returns to what was
// current before it); a later guard whose entry already ended does nothing; a guard destroyed on
// another thread leaves both threads alone (its span stays current on the entering thread until
// an enclosing guard there ends) and the entering thread keeps a reference, so the current span
// never dangles.
// Cost: a disabled span (filtered out) is an empty handle; entering it does nothing. Creating an
// enabled span allocates its record once; entering one is two thread-local writes.
// Failure: nothing here throws; on allocation failure the span is disabled.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <utility>

#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/log/event.hpp"

namespace kopiur::telemetry::log {

class Dispatcher;
namespace detail {
struct SpanState;
}  // namespace detail

class SpanGuard;

class Span {
 public:
  // A disabled span.
  Span() noexcept = default;

  // Creates a span under this thread's dispatcher, child of the current span if one is entered.
  // `target` nullptr means the dispatcher's default target. Disabled when the filter says so.
  static Span create(Level level, const char* target, std::string_view name,
                     std::initializer_list<Field> fields = {}) noexcept;
  // Same, as a child of a span in another process (TRACEPARENT from the controller).
  static Span create_child_of(const SpanContext& remote_parent, Level level, const char* target,
                              std::string_view name,
                              std::initializer_list<Field> fields = {}) noexcept;
  // A handle to the span entered on this thread (disabled if none).
  static Span current() noexcept;

  [[nodiscard]] bool enabled() const noexcept { return state_ != nullptr; }
  // Makes this span the thread's current span until the guard is destroyed.
  [[nodiscard]] SpanGuard enter() const noexcept;
  // Marks the span failed; the message reaches on_span_close (OTLP status).
  void record_error(std::string_view message) const noexcept;
  // This span's identifiers (invalid when disabled).
  [[nodiscard]] SpanContext context() const noexcept;
  // The record layers see (nullptr when disabled). Valid while a handle lives.
  [[nodiscard]] const SpanRecord* record() const noexcept;

 private:
  explicit Span(std::shared_ptr<detail::SpanState> state) noexcept : state_(std::move(state)) {}
  static Span make(const SpanContext* remote_parent, Level level, const char* target,
                   std::string_view name, std::initializer_list<Field> fields) noexcept;

  std::shared_ptr<detail::SpanState> state_;
};

// SpanGuard: RAII entry of a span on the current thread.
class SpanGuard {
 public:
  SpanGuard() noexcept = default;
  ~SpanGuard();
  SpanGuard(SpanGuard&& other) noexcept;
  SpanGuard& operator=(SpanGuard&&) = delete;
  SpanGuard(const SpanGuard&) = delete;
  SpanGuard& operator=(const SpanGuard&) = delete;

 private:
  friend class Span;
  std::shared_ptr<detail::SpanState> state_;
  std::uint64_t entry_ = 0;       // this entry's number on the entering thread
  const void* thread_ = nullptr;  // identifies the entering thread's stack of entries
};

}  // namespace kopiur::telemetry::log
