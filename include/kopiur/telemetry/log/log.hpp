// File: kopiur/telemetry/log/log.hpp
//
// The logging macros every component uses.
//
//   #undef KOPIUR_LOG_TARGET                                // optional, both lines before
//   #define KOPIUR_LOG_TARGET "kopiur_controller::backup"   // the include (see below)
//   #include "kopiur/telemetry/log/log.hpp"
//   namespace log = kopiur::telemetry::log;
//
//   KOPIUR_INFO("backup finished", log::kv("bytes", n), log::kv("ok", true));
//   KOPIUR_WARN("snapshot delete failed", log::err(e));
//   KOPIUR_EVENT(log::Level::Debug, "kopia", line);          // explicit target
//   auto span = KOPIUR_INFO_SPAN("reconcile", log::kv("kind", "Backup"));
//
// Without KOPIUR_LOG_TARGET, events use the default target given at init (per component). The
// #undef is for unity builds, where one file's sources follow another's: after each source the
// build resets the macro to nullptr (cmake/KopiurOptions.cmake, kopiur_unity_fixups).
// `level` must be a constant expression; messages and field values are evaluated only when the
// event is enabled.
//
// Gates, cheapest first (tracing's design): (1) KOPIUR_LOG_STATIC_MAX_LEVEL removes more verbose
// macros at compile time; (2) one relaxed atomic load of the most verbose level any live
// dispatcher can enable; (3) a per-call-site cached interest, recomputed when a filter changes;
// (4) the full filter, only for call sites that span directives make "sometimes" enabled.
// A filtered-out event costs gate 2: a load and a compare.
//
// Thread-safety: every macro may be used from any thread. Failure: nothing here throws; a layer
// that fails (closed stdout) loses the line, never the process.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>

#include "kopiur/telemetry/log/event.hpp"
#include "kopiur/telemetry/log/fields.hpp"
#include "kopiur/telemetry/log/span.hpp"

// Compile-time ceiling: 0 off ... 5 trace (the default keeps everything).
#ifndef KOPIUR_LOG_STATIC_MAX_LEVEL
#define KOPIUR_LOG_STATIC_MAX_LEVEL 5
#endif

// The target of KOPIUR_ERROR ... KOPIUR_TRACE; nullptr means the dispatcher's default target.
#ifndef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET nullptr
#endif

namespace kopiur::telemetry::log {

namespace detail {

// The most verbose level any live dispatcher may enable (gate 2).
inline std::atomic<std::uint8_t> g_max_level{0};
// Bumped whenever a dispatcher appears, goes, or changes filter; call sites compare against it.
inline std::atomic<std::uint32_t> g_generation{1};

[[nodiscard]] inline bool level_enabled(Level level) noexcept {
  return static_cast<std::uint8_t>(level) <= g_max_level.load(std::memory_order_relaxed);
}

enum class Interest : std::uint8_t { kNever = 0, kSometimes = 1, kAlways = 2 };

}  // namespace detail

// CallSite: the static state of one macro expansion: its target, level and cached interest.
class CallSite {
 public:
  constexpr CallSite(const char* target, Level level) noexcept : target_(target), level_(level) {}
  CallSite(const CallSite&) = delete;
  CallSite& operator=(const CallSite&) = delete;

  [[nodiscard]] const char* target() const noexcept { return target_; }
  [[nodiscard]] Level level() const noexcept { return level_; }

  // Gate 3: false when no live dispatcher can enable this call site.
  [[nodiscard]] bool interested() noexcept {
    const std::uint64_t state = state_.load(std::memory_order_acquire);
    if ((state >> 8) == detail::g_generation.load(std::memory_order_relaxed)) {
      return (state & 0xff) != static_cast<std::uint64_t>(detail::Interest::kNever);
    }
    return refresh() != detail::Interest::kNever;
  }
  [[nodiscard]] detail::Interest interest() const noexcept {
    return static_cast<detail::Interest>(state_.load(std::memory_order_acquire) & 0xff);
  }

 private:
  detail::Interest refresh() noexcept;  // out of line: asks every live dispatcher

