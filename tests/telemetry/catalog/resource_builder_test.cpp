// build_resource(): the Resource from the program identity and the environment (injected).
#include "kopiur/telemetry/resource_builder.hpp"

#include <cctype>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "kopiur/telemetry/metrics/prometheus.hpp"
#include "kopiur/telemetry/process_metrics.hpp"
#include "kopiur/telemetry/utf8.hpp"
#include "kopiur/version.hpp"

#include "telemetry/metrics/promtool_check.hpp"

namespace kopiur::telemetry {
namespace {

EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    const auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

// xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lower-case hex.
bool is_uuid_v4(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash &&
        !(std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] >= 'a' && s[i] <= 'f'))) {
      return false;
    }
  }
  return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

TEST(Resource, DefaultsWithoutEnvironment) {
  const ResourceBuild b = build_resource({.service_name = "kopiur-controller"}, env_of({}));
  EXPECT_TRUE(b.warnings.empty());
  const Resource& r = b.resource;
  EXPECT_EQ(r.attributes().at(0).first, "service.name");
  EXPECT_EQ(r.get("service.name"), "kopiur-controller");
  EXPECT_EQ(r.get("service.version"), kVersion);
  ASSERT_TRUE(r.get("service.instance.id"));
  EXPECT_TRUE(is_uuid_v4(*r.get("service.instance.id"))) << *r.get("service.instance.id");
  EXPECT_EQ(r.get("telemetry.sdk.language"), "cpp");
  EXPECT_FALSE(r.get("k8s.pod.name"));
  // Two processes get two instance ids.
  EXPECT_NE(build_resource({.service_name = "x"}, env_of({})).resource.get("service.instance.id"),
            r.get("service.instance.id"));
}

TEST(Resource, KubernetesDownwardApiVariables) {
  const ResourceBuild b =
      build_resource({.service_name = "kopiur-webhook", .service_version = "9.9.9"},
                     env_of({{"KOPIUR_POD_NAME", "kopiur-7d9f"},
                             {"KOPIUR_NAMESPACE", "kopiur-system"},
                             {"KOPIUR_NODE_NAME", "node-a"}}));
  EXPECT_TRUE(b.warnings.empty());
  EXPECT_EQ(b.resource.get("service.version"), "9.9.9");
  EXPECT_EQ(b.resource.get("service.instance.id"), "kopiur-7d9f");
  EXPECT_EQ(b.resource.get("k8s.pod.name"), "kopiur-7d9f");
  EXPECT_EQ(b.resource.get("k8s.namespace.name"), "kopiur-system");
  EXPECT_EQ(b.resource.get("k8s.node.name"), "node-a");
}

TEST(Resource, OtelVariablesOverrideAndMalformedEntriesAreReported) {
  const ResourceBuild b = build_resource(
      {.service_name = "kopiur-mover", .instance_id = "i-1"},
      env_of({{"OTEL_RESOURCE_ATTRIBUTES",
               "deployment.environment=prod, team = backup%20ops ,broken,=novalue,bad=%zz,"
               "service.name=from-attrs,,k8s.cluster.name=c1"},
              {"OTEL_SERVICE_NAME", "from-env"}}));
  const Resource& r = b.resource;
  EXPECT_EQ(r.get("service.name"), "from-env");
  EXPECT_EQ(r.get("service.instance.id"), "i-1");
  EXPECT_EQ(r.get("deployment.environment"), "prod");
  EXPECT_EQ(r.get("team"), "backup ops");
  EXPECT_EQ(r.get("k8s.cluster.name"), "c1");
  EXPECT_FALSE(r.get("broken"));
  EXPECT_FALSE(r.get("bad"));
  ASSERT_EQ(b.warnings.size(), 3U);
  EXPECT_NE(b.warnings[0].find("\"broken\""), std::string::npos);
  EXPECT_NE(b.warnings[0].find("OTEL_RESOURCE_ATTRIBUTES"), std::string::npos);
  EXPECT_NE(b.warnings[1].find("\"=novalue\""), std::string::npos);
  EXPECT_NE(b.warnings[2].find("percent"), std::string::npos);
  // Keys stay unique: service.name appears once.
  EXPECT_EQ(std::count_if(r.attributes().begin(), r.attributes().end(),
                          [](const auto& kv) { return kv.first == "service.name"; }),
            1);
}

