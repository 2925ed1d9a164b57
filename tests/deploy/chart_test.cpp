// The Helm chart (deploy/helm/kopiur), rendered by tools/chart-render: the objects for the
// defaults, each observability knob and the overlay; the env on each container; the schema's
// rejections; and that each program accepts exactly the args and env the chart gives it.
#include "deploy/chart.hpp"

#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "kopiur/kube/client.hpp"
#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/log/init.hpp"
#include "kopiur/telemetry/otlp/config.hpp"
#include "kopiur/webhook/lookup.hpp"

#include "support/temp_dir.hpp"

namespace kopiur::deploy_test {
namespace {

constexpr const char* kController = "kopiur-controller";
constexpr const char* kWebhook = "kopiur-webhook";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class Chart : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_FALSE(chart_render_path(&why).empty()) << why;
  }
  static Rendered ok(const std::vector<std::string>& args = {}) {
    Rendered r = render_chart(args);
    EXPECT_EQ(r.run.exit_code, 0) << r.run.output;
    EXPECT_TRUE(r.parse_error.empty()) << r.parse_error;
    return r;
  }
  // Renders with a values file holding `yaml`.
  static Rendered with_values(const std::string& yaml) {
    test::TempDir dir("kopiur-chart-values-");
    test::write_file_atomically(dir.file("values.yaml"), yaml);
    return ok({"-f", dir.file("values.yaml")});
  }
};

std::multiset<std::string> kinds_and_names(const Rendered& r) {
  std::multiset<std::string> out;
  for (const YAML::Node& d : r.docs) {
    out.insert(d["kind"].as<std::string>() + "/" + d["metadata"]["name"].as<std::string>());
  }
  return out;
}

TEST_F(Chart, DefaultsRenderTheCoreObjectsOnly) {
  const Rendered r = ok();
  const std::multiset<std::string> expected = {
      "Deployment/kopiur-controller",      "Deployment/kopiur-webhook",
      "Service/kopiur-controller-metrics", "Service/kopiur-webhook",
      "ServiceAccount/kopiur-controller",  "ServiceAccount/kopiur-webhook",
      "ClusterRole/kopiur-controller",     "ClusterRoleBinding/kopiur-controller",
      "ClusterRole/kopiur-webhook",        "ClusterRoleBinding/kopiur-webhook",
      "Secret/kopiur-webhook-tls",         "ValidatingWebhookConfiguration/kopiur-validating"};
  EXPECT_EQ(kinds_and_names(r), expected);
  for (const YAML::Node& d : r.docs) {
    EXPECT_TRUE(d["apiVersion"] && d["kind"] && d["metadata"]["name"]) << YAML::Dump(d);
    EXPECT_TRUE(d["metadata"]["labels"]["app.kubernetes.io/instance"]) << YAML::Dump(d);
  }
}

// matchConditions on the webhook need Kubernetes 1.28 (beta, on by default).
TEST_F(Chart, RequiresKubernetes128) {
  const Rendered old = render_chart({"--kube-version", "v1.27.3"});
  EXPECT_EQ(old.run.exit_code, 1);
  EXPECT_NE(old.run.output.find("chart requires kubeVersion: >=1.28.0-0"), std::string::npos)
      << old.run.output;
  ok({"--kube-version", "v1.28.0"});
}

TEST_F(Chart, IncludesTheGeneratedCrds) {
  const Rendered r = ok({"--include-crds"});
  EXPECT_EQ(r.of_kind("CustomResourceDefinition").size(), 7u);
}

