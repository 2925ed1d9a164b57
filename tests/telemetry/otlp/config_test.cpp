// Configuration from the environment: every variable, every bad value, strict or not.
#include "kopiur/telemetry/otlp/config.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "kopiur/telemetry/env.hpp"
#include "kopiur/telemetry/resource_builder.hpp"

#include "telemetry/otlp/test_env.hpp"

namespace kopiur::telemetry::otlp {
namespace {

using testing::EnvMap;
using testing::map_env;

OtlpConfigResult parse(EnvMap vars) { return parse_otlp_config(map_env(std::move(vars))); }

TEST(OtlpConfig, OffWhenEndpointUnsetOrBlank) {
  for (const EnvMap& env : {EnvMap{}, EnvMap{{"OTEL_EXPORTER_OTLP_ENDPOINT", ""}},
                            EnvMap{{"OTEL_EXPORTER_OTLP_ENDPOINT", "   "}},
                            // Other OTLP variables alone do not turn OTLP on, and are not judged.
                            EnvMap{{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}}}) {
    const auto result = parse(env);
    EXPECT_FALSE(result.config.has_value());
    EXPECT_TRUE(result.errors.empty()) << result.errors_message();
  }
}

TEST(OtlpConfig, DefaultsWithJustAnEndpoint) {
  const auto result = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.obs.svc"}});
  ASSERT_TRUE(result.config) << result.errors_message();
  const auto& c = *result.config;
  ASSERT_TRUE(c.traces && c.metrics && c.logs);
  EXPECT_EQ(c.traces->target, "collector.obs.svc:4317");
  EXPECT_FALSE(c.traces->tls);
  EXPECT_EQ(c.timeout, std::chrono::milliseconds{10000});
  EXPECT_EQ(c.compression, Compression::None);
  EXPECT_EQ(c.temporality, Temporality::Cumulative);
  EXPECT_EQ(c.metric_export_interval, std::chrono::milliseconds{60000});
  EXPECT_EQ(c.spans.schedule_delay, std::chrono::milliseconds{5000});
  EXPECT_EQ(c.logs_batch.schedule_delay, std::chrono::milliseconds{1000});
  EXPECT_EQ(c.spans.max_queue_size, 2048u);
  EXPECT_EQ(c.shutdown_timeout, std::chrono::milliseconds{5000});
  EXPECT_FALSE(c.strict);
}

TEST(OtlpConfig, EveryVariableIsRead) {
  const auto dir = std::filesystem::temp_directory_path() / "kopiur-otlp-config-test";
  std::filesystem::create_directories(dir);
  const auto ca = (dir / "ca.pem").string();
  std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const EnvMap vars{
      {"OTEL_EXPORTER_OTLP_ENDPOINT", " https://Collector:4444/ "},
      {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:1234"},
      {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://[::1]:5555"},
      {"OTEL_EXPORTER_OTLP_PROTOCOL", " GRPC "},
      {"OTEL_EXPORTER_OTLP_HEADERS", " Authorization = Bearer%20abc , x-tenant=t1,"},
      {"KOPIUR_OTEL_STRICT", "Yes"},
      {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
      {"OTEL_EXPORTER_OTLP_COMPRESSION", "GZIP"},
      {"OTEL_EXPORTER_OTLP_CERTIFICATE", ca},
      {"OTEL_EXPORTER_OTLP_INSECURE", "false"},
      {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta"},
      {"OTEL_METRIC_EXPORT_INTERVAL", "1500"},
      {"OTEL_METRIC_EXPORT_TIMEOUT", "700"},
      {"OTEL_BSP_SCHEDULE_DELAY", "11"},
      {"OTEL_BSP_EXPORT_TIMEOUT", "12"},
      {"OTEL_BSP_MAX_QUEUE_SIZE", "13"},
      {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4"},
      {"OTEL_BLRP_SCHEDULE_DELAY", "21"},
      {"OTEL_BLRP_EXPORT_TIMEOUT", "22"},
      {"OTEL_BLRP_MAX_QUEUE_SIZE", "23"},
      {"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "5"},
      {"KOPIUR_TELEMETRY_SHUTDOWN_TIMEOUT_MS", "1234"},
      {"OTEL_SERVICE_NAME", "my-svc"},
      {"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,team=a%2Cb"},
      {"KOPIUR_POD_NAME", "pod-1"},
      {"KOPIUR_NAMESPACE", "ns-1"},
      {"KOPIUR_NODE_NAME", "node-1"},
  };
  const auto result = parse(vars);
  ASSERT_TRUE(result.config) << result.errors_message();
  const auto& c = *result.config;
  EXPECT_TRUE(result.strict);
  EXPECT_TRUE(c.strict);
  EXPECT_EQ(c.traces->target, "traces:1234");
  EXPECT_FALSE(c.traces->tls);
  EXPECT_EQ(c.metrics->target, "[::1]:5555");
  EXPECT_EQ(c.logs->target, "Collector:4444");
  EXPECT_TRUE(c.logs->tls);
  const KeyValues headers{{"authorization", "Bearer abc"}, {"x-tenant", "t1"}};
  EXPECT_EQ(c.headers, headers);
  EXPECT_EQ(c.timeout.count(), 2500);
  EXPECT_EQ(c.compression, Compression::Gzip);
  EXPECT_EQ(c.certificate_file, ca);
  EXPECT_NE(c.certificate_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(c.temporality, Temporality::Delta);
  EXPECT_EQ(c.metric_export_interval.count(), 1500);
  EXPECT_EQ(c.metric_export_timeout.count(), 700);
  EXPECT_EQ(c.spans.schedule_delay.count(), 11);
  EXPECT_EQ(c.spans.export_timeout.count(), 12);
  EXPECT_EQ(c.spans.max_queue_size, 13u);
  EXPECT_EQ(c.spans.max_export_batch_size, 4u);
  EXPECT_EQ(c.logs_batch.schedule_delay.count(), 21);
  EXPECT_EQ(c.logs_batch.export_timeout.count(), 22);
  EXPECT_EQ(c.logs_batch.max_queue_size, 23u);
  EXPECT_EQ(c.logs_batch.max_export_batch_size, 5u);
  EXPECT_EQ(c.shutdown_timeout.count(), 1234);
  // The identity variables are the resource's, read once for every reader and exporter.
  const ResourceBuild built = build_resource({.service_name = "kopiur-controller"}, map_env(vars));
  EXPECT_TRUE(built.warnings.empty());
  const Resource& r = built.resource;
  EXPECT_EQ(r.get("service.name"), "my-svc");
  EXPECT_EQ(r.get("deployment.environment"), "prod");
  EXPECT_EQ(r.get("team"), "a,b");
  EXPECT_EQ(r.get("k8s.pod.name"), "pod-1");
  EXPECT_EQ(r.get("k8s.namespace.name"), "ns-1");
  EXPECT_EQ(r.get("k8s.node.name"), "node-1");
  std::filesystem::remove_all(dir);
}

TEST(OtlpConfig, PerSignalEndpointAloneEnablesOnlyThatSignal) {
  const auto result = parse({{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:4317"}});
  ASSERT_TRUE(result.config) << result.errors_message();
  EXPECT_FALSE(result.config->traces);
  EXPECT_FALSE(result.config->metrics);
  ASSERT_TRUE(result.config->logs);
  EXPECT_EQ(result.config->logs->target, "logs:4317");
}

TEST(OtlpConfig, LowMemoryTemporalityAndNoneCompressionAccepted) {
  const auto result = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"},
                             {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "lowmemory"},
                             {"OTEL_EXPORTER_OTLP_COMPRESSION", "none"}});
  ASSERT_TRUE(result.config) << result.errors_message();
  EXPECT_EQ(result.config->temporality, Temporality::LowMemory);
  EXPECT_EQ(result.config->compression, Compression::None);
}

// The misconfiguration table: each bad value, the variable it belongs to, and words the message
// must contain so the user knows what to do.
struct BadValue {
  std::string variable;
  std::string value;
  std::vector<std::string> message_mentions;
  // Fatal: no way to export (OTLP off). Otherwise the value is treated as unset with a warning
  // (the OpenTelemetry environment specification), unless strict mode is on.
  bool fatal = false;
};

std::vector<BadValue> bad_values() {
  const std::string kEndpointFix = "http://otel-collector.observability.svc:4317";
  return {
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317", {"not a URL", kEndpointFix}, true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector:4317", {"scheme \"ftp\"", "https://"}, true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://", {"no host"}, true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://:4317", {"no host"}, true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:0", {"invalid port \"0\""}, true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:70000", {"invalid port"}, true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:43x7", {"invalid port"}, true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:", {"empty port"}, true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT",
       "http://collector:4318/v1/traces",
       {"path", "host:port"},
       true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317?x=1", {"query"}, true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://user:pw@collector:4317", {"user info"}, true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://coll ector:4317", {"invalid character"}, true},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1:4317", {"IPv6"}, true},
      {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
       "traces:4317",
       {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
       true},
      {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
       "udp://m",
       {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"},
       true},
      {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
       "http://l/v1/logs",
       {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"},
       true},
      {"OTEL_EXPORTER_OTLP_PROTOCOL",
       "http/protobuf",
       {"only OTLP over gRPC is compiled in", "4317", "\"grpc\""},
       true},
      {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", {"only OTLP over gRPC"}, true},
      {"OTEL_EXPORTER_OTLP_HEADERS", "authorization", {"\"authorization\"", "no '='"}},
      {"OTEL_EXPORTER_OTLP_HEADERS", "a=1,=2", {"\"=2\"", "empty key"}},
      {"OTEL_EXPORTER_OTLP_HEADERS", "a=100%", {"\"a=100%\"", "percent-encoding"}},
      {"OTEL_EXPORTER_OTLP_HEADERS", "a=%zz", {"percent-encoding"}},
      {"OTEL_EXPORTER_OTLP_HEADERS", "bad key=1", {"\"bad key\"", "header name"}},
      {"OTEL_EXPORTER_OTLP_HEADERS", "x-bin=1", {"-bin"}},
      {"OTEL_EXPORTER_OTLP_HEADERS", "k=a%0Ab", {"\"k\"", "control"}},
      {"KOPIUR_OTEL_STRICT", "maybe", {"KOPIUR_OTEL_STRICT=\"maybe\"", "true", "false"}},
      {"OTEL_EXPORTER_OTLP_TIMEOUT", "10s", {"milliseconds", "10000"}},
      {"OTEL_EXPORTER_OTLP_TIMEOUT", "-5", {"positive"}},
      {"OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", {"gzip", "none"}},
      {"OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem", {"cannot be read"}, true},
      {"OTEL_EXPORTER_OTLP_INSECURE", "sometimes", {"not a boolean"}},
      {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
       "sometimes",
       {"cumulative", "delta", "lowmemory"}},
      {"OTEL_METRIC_EXPORT_INTERVAL", "1m", {"milliseconds", "60000"}},
      {"OTEL_METRIC_EXPORT_TIMEOUT", "0", {"positive"}},
      {"OTEL_BSP_SCHEDULE_DELAY", "soon", {"milliseconds"}},
      {"OTEL_BSP_EXPORT_TIMEOUT", "1.5", {"milliseconds"}},
      {"OTEL_BSP_MAX_QUEUE_SIZE", "0", {"positive whole number"}},
      {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "many", {"positive whole number"}},
      {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096", {"larger than OTEL_BSP_MAX_QUEUE_SIZE=2048"}},
      {"OTEL_BLRP_SCHEDULE_DELAY", "x", {"milliseconds"}},
      {"OTEL_BLRP_EXPORT_TIMEOUT", "99999999999", {"milliseconds"}},
      {"OTEL_BLRP_MAX_QUEUE_SIZE", "-1", {"positive whole number"}},
      {"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "0", {"positive whole number"}},
      {"KOPIUR_TELEMETRY_SHUTDOWN_TIMEOUT_MS", "5s", {"milliseconds"}},
  };
}

class OtlpMisconfiguration : public ::testing::TestWithParam<bool> {};

TEST_P(OtlpMisconfiguration, EveryBadValueIsOneActionableError) {
  const bool strict = GetParam();
  for (const auto& bad : bad_values()) {
    EnvMap env{{bad.variable, bad.value}};
    if (bad.variable.find("_ENDPOINT") == std::string::npos) {
      env.emplace("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317");
    }
    if (strict && bad.variable != "KOPIUR_OTEL_STRICT") env.emplace("KOPIUR_OTEL_STRICT", "true");
    const auto result = parse(env);
    SCOPED_TRACE(bad.variable + "=" + bad.value);
    const bool effective_strict = strict && bad.variable != "KOPIUR_OTEL_STRICT";
    if (!bad.fatal && !effective_strict) {
      // Treated as unset: OTLP stays on with the default, and a warning says why.
      EXPECT_TRUE(result.config.has_value()) << result.errors_message();
      EXPECT_TRUE(result.errors.empty()) << result.errors_message();
      ASSERT_EQ(result.warnings.size(), 1u);
      const auto& warning = result.warnings.front();
      EXPECT_NE(warning.find(bad.variable), std::string::npos) << warning;
      for (const auto& mention : bad.message_mentions) {
        EXPECT_NE(warning.find(mention), std::string::npos)
            << "missing '" << mention << "': " << warning;
      }
      continue;
    }
    EXPECT_FALSE(result.config.has_value()) << "a fatal or strict problem must turn OTLP off";
    ASSERT_EQ(result.errors.size(), 1u) << result.errors_message();
    const auto& error = result.errors.front();
    EXPECT_NE(error.find(bad.variable), std::string::npos) << error;
    for (const auto& mention : bad.message_mentions) {
      EXPECT_NE(error.find(mention), std::string::npos) << "missing '" << mention << "': " << error;
    }
    // Strict mode is read even when the rest is wrong, so the caller can fail fast.
    EXPECT_EQ(result.strict, strict && bad.variable != "KOPIUR_OTEL_STRICT");
    const auto line = result.errors_message();
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_NE(line.find("/metrics"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(StrictAndNot, OtlpMisconfiguration, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Strict" : "NotStrict";
                         });

// A malformed OTEL_RESOURCE_ATTRIBUTES entry is the resource's business: build_resource() skips it
// with a warning (for /metrics and OTLP alike) and OTLP stays on, strict mode or not.
TEST(OtlpConfig, MalformedResourceAttributeIsAWarningNotAnError) {
  for (const bool strict : {false, true}) {
    SCOPED_TRACE(strict ? "strict" : "not strict");
    EnvMap vars{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"},
                {"OTEL_RESOURCE_ATTRIBUTES", "team,deployment.environment=prod"}};
    if (strict) vars.emplace("KOPIUR_OTEL_STRICT", "true");
    const auto result = parse(vars);
    EXPECT_TRUE(result.config.has_value()) << result.errors_message();
    EXPECT_TRUE(result.ok()) << result.errors_message();
    EXPECT_EQ(result.strict, strict);
    const ResourceBuild built =
        build_resource({.service_name = "kopiur-controller"}, map_env(vars));
    ASSERT_EQ(built.warnings.size(), 1u);
    const auto& warning = built.warnings.front();
    for (const std::string mention : {"OTEL_RESOURCE_ATTRIBUTES", "\"team\"", "key=value"}) {
      EXPECT_NE(warning.find(mention), std::string::npos)
          << "missing '" << mention << "': " << warning;
    }
    EXPECT_FALSE(built.resource.get("team"));
    EXPECT_EQ(built.resource.get("deployment.environment"), "prod");
  }
}

TEST(OtlpConfig, SeveralMistakesAreReportedTogether) {
  const auto result = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"},
                             {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                             {"OTEL_BSP_MAX_QUEUE_SIZE", "x"}});
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.errors.size(), 2u) << result.errors_message();
  EXPECT_EQ(result.warnings.size(), 1u);
}

// One bad header entry, a bad number or an unknown strict value no longer turn every signal off:
// each is skipped or defaulted with a warning. Timeout 0 means no limit.
TEST(OtlpConfig, InvalidValuesAreTreatedAsUnsetNotAllOrNothing) {
  const auto result = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"},
                             {"OTEL_EXPORTER_OTLP_HEADERS", "a=b,c,api-key=k%20v,=v,x=%ZZ"},
                             {"OTEL_METRIC_EXPORT_INTERVAL", "abc"},
                             {"OTEL_EXPORTER_OTLP_TIMEOUT", "0"},
                             {"KOPIUR_OTEL_STRICT", "on"}});
  ASSERT_TRUE(result.config.has_value()) << result.errors_message();
  EXPECT_FALSE(result.strict);
  EXPECT_EQ(result.config->headers, (KeyValues{{"a", "b"}, {"api-key", "k v"}}));
  EXPECT_EQ(result.config->metric_export_interval, std::chrono::milliseconds{60000});
  EXPECT_GE(result.config->timeout, std::chrono::hours(24));
  EXPECT_NE(summary(result.config).find("timeout=none"), std::string::npos);
  EXPECT_EQ(result.warnings.size(), 5u);
}

TEST(OtlpConfig, AHeaderOverGrpcsMetadataLimitIsRefusedAtStart) {
  const std::string huge(70 * 1024, 'x');
  const auto result = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"},
                             {"OTEL_EXPORTER_OTLP_HEADERS", "small=1,token=" + huge}});
  ASSERT_TRUE(result.config.has_value());
  EXPECT_EQ(result.config->headers, (KeyValues{{"small", "1"}}));
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("8 KiB metadata limit"), std::string::npos)
      << result.warnings[0];
  const auto strict = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"},
                             {"KOPIUR_OTEL_STRICT", "true"},
                             {"OTEL_EXPORTER_OTLP_HEADERS", "token=" + huge}});
  EXPECT_FALSE(strict.config.has_value());
  EXPECT_EQ(strict.errors.size(), 1u);
}

TEST(OtlpConfig, InsecureContradictsHttps) {
  const auto result = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317"},
                             {"OTEL_EXPORTER_OTLP_INSECURE", "true"}});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].find("contradicts"), std::string::npos);
  EXPECT_TRUE(parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"},
                     {"OTEL_EXPORTER_OTLP_INSECURE", "TRUE"}})
                  .config->insecure);
}

TEST(OtlpConfig, CertificateMustHoldPem) {
  const auto file = std::filesystem::temp_directory_path() / "kopiur-otlp-not-a-cert.txt";
  std::ofstream(file) << "hello";
  const auto result = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317"},
                             {"OTEL_EXPORTER_OTLP_CERTIFICATE", file.string()}});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].find("no PEM certificate"), std::string::npos);
  std::filesystem::remove(file);
}