  const char* target_;
  Level level_;
  std::atomic<std::uint64_t> state_{
      0};  // generation << 8 | interest; generation 0 = never computed
};

namespace detail {

void dispatch_event(CallSite& site, std::string_view message,
                    std::span<const Field> fields) noexcept;

template <typename... Fields>
void emit(CallSite& site, std::string_view message, const Fields&... fields) noexcept {
  const std::array<Field, sizeof...(Fields)> all{Field(fields)...};
  dispatch_event(site, message, std::span<const Field>(all.data(), all.size()));
}

}  // namespace detail

// An event without a call site (computed target or level): checks the full filter every time.
// For adapters such as the kopia output forwarder, not for hot paths.
void event(Level level, std::string_view target, std::string_view message,
           std::span<const Field> fields = {}) noexcept;
// Whether an event at `level` for `target` would be recorded on this thread right now.
[[nodiscard]] bool enabled(Level level, std::string_view target) noexcept;

}  // namespace kopiur::telemetry::log

// KOPIUR_EVENT(level, target, message, fields...): an event with an explicit target.
#define KOPIUR_EVENT(level, target, message, ...)                                    \
  do {                                                                               \
    if constexpr (static_cast<int>(level) <= KOPIUR_LOG_STATIC_MAX_LEVEL) {          \
      static ::kopiur::telemetry::log::CallSite kopiur_log_site_{(target), (level)}; \
      if (::kopiur::telemetry::log::detail::level_enabled(level) &&                  \
          kopiur_log_site_.interested()) {                                           \
        ::kopiur::telemetry::log::detail::emit(kopiur_log_site_,                     \
                                               (message)__VA_OPT__(, ) __VA_ARGS__); \
      }                                                                              \
    }                                                                                \
  } while (false)

#define KOPIUR_ERROR(message, ...)                                        \
  KOPIUR_EVENT(::kopiur::telemetry::log::Level::Error, KOPIUR_LOG_TARGET, \
               message __VA_OPT__(, ) __VA_ARGS__)
#define KOPIUR_WARN(message, ...)                                        \
  KOPIUR_EVENT(::kopiur::telemetry::log::Level::Warn, KOPIUR_LOG_TARGET, \
               message __VA_OPT__(, ) __VA_ARGS__)
#define KOPIUR_INFO(message, ...)                                        \
  KOPIUR_EVENT(::kopiur::telemetry::log::Level::Info, KOPIUR_LOG_TARGET, \
               message __VA_OPT__(, ) __VA_ARGS__)
#define KOPIUR_DEBUG(message, ...)                                        \
  KOPIUR_EVENT(::kopiur::telemetry::log::Level::Debug, KOPIUR_LOG_TARGET, \
               message __VA_OPT__(, ) __VA_ARGS__)
#define KOPIUR_TRACE(message, ...)                                        \
  KOPIUR_EVENT(::kopiur::telemetry::log::Level::Trace, KOPIUR_LOG_TARGET, \
               message __VA_OPT__(, ) __VA_ARGS__)

// KOPIUR_SPAN(level, target, name, fields...): a Span (disabled when filtered out; the fields are
// then not evaluated). The shorthands use KOPIUR_LOG_TARGET.
#define KOPIUR_SPAN(level, target, name, ...)                                             \
  (::kopiur::telemetry::log::detail::level_enabled(level)                                 \
       ? ::kopiur::telemetry::log::Span::create((level), (target), (name), {__VA_ARGS__}) \
       : ::kopiur::telemetry::log::Span())
#define KOPIUR_ERROR_SPAN(name, ...) \
  KOPIUR_SPAN(::kopiur::telemetry::log::Level::Error, KOPIUR_LOG_TARGET, name, __VA_ARGS__)
#define KOPIUR_WARN_SPAN(name, ...) \
  KOPIUR_SPAN(::kopiur::telemetry::log::Level::Warn, KOPIUR_LOG_TARGET, name, __VA_ARGS__)
#define KOPIUR_INFO_SPAN(name, ...) \
  KOPIUR_SPAN(::kopiur::telemetry::log::Level::Info, KOPIUR_LOG_TARGET, name, __VA_ARGS__)
#define KOPIUR_DEBUG_SPAN(name, ...) \
  KOPIUR_SPAN(::kopiur::telemetry::log::Level::Debug, KOPIUR_LOG_TARGET, name, __VA_ARGS__)
#define KOPIUR_TRACE_SPAN(name, ...) \
  KOPIUR_SPAN(::kopiur::telemetry::log::Level::Trace, KOPIUR_LOG_TARGET, name, __VA_ARGS__)
