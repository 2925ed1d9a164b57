// Events of this file are about the telemetry itself.
#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_telemetry"

#include "kopiur/telemetry/telemetry.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/env.hpp"
#include "kopiur/telemetry/log/log.hpp"
#include "kopiur/telemetry/otlp/config.hpp"
#include "kopiur/telemetry/otlp/grpc_log.hpp"
#include "kopiur/telemetry/otlp/log_layer.hpp"
#include "kopiur/telemetry/otlp/metrics_reader.hpp"
#include "kopiur/telemetry/otlp/mover_env.hpp"
#include "kopiur/telemetry/otlp/trace_layer.hpp"
#include "kopiur/telemetry/process_metrics.hpp"
#include "kopiur/telemetry/resource_builder.hpp"

namespace kopiur::telemetry {

// The OTLP exporters, present only when a collector is configured.
struct Telemetry::OtlpParts {
  otlp::OtlpConfig config;
  std::shared_ptr<otlp::OtlpTraceLayer> traces;
  std::shared_ptr<otlp::OtlpLogLayer> logs;
  std::unique_ptr<otlp::OtlpMetricsReader> metrics;
};

namespace {

using Clock = std::chrono::steady_clock;

std::string default_target_for(const TelemetryOptions& options) {
  if (!options.default_target.empty()) return options.default_target;
  std::string target = options.service_name;
  std::replace(target.begin(), target.end(), '-', '_');
  return target;
}

// Exporter warnings arrive on exporter threads; they go to the log like any other warning.
void log_exporter_warning(const std::string& message) {
  KOPIUR_WARN("OTLP export problem", log::kv("detail", message));
}

// The self-metric: what each OTLP exporter could not deliver, by signal and reason.
void register_otlp_self_metrics(metrics::Meter& meter,
                                const std::shared_ptr<otlp::OtlpTraceLayer>& traces,
                                const std::shared_ptr<otlp::OtlpLogLayer>& logs,
                                std::function<otlp::ExportCounters()> metrics_counters) {
  meter.create_observable_counter_u64(
      "kopiur_telemetry_otlp_dropped", "{item}",
      "Telemetry items the OTLP exporters could not deliver, by signal and reason",
      [traces, logs, metrics_counters](metrics::ObservableResult& result) {
        auto report = [&](std::string_view signal, const otlp::ExportCounters& c) {
          result.observe(static_cast<std::int64_t>(c.dropped_queue_full),
                         {{"signal", signal}, {"reason", "queue_full"}});
          result.observe(static_cast<std::int64_t>(c.dropped_export_failed),
                         {{"signal", signal}, {"reason", "export_failed"}});
          result.observe(static_cast<std::int64_t>(c.dropped_out_of_memory),
                         {{"signal", signal}, {"reason", "out_of_memory"}});
        };
        if (traces) report("traces", traces->counters());
        if (logs) report("logs", logs->counters());
        if (metrics_counters) report("metrics", metrics_counters());
      });
}

}  // namespace

TelemetryInit init_telemetry(TelemetryOptions options) {
  TelemetryInit init;
  EnvLookup env = options.env ? options.env : process_env();

  // 1. OTLP first: in strict mode a misconfiguration must stop the program before anything is
  //    installed or any work starts.
  otlp::OtlpConfigResult otlp_config = otlp::parse_otlp_config(env);
  if (!otlp_config.ok() && otlp_config.strict) {
    init.fatal_error = fmt::format(
        "{}: telemetry misconfigured and {}=true, refusing to start: {}\n(unset {} to run on "
        "with stdout logs and /metrics only)\n",
        options.service_name, env::kOtelStrict, fmt::join(otlp_config.errors, "; "),
        env::kOtelStrict);
    return init;
  }

  std::unique_ptr<Telemetry> t(new Telemetry());  // private constructor
  t->env_ = env;

  // 2. One resource for both readers and every exporter.
  ResourceBuild resource = build_resource({.service_name = options.service_name}, env);
  t->resource_ = resource.resource;

  // 3. The OTLP trace and log layers join the logger; the fmt layer always stays first.
  std::vector<std::shared_ptr<log::Layer>> layers;
  if (otlp_config.config) {
    t->otlp_ = std::make_unique<Telemetry::OtlpParts>();
    t->otlp_->config = *otlp_config.config;
    const auto& cfg = t->otlp_->config;
    t->shutdown_timeout_ = cfg.shutdown_timeout;
    if (cfg.traces) {
      t->otlp_->traces = std::make_shared<otlp::OtlpTraceLayer>(cfg, t->resource_.attributes(),
                                                                log_exporter_warning);
      layers.push_back(t->otlp_->traces);
    }
    if (cfg.logs) {
      t->otlp_->logs = std::make_shared<otlp::OtlpLogLayer>(cfg, t->resource_.attributes(),
                                                            log_exporter_warning);
      layers.push_back(t->otlp_->logs);
    }
  }

  // 4. The logger. Everything found so far is said once it is live, never lost.
  log::TracingConfig tracing;
  // The resource's service.name (OTEL_SERVICE_NAME may override the program's name).
  tracing.service_name =
      std::string(t->resource_.get("service.name").value_or(options.service_name));
  tracing.default_target = default_target_for(options);
  tracing.env = env;
  tracing.sink = options.sink;
  tracing.is_tty = options.is_tty;
  tracing.extra_layers = std::move(layers);
  tracing.deferred_warnings = resource.warnings;
  for (const auto& w : otlp_config.warnings) tracing.deferred_warnings.push_back(w);
  if (!otlp_config.ok()) tracing.deferred_errors.push_back(otlp_config.errors_message());
  tracing.otlp_summary = otlp::summary(otlp_config.config);
  tracing.shutdown_timeout = t->shutdown_timeout_;
  if (options.install_logger) {
    t->tracing_ = log::init_tracing(tracing);
    t->owns_dispatcher_ = t->tracing_.active();
    t->dispatcher_ = t->owns_dispatcher_ ? t->tracing_.dispatcher() : log::installed_dispatcher();
  } else {
    log::LoggerSetup setup = log::build_logger(tracing);
    t->dispatcher_ = setup.dispatcher;
    t->owns_dispatcher_ = true;
    log::Dispatcher::ScopedDefault use(t->dispatcher_);
    setup.emit_pending(tracing.service_name, tracing.otlp_summary);
  }
  t->summary_ = fmt::format("service={} otlp=[{}]", tracing.service_name, tracing.otlp_summary);
  // gRPC's own diagnostics join the logger (target grpc) once there is a logger to join.
  if (t->otlp_) otlp::route_grpc_logs();

  // 5. One meter provider, two readers.
  t->provider_ = std::make_unique<metrics::MeterProvider>();
  t->meter_ = t->provider_->meter("kopiur");
  register_process_metrics(t->meter_);
  t->kopiur_ = std::make_unique<KopiurMetrics>(t->meter_);
  t->prometheus_ = std::make_unique<metrics::PrometheusReader>(*t->provider_, t->resource_);
  if (t->otlp_ && t->otlp_->config.metrics) {
    metrics::MeterProvider* provider = t->provider_.get();
    t->otlp_->metrics = std::make_unique<otlp::OtlpMetricsReader>(
        t->otlp_->config, t->resource_.attributes(),
        [provider](metrics::CollectVisitor& visitor) { provider->collect(visitor); },
        log_exporter_warning);
  }
  if (t->otlp_) {
    // The callback shares the counters, not the reader: the provider may collect after the
    // reader is gone.
    register_otlp_self_metrics(t->meter_, t->otlp_->traces, t->otlp_->logs,
                               t->otlp_->metrics ? t->otlp_->metrics->counters_source()
                                                 : std::function<otlp::ExportCounters()>{});
  }
  init.telemetry = std::move(t);
  return init;
}

Telemetry::~Telemetry() { shutdown(); }

metrics::ScrapeResult Telemetry::scrape(std::string_view accept_header) const noexcept {
  return prometheus_->scrape(accept_header);
}

bool Telemetry::otlp_enabled() const noexcept { return otlp_ != nullptr; }

std::vector<std::pair<std::string, std::string>> Telemetry::mover_job_env() const {
  SpanContext current = current_span_context();
  return telemetry::mover_job_env(env_, current_traceparent(), current.trace_state);
}

log::Span Telemetry::root_span(std::string_view name,
                               std::initializer_list<log::Field> fields) const {
  std::optional<std::string> traceparent = env_(env::kTraceparent);
  if (traceparent && !traceparent->empty()) {
    if (std::optional<SpanContext> parent = parse_traceparent(*traceparent)) {
      if (std::optional<std::string> state = env_(env::kTracestate)) parent->trace_state = *state;
      return log::Span::create_child_of(*parent, log::Level::Info, nullptr, name, fields);
    }
    KOPIUR_WARN("ignoring a malformed TRACEPARENT; starting a new trace",
                log::kv("traceparent", *traceparent));
  }
  return log::Span::create(log::Level::Info, nullptr, name, fields);
}

void Telemetry::shutdown(std::optional<std::chrono::milliseconds> timeout) noexcept {
  if (shut_down_) return;
  shut_down_ = true;
  const auto budget = timeout.value_or(shutdown_timeout_);
  const auto deadline = Clock::now() + budget;
  auto remaining = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  };
  // The final metrics push first (a short-lived mover's only chance), then spans and logs.
  if (otlp_ && otlp_->metrics) otlp_->metrics->shutdown(remaining());
  // A second init in one process shares the first one's logger: only its owner stops it.
  if (dispatcher_ && owns_dispatcher_) dispatcher_->shutdown(remaining());
}