TEST(OtlpConfig, StrictFlagValues) {
  for (const char* yes : {"true", "TRUE", "1", "yes", " Yes "}) {
    EXPECT_EQ(parse_flag(yes), std::optional<bool>(true)) << yes;
  }
  for (const char* no : {"false", "0", "no", "", "NO"}) {
    EXPECT_EQ(parse_flag(no), std::optional<bool>(false)) << no;
  }
  for (const char* bad : {"on", "2", "truee", "y"}) {
    EXPECT_EQ(parse_flag(bad), std::nullopt) << bad;
  }
  EXPECT_TRUE(parse({{"KOPIUR_OTEL_STRICT", "1"}}).strict);
  EXPECT_FALSE(parse({{"KOPIUR_OTEL_STRICT", "0"}}).strict);
}

TEST(OtlpConfig, SummaryRedactsHeaderValues) {
  const auto result = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"},
                             {"OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer secret-token"},
                             {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}});
  ASSERT_TRUE(result.config);
  const auto text = summary(result.config);
  EXPECT_EQ(text.find("secret-token"), std::string::npos) << text;
  EXPECT_NE(text.find("authorization=<redacted>"), std::string::npos) << text;
  EXPECT_NE(text.find("http://collector:4317"), std::string::npos) << text;
  EXPECT_NE(text.find("gzip"), std::string::npos) << text;
  EXPECT_EQ(summary(std::nullopt), "off");
}

TEST(OtlpConfig, ProcessEnvReadsTheRealEnvironment) {
  ::setenv("KOPIUR_OTLP_TEST_VARIABLE", "value-1", 1);
  const auto env = process_env();
  EXPECT_EQ(env("KOPIUR_OTLP_TEST_VARIABLE"), std::optional<std::string>("value-1"));
  ::unsetenv("KOPIUR_OTLP_TEST_VARIABLE");
  EXPECT_EQ(env("KOPIUR_OTLP_TEST_VARIABLE"), std::nullopt);
}

}  // namespace
}  // namespace kopiur::telemetry::otlp