TEST_F(Chart, ControllerAndWebhookShape) {
  const Rendered r = ok();
  const YAML::Node c = r.find("Deployment", kController);
  ASSERT_TRUE(c.IsMap());
  const YAML::Node pod = c["spec"]["template"]["spec"];
  EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>());
  EXPECT_TRUE(pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"].as<bool>());
  EXPECT_EQ(pod["containers"][0]["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  EXPECT_EQ(pod["containers"][0]["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  EXPECT_EQ(pod["containers"][0]["ports"][0]["containerPort"].as<int>(), 8080);
  EXPECT_EQ(container_args(c),
            (std::vector<std::string>{"--http-addr=0.0.0.0:8080", "--workers=4",
                                      "--mover-image=ghcr.io/kopiur/kopiur-mover:0.1.0"}));
  const YAML::Node w = r.find("Deployment", kWebhook);
  EXPECT_EQ(container_args(w),
            (std::vector<std::string>{"--listen=0.0.0.0:8443", "--tls-cert=/tls/tls.crt",
                                      "--tls-key=/tls/tls.key", "--in-cluster"}));
  EXPECT_EQ(w["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["scheme"]
                .as<std::string>(),
            "HTTPS");
  const YAML::Node vwc = r.find("ValidatingWebhookConfiguration", "kopiur-validating");
  const YAML::Node hook = vwc["webhooks"][0];
  EXPECT_EQ(hook["failurePolicy"].as<std::string>(), "Fail");
  EXPECT_EQ(hook["timeoutSeconds"].as<int>(), 5);
  EXPECT_EQ(hook["clientConfig"]["service"]["path"].as<std::string>(), "/validate");
  EXPECT_FALSE(hook["clientConfig"]["caBundle"].as<std::string>().empty());
  EXPECT_EQ(hook["rules"][0]["resources"].size(), 7u);
  const YAML::Node secret = r.find("Secret", "kopiur-webhook-tls");
  EXPECT_EQ(secret["data"]["ca.crt"].as<std::string>(),
            hook["clientConfig"]["caBundle"].as<std::string>());
}

// The webhook's reference caches (webhook::referenced_kinds()) read through its own
// ServiceAccount: a mounted token, --in-cluster, and a ClusterRole with get/list/watch on exactly
// those kinds, bound to that account; no RBAC and no token without the webhook.
TEST_F(Chart, WebhookReadsItsReferenceKindsThroughItsOwnServiceAccount) {
  const Rendered r = ok({"--namespace", "backup-ops"});
  const YAML::Node pod = r.find("Deployment", kWebhook)["spec"]["template"]["spec"];
  EXPECT_EQ(pod["serviceAccountName"].as<std::string>(), "kopiur-webhook");
  EXPECT_TRUE(pod["automountServiceAccountToken"].as<bool>());
  const YAML::Node account = r.find("ServiceAccount", "kopiur-webhook");
  ASSERT_TRUE(account.IsMap());
  EXPECT_EQ(account["metadata"]["namespace"].as<std::string>(), "backup-ops");
  EXPECT_FALSE(account["automountServiceAccountToken"] &&
               !account["automountServiceAccountToken"].as<bool>());

  const YAML::Node role = r.find("ClusterRole", "kopiur-webhook");
  ASSERT_TRUE(role.IsMap());
  ASSERT_EQ(role["rules"].size(), 1u) << YAML::Dump(role);
  const YAML::Node rule = role["rules"][0];
  std::vector<std::string> plurals;
  for (const auto& kind : webhook::referenced_kinds()) {
    const auto resource = kube::resource_for(kind);
    EXPECT_EQ(rule["apiGroups"][0].as<std::string>(), resource.group);
    plurals.push_back(resource.plural);
  }
  EXPECT_EQ(rule["apiGroups"].size(), 1u);
  EXPECT_EQ(rule["resources"].as<std::vector<std::string>>(), plurals);
  EXPECT_EQ(rule["verbs"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"get", "list", "watch"}));
  EXPECT_FALSE(rule["resourceNames"]);

  const YAML::Node binding = r.find("ClusterRoleBinding", "kopiur-webhook");
  ASSERT_TRUE(binding.IsMap());
  EXPECT_EQ(binding["roleRef"]["kind"].as<std::string>(), "ClusterRole");
  EXPECT_EQ(binding["roleRef"]["name"].as<std::string>(), "kopiur-webhook");
  ASSERT_EQ(binding["subjects"].size(), 1u);
  EXPECT_EQ(binding["subjects"][0]["kind"].as<std::string>(), "ServiceAccount");
  EXPECT_EQ(binding["subjects"][0]["name"].as<std::string>(), "kopiur-webhook");
  EXPECT_EQ(binding["subjects"][0]["namespace"].as<std::string>(), "backup-ops");

  const Rendered off = ok({"--set", "webhook.enabled=false"});
  EXPECT_FALSE(off.has("ClusterRole", "kopiur-webhook"));
  EXPECT_FALSE(off.has("ClusterRoleBinding", "kopiur-webhook"));
  EXPECT_FALSE(off.has("Deployment", kWebhook));
}

// The controller's core-API rules are exactly the calls the code makes (docs/deploy.md, RBAC):
// mover results come from pods' termination messages, work specs are Secrets it also deletes,
// Events are core v1 ones it creates and patches. Nothing for ConfigMaps, ServiceAccounts or
// RoleBindings, which it never touches.
TEST_F(Chart, ControllerCoreRulesAreTheCallsItMakes) {
  const Rendered r = ok();
  const YAML::Node role = r.find("ClusterRole", "kopiur-controller");
  ASSERT_TRUE(role.IsMap());
  std::map<std::string, std::vector<std::string>> core;  // resource -> verbs, apiGroup ""
  for (const auto& rule : role["rules"]) {
    if (rule["apiGroups"][0].as<std::string>() != "") continue;
    for (const auto& resource : rule["resources"]) {
      core[resource.as<std::string>()] = rule["verbs"].as<std::vector<std::string>>();
    }
  }
  const std::map<std::string, std::vector<std::string>> expected = {
      {"pods", {"list"}},
      {"secrets", {"get", "create", "delete"}},
      {"persistentvolumeclaims", {"get", "create"}},
      {"namespaces", {"list"}},
      {"events", {"create", "patch"}}};
  EXPECT_EQ(core, expected) << YAML::Dump(role);
  EXPECT_FALSE(r.has("ClusterRole", "kopiur-mover"));
}

TEST_F(Chart, PortsFollowOneValue) {
  const Rendered r = ok({"--set", "controller.port=9090", "--set", "webhook.port=9443"});
  const YAML::Node c = r.find("Deployment", kController);
  EXPECT_EQ(container_args(c)[0], "--http-addr=0.0.0.0:9090");
  EXPECT_EQ(c["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"].as<int>(),
            9090);
  EXPECT_EQ(container_args(r.find("Deployment", kWebhook))[0], "--listen=0.0.0.0:9443");
}

TEST_F(Chart, LoggingEnvWithFallbackOnBothContainers) {
  struct Case {
    std::string values;
    std::string rust_log;
    std::string format;
  };
  const std::vector<Case> cases = {
      {"{}", "info", "text"},
      {"controller: {logLevel: debug}", "debug", "text"},
      {"logging: {level: 'info,kopia=debug'}\ncontroller: {logLevel: debug}", "info,kopia=debug",
       "text"},
      {"logging: {format: json}", "info", "json"},
  };
  for (const Case& c : cases) {
    const Rendered r = with_values(c.values);
    for (const char* name : {kController, kWebhook}) {
      const auto env = container_env(r.find("Deployment", name));
      EXPECT_EQ(env.at("RUST_LOG"), c.rust_log) << name << " with " << c.values;
      EXPECT_EQ(env.at("KOPIUR_LOG_FORMAT"), c.format) << name << " with " << c.values;
      EXPECT_EQ(env.count("OTEL_EXPORTER_OTLP_ENDPOINT"), 0u) << name;
    }
  }
}

// --set splits at commas as Helm's does: a filter with a comma needs "\,".
TEST_F(Chart, SetSplitsAtUnescapedCommas) {
  const Rendered r = ok({"--set", "logging.level=info\\,kopia=debug,logging.format=json"});
  const auto env = container_env(r.find("Deployment", kController));
  EXPECT_EQ(env.at("RUST_LOG"), "info,kopia=debug");
  EXPECT_EQ(env.at("KOPIUR_LOG_FORMAT"), "json");
}

TEST_F(Chart, OtlpEnvOnBothContainers) {
  const Rendered r = with_values(
      "observability:\n  otlp:\n    enabled: true\n    endpoint: http://c:4317\n"
      "    headers: authorization=Bearer x\n    strict: true\n"
      "    extraEnv: [{name: OTEL_METRIC_EXPORT_INTERVAL, value: '10000'}]\n");
  for (const char* name : {kController, kWebhook}) {
    const auto env = container_env(r.find("Deployment", name));
    EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_ENDPOINT"), "http://c:4317") << name;
    EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_PROTOCOL"), "grpc") << name;
    EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_HEADERS"), "authorization=Bearer x") << name;
    EXPECT_EQ(env.at("KOPIUR_OTEL_STRICT"), "true") << name;
    EXPECT_EQ(env.at("OTEL_METRIC_EXPORT_INTERVAL"), "10000") << name;
  }
  const Rendered secret = with_values(
      "observability:\n  otlp:\n    enabled: true\n    headersSecret: {name: otel-auth, key: h}\n");
  for (const char* name : {kController, kWebhook}) {
    const auto env = container_env(secret.find("Deployment", name));
    EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_HEADERS"), "secretKeyRef:otel-auth/h") << name;
    EXPECT_EQ(env.count("KOPIUR_OTEL_STRICT"), 0u) << name;
  }
  // Strict and extraEnv mean nothing while OTLP is off.
  const Rendered off = with_values("observability:\n  otlp: {strict: true}\n");
  EXPECT_EQ(container_env(off.find("Deployment", kController)).count("KOPIUR_OTEL_STRICT"), 0u);
}

TEST_F(Chart, OtlpWithoutEndpointFailsClearly) {
  const Rendered r = render_chart(
      {"--set", "observability.otlp.enabled=true", "--set", "observability.otlp.endpoint="});
  EXPECT_EQ(r.run.exit_code, 1);
  EXPECT_NE(r.run.output.find("observability.otlp.endpoint is required when "
                              "observability.otlp.enabled is true"),
            std::string::npos)
      << r.run.output;
  const Rendered both = render_chart({"--set", "observability.otlp.enabled=true", "--set",
                                      "observability.otlp.headers=a=b", "--set",
                                      "observability.otlp.headersSecret.name=s"});
  EXPECT_EQ(both.run.exit_code, 1);
  EXPECT_NE(both.run.output.find("not both"), std::string::npos) << both.run.output;
}

TEST_F(Chart, SchemaRejectsBadValues) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"logging.format=xml", "logging.format must be one of the following: \"text\", \"json\""},
      {"observability.otlp.protocol=http/protobuf",
       "observability.otlp.protocol must be one of the following: \"grpc\""},
      {"controller.bogus=1", "Additional property bogus is not allowed"},
      {"metrics.serviceMonitor.enabled=yes", "metrics.serviceMonitor.enabled: Invalid type"},
      {"controller.replicaCount=two", "controller.replicaCount: Invalid type"},
      {"webhook.timeoutSeconds=60", "webhook.timeoutSeconds: Must be less than or equal to 30"},
      {"webhook.tls.mode=bogus", "webhook.tls.mode must be one of the following"},
  };
  for (const auto& [set, message] : cases) {
    const Rendered r = render_chart({"--set", set});
    EXPECT_EQ(r.run.exit_code, 1) << set;
    EXPECT_NE(r.run.output.find(message), std::string::npos) << set << ":\n" << r.run.output;
  }
}

