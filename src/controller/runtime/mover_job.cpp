#include "kopiur/controller/mover_job.hpp"

#include <optional>
#include <string_view>

#include "kopiur/telemetry/otlp/mover_env.hpp"

namespace kopiur::controller {
namespace {

using nlohmann::json;
namespace env = telemetry::env;

json owner_reference(const json& owner) {
  const auto meta = owner.value("metadata", json::object());
  return {{"apiVersion", owner.value("apiVersion", "")},
          {"kind", owner.value("kind", "")},
          {"name", meta.value("name", "")},
          {"uid", meta.value("uid", "")},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

json field_env(const char* name, const char* path) {
  return {{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", path}}}}}};
}

// OTEL_RESOURCE_ATTRIBUTES: the controller's own first (minus the keys set here), then the Job,
// pod, namespace and kopiur object. $(KOPIUR_POD_NAME) is expanded by the kubelet.
std::string resource_attributes(const std::string& inherited, const std::string& job,
                                const std::string& ns, const json& owner) {
  const auto meta = owner.value("metadata", json::object());
  const std::vector<std::pair<std::string, std::string>> ours = {
      {"k8s.job.name", job},
      {"k8s.pod.name", "$(KOPIUR_POD_NAME)"},
      {"k8s.namespace.name", ns},
      {"kopiur.resource.kind", owner.value("kind", "")},
      {"kopiur.resource.namespace", meta.value("namespace", "")},
      {"kopiur.resource.name", meta.value("name", "")}};
  std::string out;
  std::string_view rest = inherited;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view pair = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const std::string_view key = pair.substr(0, pair.find('='));
    bool overridden = false;
    for (const auto& [k, v] : ours) overridden = overridden || key == k;
    if (pair.empty() || overridden) continue;
    out += std::string(pair) + ",";
  }
  for (const auto& [k, v] : ours) out += k + "=" + v + ",";
  out.pop_back();
  return out;
}

// `headers` gets the OTLP headers when they are forwarded (they go into the Secret).
json container_env(const MoverJobRequest& request, const MoverJobConfig& config,
                   const std::string& ns, std::optional<std::string>& headers) {
  // The downward-API variables come first so $(KOPIUR_POD_NAME) can be expanded after them.
  json out = json::array({field_env("KOPIUR_POD_NAME", "metadata.name"),
                          field_env("KOPIUR_NAMESPACE", "metadata.namespace"),
                          field_env("KOPIUR_NODE_NAME", "spec.nodeName")});
  const telemetry::EnvLookup& lookup = config.env;
  std::string inherited_attributes;
  for (auto& [name, value] : telemetry::mover_job_env(lookup, request.traceparent)) {
    if (name == env::kOtlpHeaders) {
      headers = value;  // into the Secret; the Job only references it
      out.push_back({{"name", name},
                     {"valueFrom",
                      {{"secretKeyRef", {{"name", request.job_name}, {"key", kOtlpHeadersKey}}}}}});
      continue;
    }
    if (name == env::kResourceAttributes) {
      inherited_attributes = value;
      continue;
    }
    out.push_back({{"name", name}, {"value", value}});
  }
  out.push_back(
      {{"name", std::string(env::kResourceAttributes)},
       {"value", resource_attributes(inherited_attributes, request.job_name, ns, request.owner)}});
  return out;
}

// The Secret's keys the mover sees as files: the work spec and its --secret-dir files, never the
// OTLP headers (those reach the process only through env).
json secret_items(const MoverJobRequest& request) {
  json items = json::array({{{"key", kWorkSpecKey}, {"path", kWorkSpecKey}}});
  for (const auto& [key, value] : request.secret_files)
    items.push_back({{"key", key}, {"path", key}});
  return items;
}

}  // namespace

MoverJob build_mover_job(const MoverJobRequest& request, const MoverJobConfig& config) {
  const auto owner_meta = request.owner.value("metadata", json::object());
  const std::string ns =
      request.job_namespace.empty() ? owner_meta.value("namespace", "") : request.job_namespace;
  const json labels = {{"app.kubernetes.io/name", "kopiur-mover"},
                       {"app.kubernetes.io/managed-by", "kopiur"},
                       {"kopiur.io/kind", request.owner.value("kind", "")},
                       {"kopiur.io/name", owner_meta.value("name", "")},
                       {"kopiur.io/operation", request.operation},
                       {"kopiur.io/job", request.job_name}};
  json owners = json::array({owner_reference(request.owner)});
  std::optional<std::string> headers;
  json env = container_env(request, config, ns, headers);

  json mounts =
      json::array({{{"name", "work-spec"}, {"mountPath", kWorkSpecDir}, {"readOnly", true}}});
  for (const auto& m : request.volume_mounts) mounts.push_back(m);
  json volumes = json::array({{{"name", "work-spec"},
                               {"secret",
                                {{"secretName", request.job_name},
                                 {"defaultMode", 0400},
                                 {"items", secret_items(request)}}}}});
  for (const auto& v : request.volumes) volumes.push_back(v);

  json container = {
      {"name", "mover"},
      {"image", config.image},
      {"imagePullPolicy", config.image_pull_policy},
      {"command",
       {"kopiur-mover", request.operation, "--work-spec",
        std::string(kWorkSpecDir) + "/" + kWorkSpecKey, "--secret-dir", std::string(kWorkSpecDir)}},
      {"env", env},
      {"volumeMounts", mounts},
      {"terminationMessagePath", kTerminationMessagePath},
      {"terminationMessagePolicy", "FallbackToLogsOnError"}};
  // The mover never calls the API (its result leaves as the termination message), so its pod gets
  // no token: the chart grants mover Jobs no permissions at all.
  json pod_spec = {{"restartPolicy", "Never"},
                   {"automountServiceAccountToken", false},
                   {"containers", {container}},
                   {"volumes", volumes}};
  if (!request.service_account.empty()) pod_spec["serviceAccountName"] = request.service_account;

  MoverJob out;
  out.job = {{"apiVersion", "batch/v1"},
             {"kind", "Job"},
             {"metadata",
              {{"name", request.job_name},
               {"namespace", ns},
               {"labels", labels},
               {"ownerReferences", owners}}},
             {"spec",
              {{"backoffLimit", request.backoff_limit},
               {"activeDeadlineSeconds", request.active_deadline_seconds},
               {"ttlSecondsAfterFinished", request.ttl_seconds_after_finished},
               {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod_spec}}}}}};
  json data = {{kWorkSpecKey, request.work_spec.dump()}};
  for (const auto& [key, value] : request.secret_files) data[key] = value;
  if (headers) data[kOtlpHeadersKey] = *headers;
  out.secret = {{"apiVersion", "v1"},
                {"kind", "Secret"},
                {"type", "Opaque"},
                {"metadata",
                 {{"name", request.job_name},
                  {"namespace", ns},
                  {"labels", labels},
                  {"ownerReferences", owners}}},
                {"stringData", data}};
  return out;
}

}  // namespace kopiur::controller
