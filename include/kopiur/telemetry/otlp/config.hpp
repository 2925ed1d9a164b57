// File: kopiur/telemetry/otlp/config.hpp
//
// OTLP export configuration, read from the environment (names in kopiur/telemetry/env.hpp).
// The resource the exporters send is not part of it: build_resource()
// (kopiur/telemetry/resource_builder.hpp) reads OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and the
// downward-API variables once, for the Prometheus reader and every exporter alike; a malformed
// OTEL_RESOURCE_ATTRIBUTES entry is skipped there with a warning and never turns OTLP off.
// parse_otlp_config() validates every variable at once and returns either a config (OTLP on),
// nothing (OTLP off: no endpoint configured), or the list of everything wrong with it. Each error
// names the variable, the bad value and the fix. Only a value that leaves no way to export (an
// endpoint, the protocol, the TLS material) is an error; any other invalid value is a warning and
// is treated as unset (OTEL_EXPORTER_OTLP_TIMEOUT=0 means no limit), unless strict mode is on. The
// caller decides what an error means: without strict mode it logs errors_message() once and runs
// without OTLP; with KOPIUR_OTEL_STRICT it prints the message on stderr and exits non-zero.
//
// Thread-safety: pure functions over the lookup; a config is a plain value.
// Cost: start-up only (reads the CA file named by OTEL_EXPORTER_OTLP_CERTIFICATE).
// Failure: never throws; everything goes to OtlpConfigResult::errors.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kopiur/telemetry/env.hpp"  // EnvLookup, process_env()

namespace kopiur::telemetry::otlp {

// KeyValues: an ordered list of string pairs (headers, resource attributes).
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Temporality: OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE. LowMemory is delta for counters
// and histograms, cumulative for up-down counters (as in the OTel SDK specification).
enum class Temporality { Cumulative, Delta, LowMemory };
enum class Compression { None, Gzip };

// Endpoint: one collector address. `url` is the value as configured (for messages), `target`
// the gRPC "host:port" it resolves to; `tls` is true for https.
struct Endpoint {
  std::string url;
  std::string target;
  bool tls = false;
};

// BatchConfig: a batch processor's settings (OTEL_BSP_* for spans, OTEL_BLRP_* for logs).
struct BatchConfig {
  std::chrono::milliseconds schedule_delay{5000};
  std::chrono::milliseconds export_timeout{30000};
  std::size_t max_queue_size = 2048;
  std::size_t max_export_batch_size = 512;
};

// RetryPolicy: exponential backoff with jitter between attempts of one export; the whole export
// (every attempt and every wait) stays inside the export timeout. Not read from the environment.
struct RetryPolicy {
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  double multiplier = 1.5;
  int max_attempts = 5;
};

// OtlpConfig: everything the exporters need. A signal whose endpoint is nullopt is not exported.
struct OtlpConfig {
  std::optional<Endpoint> traces;
  std::optional<Endpoint> metrics;
  std::optional<Endpoint> logs;
  KeyValues headers;  // gRPC metadata on every export; keys lower-cased, values percent-decoded
  std::chrono::milliseconds timeout{10000};  // per export, retries included
  Compression compression = Compression::None;
  std::string certificate_file;  // OTEL_EXPORTER_OTLP_CERTIFICATE, as given
  std::string certificate_pem;   // its contents (empty: the system roots)
  bool insecure = false;         // OTEL_EXPORTER_OTLP_INSECURE
  Temporality temporality = Temporality::Cumulative;
  std::chrono::milliseconds metric_export_interval{60000};
  std::chrono::milliseconds metric_export_timeout{30000};
  BatchConfig spans{std::chrono::milliseconds{5000}, std::chrono::milliseconds{30000}, 2048, 512};
  BatchConfig logs_batch{std::chrono::milliseconds{1000}, std::chrono::milliseconds{30000}, 2048,
                         512};
  std::chrono::milliseconds shutdown_timeout{5000};  // KOPIUR_TELEMETRY_SHUTDOWN_TIMEOUT_MS
  bool strict = false;
  RetryPolicy retry;
  // How often at most the drop warning is emitted (per exporter).
  std::chrono::milliseconds warning_interval{60000};
};

// OtlpConfigResult: config is set when OTLP is on and everything parsed; errors lists every
// problem found (config is then nullopt). strict reflects KOPIUR_OTEL_STRICT even on errors.
struct OtlpConfigResult {
  std::optional<OtlpConfig> config;
  std::vector<std::string> errors;
  // Invalid values treated as unset (defaults used), as the OpenTelemetry environment
  // specification asks; logged as warnings. Strict mode turns them into errors instead.
  std::vector<std::string> warnings;
  bool strict = false;

  [[nodiscard]] bool ok() const noexcept { return errors.empty(); }
  // One line: "OTLP export disabled: <error>; <error> (metrics still served on /metrics)".
  [[nodiscard]] std::string errors_message() const;
};

// Reads and validates every OTLP variable. OTLP is off (config nullopt, no error) when neither
// OTEL_EXPORTER_OTLP_ENDPOINT nor a per-signal endpoint is set to a non-blank value.
OtlpConfigResult parse_otlp_config(const EnvLookup& env);

// The start-up line's description of the effective OTLP setup; header values are redacted.
// "OTLP off" when config is nullopt.
std::string summary(const std::optional<OtlpConfig>& config);

// Parses a strict-mode flag value: true/1/yes → true, false/0/no/"" → false (case-insensitive,
// trimmed); anything else → nullopt.
std::optional<bool> parse_flag(std::string_view value) noexcept;

}  // namespace kopiur::telemetry::otlp
