// build_mover_job(): the Job's shape, and the env it gets for every combination of set/unset
// logging variables, OTLP collector, OTLP headers and trace context. The header value (it can
// hold a bearer token) must never appear in the Job, only in its Secret.
#include "kopiur/controller/mover_job.hpp"

#include <map>
#include <optional>
#include <set>

#include <gtest/gtest.h>

#include "kopiur/localkube/server.hpp"

#include "kube/test_util.hpp"

namespace kopiur::controller {
namespace {

using nlohmann::json;

const json kBackup = {{"apiVersion", "kopiur.io/v1alpha1"},
                      {"kind", "Backup"},
                      {"metadata", {{"name", "nightly-1"}, {"namespace", "apps"}, {"uid", "u-1"}}}};

MoverJobRequest request(std::string traceparent = {}) {
  MoverJobRequest r;
  r.operation = "backup";
  r.job_name = "nightly-1-backup";
  r.owner = kBackup;
  r.work_spec = {{"operation", "backup"}, {"repository", {{"password", "s3cret"}}}};
  r.traceparent = std::move(traceparent);
  return r;
}

MoverJobConfig config(std::map<std::string, std::string> vars) {
  return {"registry.example/kopiur:1.0", "IfNotPresent",
          [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
            const auto it = vars.find(std::string(name));
            if (it == vars.end()) return std::nullopt;
            return it->second;
          }};
}

const json* env_entry(const json& job, const std::string& name) {
  for (const auto& e : job["spec"]["template"]["spec"]["containers"][0]["env"]) {
    if (e["name"] == name) return &e;
  }
  return nullptr;
}

TEST(MoverJob, ShapeCommandLabelsOwnerLimitsAndWorkSpecSecret) {
  const auto built = build_mover_job(request(), config({}));
  const json& job = built.job;
  EXPECT_EQ(job["metadata"]["namespace"], "apps");
  EXPECT_EQ(job["metadata"]["labels"]["kopiur.io/kind"], "Backup");
  EXPECT_EQ(job["metadata"]["labels"]["kopiur.io/name"], "nightly-1");
  EXPECT_EQ(job["metadata"]["labels"]["kopiur.io/operation"], "backup");
  EXPECT_EQ(job["metadata"]["labels"]["app.kubernetes.io/managed-by"], "kopiur");
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["uid"], "u-1");
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(job["spec"]["backoffLimit"], 0);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 6 * 3600);
  EXPECT_EQ(job["spec"]["ttlSecondsAfterFinished"], 24 * 3600);
  // The mover calls no API: no token in its pod (the chart gives mover Jobs no permissions).
  EXPECT_EQ(job["spec"]["template"]["spec"]["automountServiceAccountToken"], false);
  const json& c = job["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "registry.example/kopiur:1.0");
  EXPECT_EQ(c["command"],
            json({"kopiur-mover", "backup", "--work-spec", "/etc/kopiur/work-spec/work-spec.json",
                  "--secret-dir", "/etc/kopiur/work-spec"}));
  EXPECT_EQ(c["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(c["volumeMounts"][0]["mountPath"], "/etc/kopiur/work-spec");
  EXPECT_EQ(job["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"],
            "nightly-1-backup");
  // The work spec (with its credentials) is only in the Secret.
  EXPECT_EQ(job.dump().find("s3cret"), std::string::npos);
  EXPECT_NE(built.secret["stringData"]["work-spec.json"].get<std::string>().find("s3cret"),
            std::string::npos);
  EXPECT_EQ(built.secret["metadata"]["ownerReferences"][0]["uid"], "u-1");
  const json* attrs = env_entry(job, "OTEL_RESOURCE_ATTRIBUTES");
  ASSERT_NE(attrs, nullptr);
  EXPECT_EQ((*attrs)["value"],
            "k8s.job.name=nightly-1-backup,k8s.pod.name=$(KOPIUR_POD_NAME),k8s.namespace.name="
            "apps,kopiur.resource.kind=Backup,kopiur.resource.namespace=apps,"
            "kopiur.resource.name=nightly-1");
  ASSERT_NE(env_entry(job, "KOPIUR_POD_NAME"), nullptr);
  EXPECT_EQ((*env_entry(job, "KOPIUR_POD_NAME"))["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.name");
}

// The mover's --secret-dir is the same mounted Secret: the password and credentials are files
// there, while the OTLP headers stay out of the projected files (env only).
TEST(MoverJob, SecretFilesAreProjectedNextToTheWorkSpecButHeadersAreNot) {
  auto r = request();
  r.secret_files = {{"KOPIA_PASSWORD", "pw-123"}, {"AWS_SECRET_ACCESS_KEY", "key-456"}};
  const auto built =
      build_mover_job(r, config({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"},
                                 {"OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer t0ken"}}));
  EXPECT_EQ(built.secret["stringData"]["KOPIA_PASSWORD"], "pw-123");
  EXPECT_EQ(built.secret["stringData"]["AWS_SECRET_ACCESS_KEY"], "key-456");
  const json& volume = built.job["spec"]["template"]["spec"]["volumes"][0];
  std::set<std::string> projected;
  for (const auto& item : volume["secret"]["items"]) projected.insert(item["path"]);
  EXPECT_EQ(projected,
            (std::set<std::string>{"work-spec.json", "KOPIA_PASSWORD", "AWS_SECRET_ACCESS_KEY"}));
  const std::string job_text = built.job.dump();
  for (const char* secret : {"pw-123", "key-456", "t0ken"}) {
    EXPECT_EQ(job_text.find(secret), std::string::npos) << secret << " leaked into the Job";
  }
}

TEST(MoverJob, EnvForEveryCombinationOfLoggingOtlpHeadersAndTrace) {
  const std::string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  for (int mask = 0; mask < 32; ++mask) {
    const bool rust_log = (mask & 1) != 0;
    const bool log_format = (mask & 2) != 0;
    const bool endpoint = (mask & 4) != 0;
    const bool headers = (mask & 8) != 0;
    const bool trace = (mask & 16) != 0;
    std::map<std::string, std::string> vars = {{"UNRELATED", "x"}};
    if (rust_log) vars["RUST_LOG"] = "info,kopia=debug";
    if (log_format) vars["KOPIUR_LOG_FORMAT"] = "json";
    if (endpoint) vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317";
    if (headers) vars["OTEL_EXPORTER_OTLP_HEADERS"] = "authorization=Bearer t0ken";
    const auto built = build_mover_job(request(trace ? traceparent : ""), config(vars));
    SCOPED_TRACE("mask " + std::to_string(mask));
    const json& job = built.job;
    auto value_of = [&](const char* name) -> std::optional<std::string> {
      const json* e = env_entry(job, name);
      if (e == nullptr || !e->contains("value")) return std::nullopt;
      return (*e)["value"].get<std::string>();
    };
    EXPECT_EQ(value_of("RUST_LOG"),
              rust_log ? std::optional<std::string>("info,kopia=debug") : std::nullopt);
    EXPECT_EQ(value_of("KOPIUR_LOG_FORMAT"),
              log_format ? std::optional<std::string>("json") : std::nullopt);
    EXPECT_EQ(value_of("OTEL_EXPORTER_OTLP_ENDPOINT"),
              endpoint ? std::optional<std::string>("http://collector:4317") : std::nullopt);
    EXPECT_EQ(value_of("TRACEPARENT"),
              trace ? std::optional<std::string>(traceparent) : std::nullopt);
    EXPECT_EQ(env_entry(job, "UNRELATED"), nullptr);
    EXPECT_EQ(job.dump().find("t0ken"), std::string::npos);  // never a literal in the Job
    const json* h = env_entry(job, "OTEL_EXPORTER_OTLP_HEADERS");
    if (endpoint && headers) {
      ASSERT_NE(h, nullptr);
      EXPECT_FALSE(h->contains("value"));
      EXPECT_EQ((*h)["valueFrom"]["secretKeyRef"]["name"], "nightly-1-backup");
      EXPECT_EQ((*h)["valueFrom"]["secretKeyRef"]["key"], "otlp-headers");
      EXPECT_EQ(built.secret["stringData"]["otlp-headers"], "authorization=Bearer t0ken");
    } else {
      EXPECT_EQ(h, nullptr);
      EXPECT_FALSE(built.secret["stringData"].contains("otlp-headers"));
    }
    EXPECT_NE(env_entry(job, "OTEL_RESOURCE_ATTRIBUTES"), nullptr);
  }
}

TEST(MoverJob, InheritedResourceAttributesAreKeptUnlessOverridden) {
  const auto built = build_mover_job(
      request(),
      config({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"},
              {"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,k8s.job.name=x"}}));
  const json* attrs = env_entry(built.job, "OTEL_RESOURCE_ATTRIBUTES");
  ASSERT_NE(attrs, nullptr);
  const auto value = (*attrs)["value"].get<std::string>();
  EXPECT_EQ(value.rfind("deployment.environment=prod,k8s.job.name=nightly-1-backup,", 0), 0U)
      << value;
  EXPECT_EQ(value.find("k8s.job.name=x"), std::string::npos);
}

// The server accepts both objects as built (the local API server validates Job shapes).
TEST(MoverJob, TheApiServerAcceptsTheJobAndSecret) {
  auto server = kube::testing::start_server();
  ASSERT_NE(server, nullptr);
  kube::Client client(kube::testing::config_for(*server));
  ASSERT_TRUE(
      client
          .create(kube::resources::kNamespaces, "",
                  {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "apps"}}}})
          .ok());
  const auto built =
      build_mover_job(request(), config({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"},
                                         {"OTEL_EXPORTER_OTLP_HEADERS", "a=b"}}));
  auto secret = client.create(kube::resources::kSecrets, "apps", built.secret);
  ASSERT_TRUE(secret.ok()) << secret.error().to_string();
  auto job = client.create(kube::resources::kJobs, "apps", built.job);
  ASSERT_TRUE(job.ok()) << job.error().to_string();
  EXPECT_EQ((*job)["spec"]["template"]["spec"]["containers"][0]["terminationMessagePolicy"],
            "FallbackToLogsOnError");
}

}  // namespace
}  // namespace kopiur::controller
