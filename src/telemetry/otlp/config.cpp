// parse_otlp_config(): every OTLP variable validated in one pass, so a user sees every mistake at
// once. Messages follow one shape: VARIABLE="value" <what is wrong>; <how to fix it>.
#include "kopiur/telemetry/otlp/config.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "kopiur/telemetry/env.hpp"

#include "telemetry/otlp/detail/parse.hpp"

namespace kopiur::telemetry::otlp {

namespace {

using detail::trim;

constexpr std::size_t kMaxMetadataBytes = 8192;
// OTEL_EXPORTER_OTLP_TIMEOUT=0: no limit (a year is far enough and cannot overflow a deadline).
constexpr std::chrono::milliseconds kNoLimit = std::chrono::hours(24 * 365);

std::string quoted(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + std::string(value) + "\"";
}

// Reads a variable; blank (after trimming) counts as unset, as the OTel spec asks.
std::optional<std::string> get(const EnvLookup& env, std::string_view name) {
  auto value = env(name);
  if (!value || trim(*value).empty()) return std::nullopt;
  return value;
}

// Two kinds of problems, as the OpenTelemetry environment specification asks: a value that
// leaves no way to export (endpoint, protocol, TLS material) turns OTLP off; any other invalid
// value is a warning and is treated as unset (its default applies). Strict mode makes both fatal.
class Parser {
 public:
  Parser(const EnvLookup& env, bool strict) : env_(env), strict_(strict) {}

  std::optional<Endpoint> endpoint(std::string_view name) {
    const auto value = get(env_, name);
    if (!value) return std::nullopt;
    auto parsed = detail::parse_endpoint(*value);
    if (auto* error = std::get_if<std::string>(&parsed)) {
      errors_.push_back(quoted(name, *value) + " " + *error +
                        "; set it to the collector's OTLP/gRPC address, e.g. "
                        "http://otel-collector.observability.svc:4317");
      return std::nullopt;
    }
    return std::get<Endpoint>(std::move(parsed));
  }

  // A duration in milliseconds, > 0 (or 0 = no limit, where zero_means_no_limit).
  void millis(std::string_view name, std::chrono::milliseconds& out,
              bool zero_means_no_limit = false) {
    const auto value = get(env_, name);
    if (!value) return;
    const auto parsed = detail::parse_uint(trim(*value));
    if (parsed && *parsed == 0 && zero_means_no_limit) {
      out = kNoLimit;
      return;
    }
    if (!parsed || *parsed == 0) {
      recoverable(quoted(name, *value) + " is not a positive whole number of milliseconds; e.g. " +
                  std::string(name) + "=" + std::to_string(out.count()) + " (the default)");
      return;
    }
    out = std::chrono::milliseconds{*parsed};
  }

  void count(std::string_view name, std::size_t& out) {
    const auto value = get(env_, name);
    if (!value) return;
    const auto parsed = detail::parse_uint(trim(*value));
    if (!parsed || *parsed == 0) {
      recoverable(quoted(name, *value) + " is not a positive whole number; e.g. " +
                  std::string(name) + "=" + std::to_string(out) + " (the default)");
      return;
    }
    out = *parsed;
  }

  void batch(std::string_view delay, std::string_view timeout, std::string_view queue,
             std::string_view batch_size, BatchConfig& out) {
    millis(delay, out.schedule_delay);
    millis(timeout, out.export_timeout);
    count(queue, out.max_queue_size);
    count(batch_size, out.max_export_batch_size);
    if (out.max_export_batch_size > out.max_queue_size) {
      recoverable(std::string(batch_size) + "=" + std::to_string(out.max_export_batch_size) +
                  " is larger than " + std::string(queue) + "=" +
                  std::to_string(out.max_queue_size) + "; a batch must fit in the queue");
      out.max_export_batch_size = out.max_queue_size;
    }
  }

  // No way to export: OTLP off (or, strict, refuse to start).
  void add(std::string error) { errors_.push_back(std::move(error)); }
  // Treated as unset, with a warning (an error in strict mode).
  void recoverable(std::string problem) {
    if (strict_) {
      errors_.push_back(std::move(problem));
    } else {
      warnings_.push_back(std::move(problem) + "; using the default");
    }
  }
  std::vector<std::string> take_errors() { return std::move(errors_); }
  std::vector<std::string> take_warnings() { return std::move(warnings_); }