TEST_F(Chart, ServiceMonitorsHonorLabels) {
  const Rendered r = ok({"--set", "metrics.serviceMonitor.enabled=true", "--set",
                         "webhook.serviceMonitor.enabled=true"});
  const YAML::Node c = r.find("ServiceMonitor", "kopiur-controller");
  ASSERT_TRUE(c.IsMap());
  EXPECT_TRUE(c["spec"]["endpoints"][0]["honorLabels"].as<bool>());
  EXPECT_EQ(c["spec"]["endpoints"][0]["port"].as<std::string>(), "http");
  EXPECT_EQ(
      r.find("Service", "kopiur-controller-metrics")["spec"]["ports"][0]["name"].as<std::string>(),
      "http");
  const YAML::Node w = r.find("ServiceMonitor", "kopiur-webhook");
  ASSERT_TRUE(w.IsMap());
  EXPECT_TRUE(w["spec"]["endpoints"][0]["honorLabels"].as<bool>());
  EXPECT_EQ(w["spec"]["endpoints"][0]["scheme"].as<std::string>(), "https");
  EXPECT_TRUE(w["spec"]["endpoints"][0]["tlsConfig"]["insecureSkipVerify"].as<bool>());
  const Rendered verified = ok({"--set", "webhook.serviceMonitor.enabled=true", "--set",
                                "webhook.serviceMonitor.insecureSkipVerify=false"});
  const YAML::Node tls =
      verified.find("ServiceMonitor", "kopiur-webhook")["spec"]["endpoints"][0]["tlsConfig"];
  EXPECT_EQ(tls["ca"]["secret"]["name"].as<std::string>(), "kopiur-webhook-tls");
  EXPECT_EQ(tls["serverName"].as<std::string>(), "kopiur-webhook.kopiur-system.svc");
  EXPECT_TRUE(verified.of_kind("PrometheusRule").empty());
}