TEST(Resource, ServiceNameFromAttributesWhenNoServiceNameVariable) {
  const ResourceBuild b = build_resource(
      {.service_name = "kopiur-controller"},
      env_of({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=custom"}, {"OTEL_SERVICE_NAME", ""}}));
  EXPECT_EQ(b.resource.get("service.name"), "custom");
}

// A mover's identity: OTEL_RESOURCE_ATTRIBUTES' service.name beats the program's name,
// OTEL_SERVICE_NAME beats both; the downward-API variables become k8s.* attributes.
TEST(Resource, IdentityPrecedenceAndKubernetesAttributes) {
  std::map<std::string, std::string> vars{
      {"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs,deployment.environment=prod"},
      {"KOPIUR_POD_NAME", "mover-abc"},
      {"KOPIUR_NAMESPACE", "backups"}};
  const ResourceBuild b = build_resource({.service_name = "kopiur-mover"}, env_of(vars));
  EXPECT_TRUE(b.warnings.empty());
  const Resource& r = b.resource;
  EXPECT_EQ(r.get("service.name"), "from-attrs");
  EXPECT_EQ(r.get("service.version"), kVersion);
  EXPECT_EQ(r.get("k8s.pod.name"), "mover-abc");
  EXPECT_EQ(r.get("k8s.namespace.name"), "backups");
  EXPECT_FALSE(r.get("k8s.node.name"));
  EXPECT_EQ(r.get("deployment.environment"), "prod");
  EXPECT_EQ(r.get("service.instance.id"), "mover-abc");  // the pod name when known

  vars.emplace("OTEL_SERVICE_NAME", "from-env");
  EXPECT_EQ(
      build_resource({.service_name = "kopiur-mover"}, env_of(vars)).resource.get("service.name"),
      "from-env");
  vars.erase("OTEL_SERVICE_NAME");
  vars.erase("OTEL_RESOURCE_ATTRIBUTES");
  EXPECT_EQ(
      build_resource({.service_name = "kopiur-mover"}, env_of(vars)).resource.get("service.name"),
      "kopiur-mover");
}

// One bad byte in OTEL_RESOURCE_ATTRIBUTES must not take the whole target down: it becomes
// U+FFFD, one warning says so, and the exposition (with the process metrics) passes promtool.
TEST(Resource, InvalidUtf8IsReplacedAndTheExpositionPassesPromtool) {
  ASSERT_TRUE(std::filesystem::exists(metrics::testing::kPromtool))
      << "promtool missing (Debian package prometheus)";
  const ResourceBuild built =
      build_resource({.service_name = "kopiur-test"},
                     env_of({{"OTEL_RESOURCE_ATTRIBUTES", "bad=%FFx,worse=%C0%AF,fine=ok"}}));
  EXPECT_EQ(built.warnings.size(), 1U) << "warn once for the resource";
  for (const std::string& w : built.warnings) {
    EXPECT_NE(w.find("OTEL_RESOURCE_ATTRIBUTES"), std::string::npos) << w;
    EXPECT_NE(w.find("UTF-8"), std::string::npos) << w;
  }
  EXPECT_EQ(built.resource.get("bad"), "\xEF\xBF\xBDx");
  EXPECT_EQ(built.resource.get("fine"), "ok");

  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  register_process_metrics(meter);
  metrics::PrometheusReader reader(provider, built.resource);
  for (const char* accept : {"text/plain", "application/openmetrics-text; version=1.0.0"}) {
    SCOPED_TRACE(accept);
    const std::string text = reader.scrape(accept).body;
    EXPECT_TRUE(is_valid_utf8(text)) << text;
    EXPECT_NE(text.find("bad=\"\xEF\xBF\xBDx\""), std::string::npos) << text;
    EXPECT_NE(text.find("process_open_fds "), std::string::npos) << text;
    if (accept == std::string_view("text/plain")) {
      const metrics::testing::PromtoolResult r = metrics::testing::promtool_check(text);
      EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- exposition ---\n" << text;
      EXPECT_EQ(r.output, "") << "\n--- exposition ---\n" << text;
    }
  }
}

}  // namespace
}  // namespace kopiur::telemetry