 private:
  const EnvLookup& env_;
  bool strict_;
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
};

void parse_protocol(const EnvLookup& env, Parser& parser) {
  const auto value = env(env::kOtlpProtocol);
  if (!value) return;
  const auto protocol = detail::to_lower(trim(*value));
  if (protocol.empty() || protocol == "grpc") return;
  parser.add(quoted(env::kOtlpProtocol, *value) +
             " is not supported: only OTLP over gRPC is compiled in; unset it or set it to "
             "\"grpc\", and point OTEL_EXPORTER_OTLP_ENDPOINT at the collector's gRPC port 4317 "
             "(not the OTLP/HTTP port 4318)");
}

void parse_headers(const EnvLookup& env, Parser& parser, KeyValues& out) {
  const auto value = get(env, env::kOtlpHeaders);
  if (!value) return;
  auto list = detail::parse_key_values(*value);
  for (const auto& bad : list.bad_entries) {
    parser.recoverable(std::string(env::kOtlpHeaders) + " entry " + bad +
                       " is skipped; the format is key=value,key2=value2 with values "
                       "percent-encoded");
  }
  std::size_t metadata_size = 0;
  for (auto& [key, header_value] : list.pairs) {
    // gRPC metadata keys are lower-case; HTTP header names are case-insensitive anyway.
    std::string lower = detail::to_lower(key);
    if (!detail::valid_metadata_key(lower)) {
      parser.recoverable(std::string(env::kOtlpHeaders) + " entry key \"" + key +
                         "\" is not a valid header name (skipped); use letters, digits, '-', '_' "
                         "or '.' (and no -bin suffix)");
      continue;
    }
    if (!detail::valid_metadata_value(header_value)) {
      parser.recoverable(std::string(env::kOtlpHeaders) + " entry \"" + key +
                         "\" has a value with control or non-ASCII characters (skipped); "
                         "percent-encode them");
      continue;
    }
    // gRPC refuses metadata over 8 KiB (HPACK counts 32 bytes per entry): such a header would
    // stall every export until its deadline, so it is refused here.
    const std::size_t size = lower.size() + header_value.size() + 32;
    if (metadata_size + size > kMaxMetadataBytes) {
      parser.recoverable(std::string(env::kOtlpHeaders) + " entry \"" + key + "\" (" +
                         std::to_string(header_value.size()) +
                         " bytes) does not fit in gRPC's 8 KiB metadata limit (skipped); shorten "
                         "it");
      continue;
    }
    metadata_size += size;
    out.emplace_back(std::move(lower), std::move(header_value));
  }
}

void parse_certificate(const EnvLookup& env, Parser& parser, OtlpConfig& config) {
  const auto value = get(env, env::kOtlpCertificate);
  if (!value) return;
  config.certificate_file = std::string(trim(*value));
  std::ifstream in(config.certificate_file, std::ios::binary);
  if (!in) {
    parser.add(quoted(env::kOtlpCertificate, *value) +
               " cannot be read; mount the CA bundle (PEM) there or unset the variable to use the "
               "system roots");
    return;
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  config.certificate_pem = contents.str();
  if (config.certificate_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    parser.add(quoted(env::kOtlpCertificate, *value) +
               " holds no PEM certificate (-----BEGIN CERTIFICATE-----); point it at the "
               "collector's CA bundle in PEM format");
    config.certificate_pem.clear();
  }
}

}  // namespace

std::optional<bool> parse_flag(std::string_view value) noexcept {
  const auto v = trim(value);
  auto equals = [v](std::string_view word) {
    if (v.size() != word.size()) return false;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const char c = static_cast<char>(v[i] >= 'A' && v[i] <= 'Z' ? v[i] - 'A' + 'a' : v[i]);
      if (c != word[i]) return false;
    }
    return true;
  };
  if (equals("true") || equals("1") || equals("yes")) return true;
  if (v.empty() || equals("false") || equals("0") || equals("no")) return false;
  return std::nullopt;
}

std::string OtlpConfigResult::errors_message() const {
  std::string out = "OTLP export disabled: ";
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) out += "; ";
    out += errors[i];
  }
  out += " (logs still go to stdout and metrics are still served on /metrics)";
  return out;
}