TEST_F(Chart, PrometheusRuleHoldsTheGeneratedRules) {
  const Rendered r = ok({"--set", "metrics.prometheusRule.enabled=true"});
  const YAML::Node rule = r.find("PrometheusRule", "kopiur");
  ASSERT_TRUE(rule.IsMap());
  const YAML::Node file =
      YAML::LoadFile((source_dir() / "deploy/prometheus/kopiur-rules.yaml").string());
  EXPECT_EQ(YAML::Dump(rule["spec"]["groups"]), YAML::Dump(file["groups"]));
}

TEST_F(Chart, DashboardAsSidecarConfigMapOrGrafanaDashboard) {
  const std::string source = slurp(source_dir() / "deploy/dashboards/kopiur.json");
  const Rendered r = ok({"--set", "grafanaDashboard.enabled=true"});
  const YAML::Node cm = r.find("ConfigMap", "kopiur-dashboard");
  ASSERT_TRUE(cm.IsMap());
  EXPECT_EQ(cm["metadata"]["labels"]["grafana_dashboard"].as<std::string>(), "1");
  EXPECT_EQ(nlohmann::json::parse(cm["data"]["kopiur.json"].as<std::string>()),
            nlohmann::json::parse(source));
  EXPECT_TRUE(r.of_kind("GrafanaDashboard").empty());
  const Rendered op = with_values(
      "grafanaDashboard:\n  enabled: true\n  namespace: grafana\n  grafanaOperator:\n"
      "    enabled: true\n    folder: Backups\n    matchLabels: {dashboards: grafana}\n");
  const YAML::Node gd = op.find("GrafanaDashboard", "kopiur-dashboard");
  ASSERT_TRUE(gd.IsMap());
  EXPECT_TRUE(op.of_kind("ConfigMap").empty());
  EXPECT_EQ(gd["metadata"]["namespace"].as<std::string>(), "grafana");
  EXPECT_EQ(gd["spec"]["folder"].as<std::string>(), "Backups");
  EXPECT_EQ(gd["spec"]["resyncPeriod"].as<std::string>(), "10m");
  EXPECT_EQ(gd["spec"]["instanceSelector"]["matchLabels"]["dashboards"].as<std::string>(),
            "grafana");
  EXPECT_EQ(nlohmann::json::parse(gd["spec"]["json"].as<std::string>()),
            nlohmann::json::parse(source));
}

