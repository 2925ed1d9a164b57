// init_telemetry(): the assembled stack as a program gets it.
#include "kopiur/telemetry/telemetry.hpp"

#include <map>

#include <grpc/support/log.h>
#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::telemetry {
namespace {

using namespace std::chrono_literals;

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

struct Built {
  std::shared_ptr<log::CaptureSink> sink = std::make_shared<log::CaptureSink>();
  TelemetryInit init;
};

Built build(std::map<std::string, std::string> vars) {
  Built b;
  TelemetryOptions options;
  options.service_name = "kopiur-test";
  options.env = env_of(std::move(vars));
  options.sink = b.sink;
  options.is_tty = false;
  options.install_logger = false;
  b.init = init_telemetry(std::move(options));
  return b;
}

std::size_t count_containing(const std::vector<std::string>& lines, std::string_view needle) {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.find(needle) != std::string::npos ? 1 : 0;
  return n;
}

// The Rust original once shipped a default stack that printed nothing while init reported
// success. Without any OTLP configuration an event must reach stdout.
TEST(InitTelemetry, NoOtlpConfiguredStillLogs) {
  auto b = build({});
  ASSERT_NE(b.init.telemetry, nullptr) << b.init.fatal_error;
  EXPECT_FALSE(b.init.telemetry->otlp_enabled());
  {
    log::Dispatcher::ScopedDefault use(b.init.telemetry->dispatcher());
    KOPIUR_INFO("probe line", log::kv("n", 1));
  }
  EXPECT_EQ(count_containing(b.sink->lines(), "probe line"), 1u) << b.sink->text();
  // The start-up line states the effective configuration.
  EXPECT_EQ(count_containing(b.sink->lines(), "otlp=off"), 1u) << b.sink->text();
}

// gRPC's own log lines (a failed handshake) reach the logger under target grpc, not stderr.
TEST(InitTelemetry, GrpcDiagnosticsGoThroughTheLogger) {
  auto b =
      build({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"}, {"KOPIUR_LOG_FORMAT", "json"}});
  ASSERT_NE(b.init.telemetry, nullptr) << b.init.fatal_error;
  {
    log::Dispatcher::ScopedDefault use(b.init.telemetry->dispatcher());
    gpr_log(GPR_ERROR, "Handshake failed with error %d", 7);
  }
  bool found = false;
  for (const auto& line : b.sink->lines()) {
    if (line.find("Handshake failed with error 7") == std::string::npos) continue;
    const auto event = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(event.is_discarded()) << line;
    EXPECT_EQ(event.value("target", ""), "grpc") << line;
    EXPECT_EQ(event.value("level", ""), "ERROR") << line;
    found = true;
  }
  EXPECT_TRUE(found) << b.sink->text();
  b.init.telemetry->shutdown();
}

// The start-up line names the service as the resource does: OTEL_SERVICE_NAME wins.
TEST(InitTelemetry, StartupLineNamesTheServiceTheResourceNames) {
  auto b = build({{"OTEL_SERVICE_NAME", "backup-controller-eu"}});
  ASSERT_NE(b.init.telemetry, nullptr) << b.init.fatal_error;
  EXPECT_EQ(count_containing(b.sink->lines(), "service=backup-controller-eu"), 1u)
      << b.sink->text();
}

TEST(InitTelemetry, StrictMisconfigurationFailsBeforeAnythingIsInstalled) {
  auto b = build({{"OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4317"},
                  {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                  {"KOPIUR_OTEL_STRICT", "TRUE"}});
  EXPECT_EQ(b.init.telemetry, nullptr);
  EXPECT_NE(b.init.fatal_error.find("KOPIUR_OTEL_STRICT"), std::string::npos);
  EXPECT_NE(b.init.fatal_error.find("OTEL_EXPORTER_OTLP_PROTOCOL"), std::string::npos);
  EXPECT_NE(b.init.fatal_error.find("4317"), std::string::npos);
  EXPECT_TRUE(b.sink->lines().empty()) << "nothing may be logged before the logger exists";
}

TEST(InitTelemetry, NonStrictMisconfigurationSaysSoOnceAndKeepsThePull) {
  auto b = build({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"},
                  {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
                  {"KOPIUR_LOG_FORMAT", "json"}});
  ASSERT_NE(b.init.telemetry, nullptr);
  EXPECT_FALSE(b.init.telemetry->otlp_enabled());
  std::size_t errors = 0;
  for (const auto& line : b.sink->lines()) {
    auto j = nlohmann::json::parse(line);
    if (j["level"] == "ERROR") {
      ++errors;
      EXPECT_NE(j["fields"]["message"].get<std::string>().find("grpc"), std::string::npos);
    }
  }
  EXPECT_EQ(errors, 1u) << b.sink->text();
  b.init.telemetry->kopiur().controller_reconciliations.add(1, {{"kind", "Backup"}});
  auto scraped = b.init.telemetry->scrape("");
  EXPECT_NE(scraped.body.find("kopiur_controller_reconciliations_total{kind=\"Backup\"} 1"),
            std::string::npos)
      << scraped.body;
}

// A malformed OTEL_RESOURCE_ATTRIBUTES entry is skipped with one warning by the one resource
// builder; it is not an OTLP error, so OTLP stays on even in strict mode, and /metrics and OTLP
// get the same (valid) attributes.
TEST(InitTelemetry, MalformedResourceAttributeWarnsOnceAndKeepsOtlpOn) {
  auto b = build({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"},
                  {"OTEL_RESOURCE_ATTRIBUTES", "team,deployment.environment=test"},
                  {"KOPIUR_OTEL_STRICT", "true"},
                  {"KOPIUR_LOG_FORMAT", "json"}});
  ASSERT_NE(b.init.telemetry, nullptr) << b.init.fatal_error;
  EXPECT_TRUE(b.init.telemetry->otlp_enabled());
  std::size_t warnings = 0;
  std::size_t errors = 0;
  for (const auto& line : b.sink->lines()) {
    auto j = nlohmann::json::parse(line);
    if (j["level"] == "ERROR") ++errors;
    if (j["level"] == "WARN") {
      const auto message = j["fields"]["message"].get<std::string>();
      if (message.find("OTEL_RESOURCE_ATTRIBUTES") != std::string::npos) {
        ++warnings;
        EXPECT_NE(message.find("\"team\""), std::string::npos) << message;
      }
    }
  }
  EXPECT_EQ(warnings, 1u) << b.sink->text();
  EXPECT_EQ(errors, 0u) << b.sink->text();
  const auto text = b.init.telemetry->scrape("text/plain").body;
  EXPECT_NE(text.find("deployment_environment=\"test\""), std::string::npos) << text;
  EXPECT_EQ(text.find("team="), std::string::npos) << text;
  b.init.telemetry->shutdown(500ms);
}

TEST(InitTelemetry, OneRecordingShowsInTheScrape) {
  auto b = build({});
  auto& t = *b.init.telemetry;
  t.kopiur().resource_phase.set(
      1, {{"kind", "Backup"}, {"namespace", "ns"}, {"name", "b1"}, {"phase", "Succeeded"}});
  t.kopiur().controller_reconcile_duration_seconds.record(0.25, {{"kind", "Backup"}});
  auto text = t.scrape("text/plain").body;
  EXPECT_NE(
      text.find(
          R"(kopiur_resource_phase{kind="Backup",name="b1",namespace="ns",phase="Succeeded"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("kopiur_controller_reconcile_duration_seconds_count{kind=\"Backup\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("process_resident_memory_bytes"), std::string::npos);
  EXPECT_NE(text.find("target_info{"), std::string::npos);
  auto om = t.scrape("application/openmetrics-text;version=1.0.0");
  EXPECT_NE(om.content_type.find("openmetrics"), std::string::npos);
  EXPECT_NE(om.body.find("# EOF"), std::string::npos);
}

TEST(InitTelemetry, MoverEnvForwardsLoggingAlwaysAndOtlpOnlyWithACollector) {
  {
    auto b = build({{"RUST_LOG", "info,kopia=debug"}, {"KOPIUR_LOG_FORMAT", "json"}});
    auto env = b.init.telemetry->mover_job_env();
    std::map<std::string, std::string> m(env.begin(), env.end());
    EXPECT_EQ(m["RUST_LOG"], "info,kopia=debug");
    EXPECT_EQ(m["KOPIUR_LOG_FORMAT"], "json");
    EXPECT_EQ(m.count("OTEL_EXPORTER_OTLP_ENDPOINT"), 0u);
  }
  {
    auto b = build({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"},
                    {"OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20x"}});
    ASSERT_TRUE(b.init.telemetry->otlp_enabled());
    auto env = b.init.telemetry->mover_job_env();
    std::map<std::string, std::string> m(env.begin(), env.end());
    EXPECT_EQ(m["OTEL_EXPORTER_OTLP_ENDPOINT"], "http://127.0.0.1:1");
    EXPECT_EQ(m["OTEL_EXPORTER_OTLP_HEADERS"], "authorization=Bearer%20x");
    // Shutting down with an unreachable collector stays within its bound.
    auto start = std::chrono::steady_clock::now();
    b.init.telemetry->shutdown(2s);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  }
}

TEST(InitTelemetry, RootSpanJoinsTheTraceparentFromTheEnvironment) {
  auto b = build({{"TRACEPARENT", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                  {"KOPIUR_LOG_FORMAT", "json"}});
  log::Dispatcher::ScopedDefault use(b.init.telemetry->dispatcher());
  auto span = b.init.telemetry->root_span("mover", {log::kv("operation", "backup")});
  ASSERT_TRUE(span.enabled());
  EXPECT_EQ(span.context().trace_id.hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(span.context().span_id.hex(), "00f067aa0ba902b7");
  {
    auto entered = span.enter();
    KOPIUR_INFO("inside");
  }
  auto lines = b.sink->lines();
  ASSERT_FALSE(lines.empty());
  auto last = nlohmann::json::parse(lines.back());
  EXPECT_EQ(last["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(last["span"]["operation"], "backup");
}

TEST(InitTelemetry, MalformedTraceparentStartsANewTraceAndSaysSo) {
  auto b = build({{"TRACEPARENT", "00-not-a-trace-01"}});
  log::Dispatcher::ScopedDefault use(b.init.telemetry->dispatcher());
  auto span = b.init.telemetry->root_span("mover");
  ASSERT_TRUE(span.enabled());
  EXPECT_TRUE(span.context().trace_id.valid());
  EXPECT_EQ(count_containing(b.sink->lines(), "malformed TRACEPARENT"), 1u) << b.sink->text();
}

}  // namespace
}  // namespace kopiur::telemetry
