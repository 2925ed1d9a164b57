#include "kube/detail/builtin_objects.hpp"

#include <algorithm>

#include "kube/detail/base64.hpp"
#include "kube/detail/local_store.hpp"

namespace kopiur::kube::detail {
namespace {

using nlohmann::json;

Error invalid(const std::string& kind, const json& object, const std::string& detail) {
  const auto name = object.contains("metadata") ? object["metadata"].value("name", "") : "";
  return api_error(422, "Invalid", kind + " \"" + name + "\" is invalid: " + detail);
}

void set_default(json& object, const char* key, const json& value) {
  if (!object.contains(key) || object[key].is_null()) object[key] = value;
}

// The checks and defaults of a pod spec, at `path` (for error messages).
Status prepare_pod_spec(const std::string& kind, const json& object, json& spec,
                        const std::string& path) {
  if (!spec.is_object()) return invalid(kind, object, path + ": Required value");
  if (!spec.contains("containers") || !spec["containers"].is_array() ||
      spec["containers"].empty()) {
    return invalid(kind, object, path + ".containers: Required value");
  }
  std::size_t index = 0;
  for (auto& container : spec["containers"]) {
    const auto at = path + ".containers[" + std::to_string(index++) + "]";
    if (!container.is_object() || !container.contains("name") || !container["name"].is_string() ||
        container["name"].get<std::string>().empty()) {
      return invalid(kind, object, at + ".name: Required value");
    }
    for (const char* list : {"command", "args"}) {
      if (!container.contains(list) || container[list].is_null()) continue;
      const auto& items = container[list];
      if (!items.is_array() ||
          !std::all_of(items.begin(), items.end(), [](const json& v) { return v.is_string(); })) {
        return invalid(kind, object,
                       at + "." + list + ": Invalid value: must be a list of strings");
      }
    }
    if (container.contains("env") && !container["env"].is_null() && !container["env"].is_array()) {
      return invalid(kind, object, at + ".env: Invalid value: must be a list");
    }
    set_default(container, "terminationMessagePath", "/dev/termination-log");
    set_default(container, "terminationMessagePolicy", "File");
    set_default(container, "imagePullPolicy", "IfNotPresent");
    set_default(container, "resources", json::object());
  }
  set_default(spec, "restartPolicy", "Always");
  set_default(spec, "terminationGracePeriodSeconds", 30);
  set_default(spec, "dnsPolicy", "ClusterFirst");
  set_default(spec, "schedulerName", "default-scheduler");
  set_default(spec, "securityContext", json::object());
  return {};
}

Status prepare_job(json& job) {
  job.erase("status");  // the Job controller owns it
  auto& meta = job["metadata"];
  const auto uid = meta.value("uid", "");
  const auto name = meta.value("name", "");
  if (!job.contains("spec") || !job["spec"].is_object()) {
    return invalid("Job.batch", job, "spec: Required value");
  }
  auto& spec = job["spec"];
  if (!spec.contains("template") || !spec["template"].is_object()) {
    return invalid("Job.batch", job, "spec.template: Required value");
  }
  auto& tmpl = spec["template"];
  if (!tmpl.contains("spec"))
    return invalid("Job.batch", job, "spec.template.spec: Required value");
  if (auto s = prepare_pod_spec("Job.batch", job, tmpl["spec"], "spec.template.spec"); !s.ok()) {
    return s;
  }
  for (const char* field : {"parallelism", "completions", "backoffLimit", "activeDeadlineSeconds",
                            "ttlSecondsAfterFinished"}) {
    if (spec.contains(field) && !spec[field].is_null() &&
        (!spec[field].is_number_integer() || spec[field].get<long long>() < 0)) {
      return invalid(
          "Job.batch", job,
          std::string("spec.") + field + ": Invalid value: must be greater than or equal to 0");
    }
  }
  set_default(spec, "parallelism", 1);
  set_default(spec, "completions", 1);
  set_default(spec, "backoffLimit", 6);
  set_default(spec, "completionMode", "NonIndexed");
  set_default(spec, "suspend", false);
  set_default(spec, "podReplacementPolicy", "TerminatingOrFailed");
  const json labels = {{"batch.kubernetes.io/controller-uid", uid},
                       {"batch.kubernetes.io/job-name", name},
                       {"controller-uid", uid},
                       {"job-name", name}};
  if (!spec.contains("selector") || spec["selector"].is_null()) {
    spec["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
  }
  if (!tmpl.contains("metadata") || !tmpl["metadata"].is_object())
    tmpl["metadata"] = json::object();
  if (!tmpl["metadata"].contains("labels") || !tmpl["metadata"]["labels"].is_object()) {
    tmpl["metadata"]["labels"] = json::object();
  }
  for (const auto& [key, value] : labels.items()) tmpl["metadata"]["labels"][key] = value;
  if (!meta.contains("labels") || !meta["labels"].is_object()) meta["labels"] = json::object();
  for (const auto& [key, value] : labels.items()) {
    if (!meta["labels"].contains(key)) meta["labels"][key] = value;
  }
  return {};
}

// A Job's pods must end, so "Always" (also the pod default) is rejected, as the API server does.
Status check_job_restart_policy(const json& job) {
  const auto& tmpl_spec = job["spec"]["template"]["spec"];
  const auto restart = tmpl_spec.value("restartPolicy", "");
  if (restart != "Never" && restart != "OnFailure") {
    return invalid("Job.batch", job,
                   "spec.template.spec.restartPolicy: Required value: valid values: "
                   "\"OnFailure\", \"Never\"");
  }
  return {};
}

Status prepare_pod(json& pod, bool creating) {
  if (!pod.contains("spec")) return invalid("Pod", pod, "spec: Required value");
  if (auto s = prepare_pod_spec("Pod", pod, pod["spec"], "spec"); !s.ok()) return s;
  if (creating) {
    pod["status"] = {{"phase", "Pending"}, {"qosClass", "BestEffort"}};
  }
  return {};
}

Status prepare_secret(json& secret) {
  set_default(secret, "type", "Opaque");
  if (secret.contains("data") && !secret["data"].is_null()) {
    if (!secret["data"].is_object()) return invalid("Secret", secret, "data: must be a map");
    for (const auto& [key, value] : secret["data"].items()) {
      if (!value.is_string() || !base64_decode(value.get<std::string>())) {
        return invalid("Secret", secret, "data[" + key + "]: Invalid value: must be base64");
      }
    }
  }
  if (!secret.contains("stringData")) return {};
  const auto string_data = secret["stringData"];
  secret.erase("stringData");
  if (string_data.is_null()) return {};
  if (!string_data.is_object()) return invalid("Secret", secret, "stringData: must be a map");
  if (!secret.contains("data") || !secret["data"].is_object()) secret["data"] = json::object();
  for (const auto& [key, value] : string_data.items()) {
    if (!value.is_string()) {
      return invalid("Secret", secret, "stringData[" + key + "]: Invalid value: must be a string");
    }
    secret["data"][key] = base64_encode(value.get<std::string>());
  }
  return {};
}

}  // namespace

Status prepare_builtin(const ResourceType& rt, json& object, bool creating) {
  if (rt.custom) return {};
  if (rt.group.empty() && rt.kind == "Secret") return prepare_secret(object);
  if (rt.group.empty() && rt.kind == "Pod") return prepare_pod(object, creating);
  if (rt.group == "batch" && rt.kind == "Job") {
    if (creating) {
      if (auto s = prepare_job(object); !s.ok()) return s;
    }
    if (object.contains("spec") && object["spec"].contains("template") &&
        object["spec"]["template"].contains("spec")) {
      return check_job_restart_policy(object);
    }
    return invalid("Job.batch", object, "spec.template.spec: Required value");
  }
  return {};
}

}  // namespace kopiur::kube::detail