std::vector<std::pair<std::string, std::string>> telemetry_env_help() {
  return {
      {std::string(env::kRustLog), "Log filter, tracing EnvFilter syntax (default: info)"},
      {std::string(env::kLogFormat), "Log format: text (default) or json"},
      {std::string(env::kNoColor), "Set to disable ANSI colour in text logs"},
      {std::string(env::kOtlpEndpoint), "OTLP/gRPC collector URL; unset: no OTLP export"},
      {std::string(env::kOtlpProtocol), "grpc (the only protocol compiled in)"},
      {std::string(env::kOtlpHeaders), "Export headers, k=v,k2=v2 (percent-encoded values)"},
      {std::string(env::kOtelStrict), "true: refuse to start on telemetry misconfiguration"},
      {std::string(env::kServiceName), "Overrides service.name"},
      {std::string(env::kResourceAttributes), "Extra resource attributes, k=v,..."},
      {std::string(env::kOtlpTimeout), "Per-export timeout in ms (default 10000)"},
      {std::string(env::kOtlpCompression), "gzip or none"},
      {std::string(env::kOtlpCertificate), "CA file for https collector endpoints"},
      {std::string(env::kOtlpMetricsTemporality), "cumulative (default), delta or lowmemory"},
      {std::string(env::kShutdownTimeout), "Telemetry flush bound at exit in ms (default 5000)"},
  };
}

}  // namespace kopiur::telemetry
