// File: kopiur/telemetry/telemetry.hpp
//
// init_telemetry(): the one call every kopiur program makes at start-up. It reads the telemetry
// environment once (RUST_LOG, KOPIUR_LOG_FORMAT, OTEL_*, KOPIUR_OTEL_STRICT), installs the process
// logger (stdout, text or JSON; plus the OTLP trace and log layers when a collector is configured),
// and builds the one MeterProvider that feeds both readers: the Prometheus reader behind /metrics
// (always) and the OTLP periodic reader (only with OTEL_EXPORTER_OTLP_ENDPOINT). Instruments are
// created once, on telemetry.meter(); the kopiur_ catalog is ready in telemetry.kopiur().
//
//   auto init = telemetry::init_telemetry({.service_name = "kopiur-controller"});
//   if (!init.telemetry) { std::fputs(init.fatal_error.c_str(), stderr); return 1; }  // strict
//   auto& t = *init.telemetry;
//   t.kopiur().controller_reconciliations.add(1, {{"kind", "Backup"}});
//   ... t.scrape(accept) serves /metrics ...
//   t.shutdown();  // or let the destructor flush every signal within its bound
//
// Misconfiguration: without strict mode, one actionable ERROR line (after the logger is live),
// then logs + Prometheus pull only. With KOPIUR_OTEL_STRICT=true, init returns no telemetry and the
// message, before anything is installed or any work starts; the caller prints it and exits 1.
// Thread-safety: call once from main(); the returned object is safe to use from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kopiur/telemetry/catalog.hpp"
#include "kopiur/telemetry/env.hpp"
#include "kopiur/telemetry/log/init.hpp"
#include "kopiur/telemetry/log/sink.hpp"
#include "kopiur/telemetry/log/span.hpp"
#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"

namespace kopiur::telemetry {

struct TelemetryOptions {
  std::string service_name{};  // "kopiur-controller", "kopiur-webhook", "kopiur-mover"
  // Target of events whose call site names none; empty: service_name with '-' as '_'.
  std::string default_target{};
  EnvLookup env{};  // empty: the process environment
  // Test hooks: where log lines go (default stdout) and whether it counts as a terminal.
  std::shared_ptr<log::Sink> sink{};
  std::optional<bool> is_tty{};
  // Install the logger process-wide (programs). Tests set false and use Telemetry::dispatcher().
  bool install_logger = true;
};

struct TelemetryInit;
struct TelemetryOptions;
TelemetryInit init_telemetry(TelemetryOptions options);

// Telemetry: the process's logger guard, meter provider, readers and OTLP exporters.
class Telemetry {
 public:
  ~Telemetry();
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  [[nodiscard]] metrics::MeterProvider& provider() noexcept { return *provider_; }
  [[nodiscard]] metrics::Meter& meter() noexcept { return meter_; }
  [[nodiscard]] KopiurMetrics& kopiur() noexcept { return *kopiur_; }
  [[nodiscard]] const Resource& resource() const noexcept { return resource_; }
  [[nodiscard]] const std::shared_ptr<log::Dispatcher>& dispatcher() const noexcept {
    return dispatcher_;
  }

  // The /metrics response for a scraper's Accept header (text 0.0.4 or OpenMetrics 1.0); a failed
  // render has `error` set and an empty body (the route answers 500 with it).
  [[nodiscard]] metrics::ScrapeResult scrape(std::string_view accept_header) const noexcept;
  [[nodiscard]] bool otlp_enabled() const noexcept;
  // The one-line description of the effective configuration (also logged at start-up).
  [[nodiscard]] const std::string& summary() const noexcept { return summary_; }
  // The environment the controller puts on a mover Job: logging variables whenever set, OTLP
  // variables when a collector is configured, TRACEPARENT of the calling thread's current span.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> mover_job_env() const;

  // A program's root span: a child of the W3C TRACEPARENT (and TRACESTATE) in the environment when
  // one is set and valid, so a mover Job's spans join the controller's reconcile trace; a new
  // trace otherwise. A malformed TRACEPARENT is logged once at WARN and ignored.
  [[nodiscard]] log::Span root_span(std::string_view name,
                                    std::initializer_list<log::Field> fields = {}) const;

  // Pushes the final metrics and flushes spans and logs, within `timeout` in total (default: the
  // configured shutdown bound, 5 s). Idempotent; the destructor calls it.
  void shutdown(std::optional<std::chrono::milliseconds> timeout = std::nullopt) noexcept;

 private:
  friend TelemetryInit init_telemetry(TelemetryOptions options);
  Telemetry() = default;
  struct OtlpParts;

  // Destroyed in reverse order: the provider (whose callbacks and readers read the exporters)
  // goes before the OTLP parts; shutdown() has stopped the OTLP reader's thread by then.
  EnvLookup env_;
  log::TracingGuard tracing_;
  std::shared_ptr<log::Dispatcher> dispatcher_;
  bool owns_dispatcher_ = false;
  std::unique_ptr<OtlpParts> otlp_;
  std::unique_ptr<metrics::MeterProvider> provider_;
  metrics::Meter meter_{nullptr, "kopiur"};
  std::unique_ptr<KopiurMetrics> kopiur_;
  Resource resource_;
  std::unique_ptr<metrics::PrometheusReader> prometheus_;
  std::string summary_;
  std::chrono::milliseconds shutdown_timeout_{5000};
  bool shut_down_ = false;
};

// TelemetryInit: telemetry, or (strict mode only) the reason it could not start.
struct TelemetryInit {
  std::unique_ptr<Telemetry> telemetry;
  std::string fatal_error;  // set when telemetry is null; ends with a newline
};

// See the file comment. Never throws; a strict-mode failure comes back as fatal_error.
TelemetryInit init_telemetry(TelemetryOptions options);

// The environment variables the telemetry reads, with a line of help each (for --help).
std::vector<std::pair<std::string, std::string>> telemetry_env_help();

}  // namespace kopiur::telemetry
