// File: kopiur/telemetry/log/dispatcher.hpp
//
// Dispatcher: one logger: a filter plus the layers that receive what passes it (like a
// tracing Subscriber). init_tracing() installs one process-wide; tests build their own and make
// it the default for a thread with Dispatcher::ScopedDefault, so they never fight over globals:
//
//   auto capture = std::make_shared<log::CaptureSink>();
//   auto logger = log::Dispatcher::create({.filter = log::Filter::parse("debug").filter,
//                                          .layers = {log::make_fmt_layer(capture, {})}});
//   log::Dispatcher::ScopedDefault use(logger);
//   KOPIUR_DEBUG("seen by capture");
//
// Events go to the thread's scoped dispatcher if any (entering a span also scopes the span's
// dispatcher), else to the installed one, else nowhere.
//
// Thread-safety: every method may be called from any thread; set_filter() swaps the filter
// atomically and invalidates every call site's cached interest.
// Cost: creating, destroying or re-filtering a dispatcher takes a global lock and makes every
// call site re-evaluate once; none of that is on the event path.
// Failure: layer hooks are noexcept; nothing here throws into a logging caller.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/telemetry/log/event.hpp"
#include "kopiur/telemetry/log/filter.hpp"
#include "kopiur/telemetry/log/layer.hpp"

namespace kopiur::telemetry::log {

struct DispatcherOptions {
  Filter filter{};
  std::vector<std::shared_ptr<Layer>> layers{};
  // The target of events whose call site names none (KOPIUR_INFO without KOPIUR_LOG_TARGET).
  std::string default_target = "kopiur";
  // Event timestamps; empty means the system clock. Tests inject a fixed clock for goldens.
  std::function<Clock::time_point()> clock{};
};

class Dispatcher : public std::enable_shared_from_this<Dispatcher> {
  struct Key {};

 public:
  static std::shared_ptr<Dispatcher> create(DispatcherOptions options);
  Dispatcher(Key, DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Replaces the filter; every call site re-evaluates its cached interest on its next event.
  void set_filter(Filter filter);
  [[nodiscard]] std::shared_ptr<const Filter> filter() const;
  [[nodiscard]] const std::string& default_target() const noexcept { return default_target_; }

  // The full check for an event on this thread: span directives of the entered spans, then the
  // target directives.
  [[nodiscard]] bool enabled(std::string_view target, Level level) const noexcept;
  // Hands an event that passed the filter to every layer, with the thread's current span.
  void dispatch(Level level, std::string_view target, std::string_view message,
                std::span<const Field> fields) noexcept;
  // Called when a span created by this dispatcher closes.
  void close_span(const SpanRecord& record) noexcept;

  // Flushes every layer; false if one timed out.
  bool flush(std::chrono::milliseconds timeout) noexcept;
  // Flushes and stops every layer, once; later calls do nothing.
  void shutdown(std::chrono::milliseconds timeout) noexcept;

  [[nodiscard]] Clock::time_point now() const noexcept;

  // SpanGuards of this dispatcher's spans destroyed out of order or on another thread (span.hpp).
  [[nodiscard]] std::uint64_t misplaced_span_guards() const noexcept {
    return misplaced_span_guards_.load(std::memory_order_relaxed);
  }
  void note_misplaced_span_guard() noexcept {
    misplaced_span_guards_.fetch_add(1, std::memory_order_relaxed);
  }

  // The dispatcher events on this thread go to, or nullptr.
  static Dispatcher* current() noexcept;

  // ScopedDefault: makes `dispatcher` this thread's default until destroyed (nests).
  class ScopedDefault {
   public:
    explicit ScopedDefault(std::shared_ptr<Dispatcher> dispatcher) noexcept;
    ~ScopedDefault();
    ScopedDefault(const ScopedDefault&) = delete;
    ScopedDefault& operator=(const ScopedDefault&) = delete;

   private:
    std::shared_ptr<Dispatcher> dispatcher_;
    Dispatcher* previous_;
  };

 private:
  std::atomic<std::shared_ptr<const Filter>> filter_;
  std::vector<std::shared_ptr<Layer>> layers_;
  std::string default_target_;
  std::function<Clock::time_point()> clock_;
  std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> misplaced_span_guards_{0};
};

// The installed process-wide dispatcher, or nullptr before init_tracing().
std::shared_ptr<Dispatcher> installed_dispatcher() noexcept;
// Swaps the installed dispatcher's filter at runtime; false when nothing is installed.
bool set_filter(Filter filter);

namespace detail {
// Installs `dispatcher` process-wide; false (and nothing changes) if one already is.
bool install_global(std::shared_ptr<Dispatcher> dispatcher) noexcept;
// Sets this thread's default dispatcher and returns the previous one (used by span entry).
Dispatcher* exchange_thread_dispatcher(Dispatcher* dispatcher) noexcept;
}  // namespace detail

}  // namespace kopiur::telemetry::log