TEST_F(Chart, ObservabilityOverlayTurnsEverythingOn) {
  const Rendered r = ok({"-f", (source_dir() / "deploy/observability-values.yaml").string()});
  EXPECT_TRUE(r.has("ServiceMonitor", "kopiur-controller"));
  EXPECT_TRUE(r.has("ServiceMonitor", "kopiur-webhook"));
  EXPECT_TRUE(r.has("PrometheusRule", "kopiur"));
  EXPECT_TRUE(r.has("ConfigMap", "kopiur-dashboard"));
  for (const char* name : {kController, kWebhook}) {
    const auto env = container_env(r.find("Deployment", name));
    EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_ENDPOINT"),
              "http://otel-collector.observability.svc:4317");
    EXPECT_EQ(env.at("KOPIUR_LOG_FORMAT"), "json");
  }
}

TEST_F(Chart, ReplicasAndScope) {
  const Rendered r =
      ok({"--set", "controller.replicaCount=2", "--set", "controller.watchNamespace=apps"});
  EXPECT_EQ(container_args(r.find("Deployment", kController)),
            (std::vector<std::string>{"--http-addr=0.0.0.0:8080", "--workers=4",
                                      "--mover-image=ghcr.io/kopiur/kopiur-mover:0.1.0",
                                      "--namespace=apps", "--leader-elect"}));
  EXPECT_TRUE(r.has("Role", "kopiur-leader-election"));
  EXPECT_FALSE(ok().has("Role", "kopiur-leader-election"));
}

