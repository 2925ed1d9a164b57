// File: kopiur/telemetry/env.hpp
//
// Every environment variable kopiur reads, named once. The Helm chart's `logging.*` and
// `observability.otlp.*` blocks set these; the controller forwards the passthrough lists onto
// every mover Job it creates (see kopiur::telemetry::mover_job_env()).
//
// EnvLookup is how every telemetry library reads them: process_env() in programs, a map in tests.
// Thread-safety: process_env() only calls getenv (nothing in kopiur calls setenv). Cost: start-up
// only. Failure: an unset variable is nullopt; nothing throws but std::bad_alloc.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kopiur::telemetry {

// EnvLookup: the value of one environment variable, or nullopt when it is unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The real process environment (getenv). Implemented in kopiur_log.
EnvLookup process_env();

}  // namespace kopiur::telemetry

namespace kopiur::telemetry::env {

// Logging.
inline constexpr std::string_view kRustLog = "RUST_LOG";
inline constexpr std::string_view kLogFormat = "KOPIUR_LOG_FORMAT";
inline constexpr std::string_view kNoColor = "NO_COLOR";

// OTLP, as the Rust original named them.
inline constexpr std::string_view kOtlpEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
inline constexpr std::string_view kOtlpProtocol = "OTEL_EXPORTER_OTLP_PROTOCOL";
inline constexpr std::string_view kOtlpHeaders = "OTEL_EXPORTER_OTLP_HEADERS";
inline constexpr std::string_view kOtelStrict = "KOPIUR_OTEL_STRICT";

// Standard OpenTelemetry SDK variables users expect.
inline constexpr std::string_view kServiceName = "OTEL_SERVICE_NAME";
inline constexpr std::string_view kResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES";
inline constexpr std::string_view kOtlpTimeout = "OTEL_EXPORTER_OTLP_TIMEOUT";
inline constexpr std::string_view kOtlpCompression = "OTEL_EXPORTER_OTLP_COMPRESSION";
inline constexpr std::string_view kOtlpCertificate = "OTEL_EXPORTER_OTLP_CERTIFICATE";
inline constexpr std::string_view kOtlpInsecure = "OTEL_EXPORTER_OTLP_INSECURE";
inline constexpr std::string_view kOtlpTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
inline constexpr std::string_view kOtlpMetricsEndpoint = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
inline constexpr std::string_view kOtlpLogsEndpoint = "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT";
inline constexpr std::string_view kOtlpMetricsTemporality =
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
inline constexpr std::string_view kMetricExportInterval = "OTEL_METRIC_EXPORT_INTERVAL";
inline constexpr std::string_view kMetricExportTimeout = "OTEL_METRIC_EXPORT_TIMEOUT";
inline constexpr std::string_view kBspScheduleDelay = "OTEL_BSP_SCHEDULE_DELAY";
inline constexpr std::string_view kBspExportTimeout = "OTEL_BSP_EXPORT_TIMEOUT";
inline constexpr std::string_view kBspMaxQueueSize = "OTEL_BSP_MAX_QUEUE_SIZE";
inline constexpr std::string_view kBspMaxExportBatchSize = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";
inline constexpr std::string_view kBlrpScheduleDelay = "OTEL_BLRP_SCHEDULE_DELAY";
inline constexpr std::string_view kBlrpExportTimeout = "OTEL_BLRP_EXPORT_TIMEOUT";
inline constexpr std::string_view kBlrpMaxQueueSize = "OTEL_BLRP_MAX_QUEUE_SIZE";
inline constexpr std::string_view kBlrpMaxExportBatchSize = "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE";
// W3C trace context handed from the controller to a mover Job.
inline constexpr std::string_view kTraceparent = "TRACEPARENT";
inline constexpr std::string_view kTracestate = "TRACESTATE";
// How long the shutdown guard may take to flush every signal (milliseconds; default 5000).
inline constexpr std::string_view kShutdownTimeout = "KOPIUR_TELEMETRY_SHUTDOWN_TIMEOUT_MS";

// Kubernetes downward-API variables that become resource attributes when present.
inline constexpr std::string_view kPodName = "KOPIUR_POD_NAME";
inline constexpr std::string_view kPodNamespace = "KOPIUR_NAMESPACE";
inline constexpr std::string_view kNodeName = "KOPIUR_NODE_NAME";

// What the controller forwards onto every mover Job: the OTLP group only when a collector is
// configured (an OTLP endpoint variable set), the logging group whenever set. The endpoint comes
// first. Not forwarded: OTEL_SERVICE_NAME (the mover names itself) and the CA file path (the
// mover's pod does not mount the controller's files).
inline constexpr std::array<std::string_view, 14> kOtlpPassthrough = {kOtlpEndpoint,
                                                                      kOtlpProtocol,
                                                                      kOtlpHeaders,
                                                                      kOtelStrict,
                                                                      kOtlpTracesEndpoint,
                                                                      kOtlpMetricsEndpoint,
                                                                      kOtlpLogsEndpoint,
                                                                      kOtlpTimeout,
                                                                      kOtlpCompression,
                                                                      kOtlpInsecure,
                                                                      kOtlpMetricsTemporality,
                                                                      kResourceAttributes,
                                                                      kMetricExportInterval,
                                                                      kShutdownTimeout};
inline constexpr std::array<std::string_view, 2> kLogPassthrough = {kRustLog, kLogFormat};

// Spec spelling of the two lists (crates/telemetry/src/env.rs).
inline constexpr const auto& OTLP_PASSTHROUGH =
    kOtlpPassthrough;  // NOLINT(readability-identifier-naming)
inline constexpr const auto& LOG_PASSTHROUGH =
    kLogPassthrough;  // NOLINT(readability-identifier-naming)

}  // namespace kopiur::telemetry::env
