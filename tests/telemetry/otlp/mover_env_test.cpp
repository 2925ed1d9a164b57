// mover_job_env(): what the controller forwards onto every mover Job.
#include "kopiur/telemetry/otlp/mover_env.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "kopiur/telemetry/env.hpp"

#include "telemetry/otlp/test_env.hpp"

namespace kopiur::telemetry {
namespace {

using otlp::testing::EnvMap;
using otlp::testing::map_env;
using Pairs = std::vector<std::pair<std::string, std::string>>;

const char* kParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(MoverJobEnv, OtlpGroupOnlyWhenACollectorIsConfigured) {
  const EnvMap base{{"OTEL_EXPORTER_OTLP_HEADERS", "authorization=x"},
                    {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                    {"KOPIUR_OTEL_STRICT", "true"},
                    {"RUST_LOG", "info,kopia=debug"},
                    {"KOPIUR_LOG_FORMAT", "json"},
                    {"OTEL_SERVICE_NAME", "kopiur-controller"}};
  // No endpoint: only the logging group (and the trace context).
  EXPECT_EQ(mover_job_env(map_env(base), kParent), (Pairs{{"RUST_LOG", "info,kopia=debug"},
                                                          {"KOPIUR_LOG_FORMAT", "json"},
                                                          {"TRACEPARENT", kParent}}));
  // A blank endpoint is not a collector.
  auto blank = base;
  blank["OTEL_EXPORTER_OTLP_ENDPOINT"] = "  ";
  EXPECT_EQ(mover_job_env(map_env(blank), "").size(), 2u);

  auto with = base;
  with["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317";
  with["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"] = "delta";
  EXPECT_EQ(mover_job_env(map_env(with), kParent, "vendor=x"),
            (Pairs{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"},
                   {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                   {"OTEL_EXPORTER_OTLP_HEADERS", "authorization=x"},
                   {"KOPIUR_OTEL_STRICT", "true"},
                   {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta"},
                   {"RUST_LOG", "info,kopia=debug"},
                   {"KOPIUR_LOG_FORMAT", "json"},
                   {"TRACEPARENT", kParent},
                   {"TRACESTATE", "vendor=x"}}));
}

TEST(MoverJobEnv, PerSignalEndpointCountsAsACollector) {
  const auto env =
      mover_job_env(map_env({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:4317"}}), "");
  EXPECT_EQ(env, (Pairs{{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:4317"}}));
}

TEST(MoverJobEnv, LoggingVariablesForwardedEvenWhenEmpty) {
  EXPECT_EQ(mover_job_env(map_env({{"RUST_LOG", ""}}), ""), (Pairs{{"RUST_LOG", ""}}));
  EXPECT_TRUE(mover_job_env(map_env({}), "").empty());
}

TEST(MoverJobEnv, PassthroughListsStartWithTheEndpointAndNeverCarryTheServiceName) {
  EXPECT_EQ(env::OTLP_PASSTHROUGH.front(), env::kOtlpEndpoint);
  EXPECT_EQ(
      std::count(env::OTLP_PASSTHROUGH.begin(), env::OTLP_PASSTHROUGH.end(), env::kServiceName), 0);
  EXPECT_EQ(env::LOG_PASSTHROUGH.size(), 2u);
}

}  // namespace
}  // namespace kopiur::telemetry