TEST_F(Chart, WebhookTlsModes) {
  const Rendered cm = ok({"--set", "webhook.tls.mode=cert-manager"});
  EXPECT_TRUE(cm.has("Certificate", "kopiur-webhook"));
  EXPECT_TRUE(cm.has("Issuer", "kopiur-selfsigned"));
  EXPECT_TRUE(cm.of_kind("Secret").empty());
  const YAML::Node vwc = cm.find("ValidatingWebhookConfiguration", "kopiur-validating");
  EXPECT_EQ(vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"].as<std::string>(),
            "kopiur-system/kopiur-webhook");
  EXPECT_FALSE(vwc["webhooks"][0]["clientConfig"]["caBundle"]);
  const Rendered issuer = ok({"--set", "webhook.tls.mode=cert-manager", "--set",
                              "webhook.certManager.issuerRef.name=corp", "--set",
                              "webhook.certManager.issuerRef.kind=ClusterIssuer"});
  EXPECT_TRUE(issuer.of_kind("Issuer").empty());
  EXPECT_EQ(
      issuer.find("Certificate", "kopiur-webhook")["spec"]["issuerRef"]["kind"].as<std::string>(),
      "ClusterIssuer");
  const Rendered manual = render_chart({"--set", "webhook.tls.mode=manual"});
  EXPECT_EQ(manual.run.exit_code, 1);
  EXPECT_NE(manual.run.output.find("webhook.tls.caBundle"), std::string::npos) << manual.run.output;
  const Rendered manual_ok =
      ok({"--set", "webhook.tls.mode=manual", "--set", "webhook.tls.caBundle=Q0E="});
  EXPECT_EQ(manual_ok
                .find("ValidatingWebhookConfiguration",
                      "kopiur-validating")["webhooks"][0]["clientConfig"]["caBundle"]
                .as<std::string>(),
            "Q0E=");
  const Rendered off = ok({"--set", "webhook.enabled=false"});
  EXPECT_TRUE(off.of_kind("ValidatingWebhookConfiguration").empty());
  EXPECT_FALSE(off.has("Deployment", kWebhook));
}

