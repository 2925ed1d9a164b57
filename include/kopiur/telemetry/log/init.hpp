// File: kopiur/telemetry/log/init.hpp
//
// init_tracing(): installs the process logger once and returns the guard that flushes it.
//
//   int main() {
//     auto guard = log::init_tracing({.service_name = "kopiur-controller",
//                                     .default_target = "kopiur_controller"});
//     ...
//   }   // guard: flushes and shuts every layer down (OTLP exporters included)
//
// What it reads (through TracingConfig::env, so tests inject values): RUST_LOG (default `info`,
// bad directives skipped with a warning), KOPIUR_LOG_FORMAT (text/json), NO_COLOR, and
// KOPIUR_TELEMETRY_SHUTDOWN_TIMEOUT_MS. The fmt layer always comes first; extra layers (the OTLP
// exporters) follow. After install it logs one INFO start-up line stating the effective
// configuration (filtered like any event), then every deferred warning and error (format,
// filter, OTLP) whatever the filter, so none is lost: `RUST_LOG=off,kopia=loud` still says why
// `kopia=loud` was ignored.
//
// A second call is a no-op returning an inert guard (its deferred messages are still logged).
// A failure to install is fatal: the message goes to stderr and the process exits (an operator
// must not run blind), unless TracingConfig::on_fatal says otherwise.
// Thread-safety: call from main before starting threads; the guard may be destroyed anywhere.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kopiur/telemetry/env.hpp"  // EnvLookup, process_env()
#include "kopiur/telemetry/log/dispatcher.hpp"
#include "kopiur/telemetry/log/fmt_layer.hpp"
#include "kopiur/telemetry/log/layer.hpp"
#include "kopiur/telemetry/log/sink.hpp"

namespace kopiur::telemetry::log {

struct TracingConfig {
  std::string service_name = "kopiur";
  // Target of events whose call site names none; empty: service_name with '-' as '_'.
  std::string default_target{};
  EnvLookup env{};               // empty: process_env() (kopiur/telemetry/env.hpp)
  std::shared_ptr<Sink> sink{};  // empty: an FdSink on output_fd
  int output_fd = 1;             // stdout; also what the TTY check looks at
  std::optional<bool> is_tty{};  // empty: isatty(output_fd)
  std::vector<std::shared_ptr<Layer>> extra_layers{};  // after the fmt layer, in order
  std::vector<std::string> deferred_warnings{};        // logged at WARN after install
  std::vector<std::string> deferred_errors{};          // logged at ERROR after install
  // How the OTLP part is configured, for the start-up line (endpoint with headers redacted,
  // strict or not); empty means "off".
  std::string otlp_summary{};
  std::function<Clock::time_point()> clock{};  // empty: the system clock
  // Called with the reason when the logger cannot be installed; empty: print to stderr and
  // exit(1). If it returns, init_tracing returns an inert guard.
  std::function<void(std::string_view reason)> on_fatal{};
  std::chrono::milliseconds shutdown_timeout{5000};  // KOPIUR_TELEMETRY_SHUTDOWN_TIMEOUT_MS wins
};

// LoggerSetup: the assembled (not installed) logger and what it must say once it is live.
struct LoggerSetup {
  std::shared_ptr<Dispatcher> dispatcher;
  std::string filter;  // effective directives
  LogFormat format = LogFormat::kText;
  bool ansi = false;
  std::chrono::milliseconds shutdown_timeout{5000};
  // The start-up line and every deferred message, in order.
  std::vector<std::pair<Level, std::string>> pending;
  bool announced = false;
  // Logs the start-up line (if the filter allows), then `pending` (always), through `dispatcher`;
  // only the first call does.
  void emit_pending(std::string_view service_name, std::string_view otlp_summary);
};

// Builds exactly the stack init_tracing() installs, without installing it: tests use it with
// Dispatcher::ScopedDefault. Throws only on allocation failure.
LoggerSetup build_logger(const TracingConfig& config);

// TracingGuard: flushes and shuts the installed logger's layers down when destroyed.
class TracingGuard {
 public:
  TracingGuard() noexcept = default;  // inert
  TracingGuard(std::shared_ptr<Dispatcher> dispatcher, std::chrono::milliseconds timeout) noexcept
      : dispatcher_(std::move(dispatcher)), timeout_(timeout) {}
  ~TracingGuard();
  TracingGuard(TracingGuard&& other) noexcept = default;
  TracingGuard& operator=(TracingGuard&& other) noexcept;
  TracingGuard(const TracingGuard&) = delete;
  TracingGuard& operator=(const TracingGuard&) = delete;

  // False for the guard of a second init_tracing() call.
  [[nodiscard]] bool active() const noexcept { return dispatcher_ != nullptr; }
  bool flush() noexcept;
  [[nodiscard]] const std::shared_ptr<Dispatcher>& dispatcher() const noexcept {
    return dispatcher_;
  }

 private:
  std::shared_ptr<Dispatcher> dispatcher_;
  std::chrono::milliseconds timeout_{5000};
};

[[nodiscard]] TracingGuard init_tracing(TracingConfig config);

}  // namespace kopiur::telemetry::log