OtlpConfigResult parse_otlp_config(const EnvLookup& env) {
  OtlpConfigResult result;
  std::optional<std::string> bad_strict;
  if (const auto strict = env(env::kOtelStrict)) {
    if (const auto flag = parse_flag(*strict)) {
      result.strict = *flag;
    } else {
      bad_strict = *strict;
    }
  }
  Parser parser(env, result.strict);
  if (bad_strict) {
    parser.recoverable(quoted(env::kOtelStrict, *bad_strict) +
                       " is not a boolean (treated as false); set it to true (fail fast on "
                       "telemetry misconfiguration) or false");
  }

  OtlpConfig config;
  config.strict = result.strict;
  const auto generic = parser.endpoint(env::kOtlpEndpoint);
  config.traces = parser.endpoint(env::kOtlpTracesEndpoint);
  config.metrics = parser.endpoint(env::kOtlpMetricsEndpoint);
  config.logs = parser.endpoint(env::kOtlpLogsEndpoint);
  if (!config.traces) config.traces = generic;
  if (!config.metrics) config.metrics = generic;
  if (!config.logs) config.logs = generic;

  const bool any_endpoint_set =
      get(env, env::kOtlpEndpoint) || get(env, env::kOtlpTracesEndpoint) ||
      get(env, env::kOtlpMetricsEndpoint) || get(env, env::kOtlpLogsEndpoint);
  if (!any_endpoint_set) {
    // OTLP off: the other variables are not read, so nothing about them can be wrong.
    result.errors = parser.take_errors();
    result.warnings = parser.take_warnings();
    return result;
  }

  parse_protocol(env, parser);
  parse_headers(env, parser, config.headers);
  parser.millis(env::kOtlpTimeout, config.timeout, /*zero_means_no_limit=*/true);

  if (const auto value = get(env, env::kOtlpCompression)) {
    const auto compression = detail::to_lower(trim(*value));
    if (compression == "gzip") {
      config.compression = Compression::Gzip;
    } else if (compression != "none") {
      parser.recoverable(quoted(env::kOtlpCompression, *value) +
                         " is not supported; use gzip, or none (the default)");
    }
  }

  parse_certificate(env, parser, config);

  if (const auto value = get(env, env::kOtlpInsecure)) {
    if (const auto flag = parse_flag(*value)) {
      config.insecure = *flag;
    } else {
      parser.recoverable(quoted(env::kOtlpInsecure, *value) +
                         " is not a boolean; use true or false");
    }
  }
  if (config.insecure) {
    for (const auto* endpoint : {&config.traces, &config.metrics, &config.logs}) {
      if (*endpoint && (*endpoint)->tls) {
        parser.add(std::string(env::kOtlpInsecure) + "=true contradicts the https:// endpoint \"" +
                   (*endpoint)->url +
                   "\"; use an http:// endpoint for a plaintext connection, or unset " +
                   std::string(env::kOtlpInsecure));
        break;
      }
    }
  }

  if (const auto value = get(env, env::kOtlpMetricsTemporality)) {
    const auto preference = detail::to_lower(trim(*value));
    if (preference == "cumulative") {
      config.temporality = Temporality::Cumulative;
    } else if (preference == "delta") {
      config.temporality = Temporality::Delta;
    } else if (preference == "lowmemory") {
      config.temporality = Temporality::LowMemory;
    } else {
      parser.recoverable(quoted(env::kOtlpMetricsTemporality, *value) +
                         " is not a temporality; use cumulative (the default), delta or "
                         "lowmemory");
    }
  }

  parser.millis(env::kMetricExportInterval, config.metric_export_interval);
  parser.millis(env::kMetricExportTimeout, config.metric_export_timeout);
  parser.batch(env::kBspScheduleDelay, env::kBspExportTimeout, env::kBspMaxQueueSize,
               env::kBspMaxExportBatchSize, config.spans);
  parser.batch(env::kBlrpScheduleDelay, env::kBlrpExportTimeout, env::kBlrpMaxQueueSize,
               env::kBlrpMaxExportBatchSize, config.logs_batch);
  parser.millis(env::kShutdownTimeout, config.shutdown_timeout);
  // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and the downward-API variables are the
  // resource's: build_resource() reads them (and warns about bad entries) for every reader.

  result.errors = parser.take_errors();
  result.warnings = parser.take_warnings();
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

std::string summary(const std::optional<OtlpConfig>& config) {
  if (!config) return "off";
  std::string out = "OTLP on (grpc):";
  auto signal = [&out](std::string_view name, const std::optional<Endpoint>& endpoint) {
    out += " ";
    out += name;
    out += "=";
    out += endpoint ? endpoint->url : std::string("off");
  };
  signal("traces", config->traces);
  signal("metrics", config->metrics);
  signal("logs", config->logs);
  out += ", headers=[";
  for (std::size_t i = 0; i < config->headers.size(); ++i) {
    if (i > 0) out += ",";
    out += config->headers[i].first + "=<redacted>";
  }
  out += "], timeout=" + (config->timeout == kNoLimit
                              ? std::string("none")
                              : std::to_string(config->timeout.count()) + "ms");
  out += ", compression=";
  out += config->compression == Compression::Gzip ? "gzip" : "none";
  if (!config->certificate_file.empty()) out += ", ca=" + config->certificate_file;
  out += ", temporality=";
  out += config->temporality == Temporality::Cumulative ? "cumulative"
         : config->temporality == Temporality::Delta    ? "delta"
                                                        : "lowmemory";
  out += ", metric_interval=" + std::to_string(config->metric_export_interval.count()) + "ms";
  out += ", shutdown_timeout=" + std::to_string(config->shutdown_timeout.count()) + "ms";
  out += ", strict=";
  out += config->strict ? "true" : "false";
  return out;
}

}  // namespace kopiur::telemetry::otlp