// What the program's own env validation (OTLP config parser, logger set-up) says about `env`:
// every error and warning. Values from Secrets and the downward API get plausible stand-ins.
std::vector<std::string> env_problems(const std::string& program,
                                      std::map<std::string, std::string> env) {
  for (auto& [name, value] : env) {
    if (value.rfind("secretKeyRef:", 0) == 0) value = "authorization=Bearer test";
    if (value.rfind("fieldRef:", 0) == 0) value = "field-value";
  }
  const telemetry::EnvLookup lookup = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  std::vector<std::string> problems;
  const auto otlp = telemetry::otlp::parse_otlp_config(lookup);
  if (!otlp.ok()) problems.push_back(program + ": " + otlp.errors_message());
  for (const auto& w : otlp.warnings) problems.push_back(program + ": " + w);
  telemetry::log::TracingConfig config;
  config.service_name = program;
  config.env = lookup;
  config.is_tty = false;
  const auto setup = telemetry::log::build_logger(config);
  for (const auto& [level, message] : setup.pending) {
    if (level <= telemetry::log::Level::Warn) problems.push_back(program + ": " + message);
  }
  return problems;
}

// Each program parses the args the chart passes (its own flag parser: `--help` after them exits 0
// only when every earlier flag is accepted) and validates the env (its own logging and OTLP
// parsers report no warning or error).
void expect_program_accepts(const std::string& program, const YAML::Node& deployment) {
  const std::string binary = (binary_dir() / "src/bin" / program).string();
  ASSERT_TRUE(std::filesystem::exists(binary)) << binary << " is not built";
  std::vector<std::string> argv = {binary};
  for (const std::string& a : container_args(deployment)) argv.push_back(a);
  argv.push_back("--help");
  const RunResult r = run_program(argv);
  EXPECT_EQ(r.exit_code, 0) << program << " rejects the chart's args:\n" << r.output;

  for (const std::string& p : env_problems(program, container_env(deployment))) {
    ADD_FAILURE() << p;
  }
}

TEST_F(Chart, ProgramsAcceptTheRenderedArgsAndEnv) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"-f", (source_dir() / "deploy/observability-values.yaml").string()},
           {"--set", "controller.replicaCount=3", "--set", "controller.watchNamespace=apps",
            "--set", "observability.otlp.enabled=true", "--set", "observability.otlp.strict=true",
            "--set", "observability.otlp.headersSecret.name=s", "--set", "logging.format=json"}}) {
    const Rendered r = ok(args);
    expect_program_accepts(kController, r.find("Deployment", kController));
    expect_program_accepts(kWebhook, r.find("Deployment", kWebhook));
  }
}

// The acceptance check above can fail: a flag the controller does not read is refused.
TEST_F(Chart, ProgramRefusesAFlagItDoesNotRead) {
  const RunResult r = run_program(
      {(binary_dir() / "src/bin/kopiur-controller").string(), "--not-a-kopiur-flag=2", "--help"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown flag '--not-a-kopiur-flag'"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace kopiur::deploy_test

namespace kopiur::deploy_test {
namespace {

// The env check above can fail: the programs' own validation flags a bad format and protocol.
TEST(ChartEnvCheck, FlagsWhatTheProgramsReject) {
  EXPECT_TRUE(env_problems(kController, {{"KOPIUR_LOG_FORMAT", "text"}}).empty());
  EXPECT_FALSE(env_problems(kController, {{"KOPIUR_LOG_FORMAT", "xml"}}).empty());
  EXPECT_FALSE(env_problems(kController, {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"},
                                          {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}})
                   .empty());
}

}  // namespace
}  // namespace kopiur::deploy_test
