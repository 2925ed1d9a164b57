#include "localkube/detail/builtin_objects.hpp"

#include <algorithm>

#include "kube/detail/base64.hpp"
#include "localkube/detail/config_objects.hpp"
#include "localkube/detail/local_store.hpp"
#include "localkube/detail/validation.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;

Error invalid(const std::string& kind, const json& object, const std::string& detail) {
  const auto name = object.contains("metadata") ? object["metadata"].value("name", "") : "";
  return invalid_error(kind, name, {detail});
}

void set_default(json& object, const char* key, const json& value) {
  if (!object.contains(key) || object[key].is_null()) object[key] = value;
}

enum class Want { kString, kBool, kInt, kMap, kList, kStringMap };

// "" when object[key] is absent, null or of the wanted type; else the error detail at path.key.
std::string mistyped(const json& object, const char* key, Want want, const std::string& path) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  const auto& v = *it;
  const char* expected = nullptr;
  switch (want) {
    case Want::kString:
      if (!v.is_string()) expected = "a string";
      break;
    case Want::kBool:
      if (!v.is_boolean()) expected = "true or false";
      break;
    case Want::kInt:
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0) {
        expected = "an integer greater than or equal to 0";
      }
      break;
    case Want::kMap:
      if (!v.is_object()) expected = "an object";
      break;
    case Want::kList:
      if (!v.is_array()) expected = "a list";
      break;
    case Want::kStringMap:
      if (!v.is_object() ||
          !std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); })) {
        expected = "a map of strings";
      }
      break;
  }
  if (expected == nullptr) return {};
  return path + "." + key + ": Invalid value: " + v.dump() + ": must be " + expected;
}

// Runs mistyped() over a list of (key, type) pairs; the first error wins.
std::string first_mistyped(const json& object,
                           std::initializer_list<std::pair<const char*, Want>> fields,
                           const std::string& path) {
  for (const auto& [key, want] : fields) {
    if (auto error = mistyped(object, key, want, path); !error.empty()) return error;
  }
  return {};
}

// The shape of one env entry (what the kubelet reads from it).
std::string env_entry_error(const json& entry, const std::string& at) {
  if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
      entry["name"].get<std::string>().empty()) {
    return at + ".name: Required value";
  }
  if (auto e = first_mistyped(entry, {{"value", Want::kString}, {"valueFrom", Want::kMap}}, at);
      !e.empty()) {
    return e;
  }
  if (!entry.contains("valueFrom") || entry["valueFrom"].is_null()) return {};
  const auto& from = entry["valueFrom"];
  const auto from_at = at + ".valueFrom";
  for (const char* ref : {"secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef"}) {
    if (auto e = mistyped(from, ref, Want::kMap, from_at); !e.empty()) return e;
    if (!from.contains(ref) || from[ref].is_null()) continue;
    if (auto e = first_mistyped(from[ref],
                                {{"name", Want::kString},
                                 {"key", Want::kString},
                                 {"optional", Want::kBool},
                                 {"fieldPath", Want::kString},
                                 {"resource", Want::kString}},
                                from_at + "." + ref);
        !e.empty()) {
      return e;
    }
  }
  return {};
}

std::string env_from_error(const json& source, const std::string& at) {
  if (!source.is_object()) return at + ": Invalid value: must be an object";
  if (auto e = first_mistyped(
          source,
          {{"prefix", Want::kString}, {"secretRef", Want::kMap}, {"configMapRef", Want::kMap}}, at);
      !e.empty()) {
    return e;
  }
  for (const char* ref : {"secretRef", "configMapRef"}) {
    if (!source.contains(ref) || source[ref].is_null()) continue;
    if (auto e = first_mistyped(source[ref], {{"name", Want::kString}, {"optional", Want::kBool}},
                                at + "." + ref);
        !e.empty()) {
      return e;
    }
  }
  return {};
}

std::string container_error(const json& container, const std::string& at) {
  if (!container.is_object() || !container.contains("name") || !container["name"].is_string() ||
      container["name"].get<std::string>().empty()) {
    return at + ".name: Required value";
  }
  for (const char* list : {"command", "args"}) {
    if (!container.contains(list) || container[list].is_null()) continue;
    const auto& items = container[list];
    if (!items.is_array() ||
        !std::all_of(items.begin(), items.end(), [](const json& v) { return v.is_string(); })) {
      return at + "." + list + ": Invalid value: must be a list of strings";
    }
  }
  if (auto e = first_mistyped(container,
                              {{"image", Want::kString},
                               {"workingDir", Want::kString},
                               {"terminationMessagePath", Want::kString},
                               {"terminationMessagePolicy", Want::kString},
                               {"env", Want::kList},
                               {"envFrom", Want::kList}},
                              at);
      !e.empty()) {
    return e;
  }
  const auto policy = container.value("terminationMessagePolicy", json("File"));
  if (!policy.is_null() && policy != "File" && policy != "FallbackToLogsOnError") {
    return at + ".terminationMessagePolicy: Unsupported value: " + policy.dump() +
           ": supported values: \"File\", \"FallbackToLogsOnError\"";
  }
  std::size_t i = 0;
  for (const auto& entry : container.value("env", json::array())) {
    if (auto e = env_entry_error(entry, at + ".env[" + std::to_string(i++) + "]"); !e.empty()) {
      return e;
    }
  }
  i = 0;
  for (const auto& source : container.value("envFrom", json::array())) {
    if (auto e = env_from_error(source, at + ".envFrom[" + std::to_string(i++) + "]"); !e.empty()) {
      return e;
    }
  }
  return {};
}

}  // namespace

// The checks and defaults of a pod spec, at `path` (for error messages).
Status prepare_pod_spec(const std::string& kind, const json& object, json& spec,
                        const std::string& path) {
  if (!spec.is_object()) return invalid(kind, object, path + ": Required value");
  if (!spec.contains("containers") || !spec["containers"].is_array() ||
      spec["containers"].empty()) {
    return invalid(kind, object, path + ".containers: Required value");
  }
  if (auto e = first_mistyped(spec,
                              {{"restartPolicy", Want::kString},
                               {"terminationGracePeriodSeconds", Want::kInt},
                               {"activeDeadlineSeconds", Want::kInt},
                               {"nodeName", Want::kString},
                               {"serviceAccountName", Want::kString},
                               {"initContainers", Want::kList}},
                              path);
      !e.empty()) {
    return invalid(kind, object, e);
  }
  std::size_t index = 0;
  for (auto& container : spec["containers"]) {
    const auto at = path + ".containers[" + std::to_string(index++) + "]";
    if (auto e = container_error(container, at); !e.empty()) return invalid(kind, object, e);
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

namespace {

// The Job's required parts and the types of the fields the controller reads.
Status check_job_fields(json& job) {
  if (!job.contains("spec") || !job["spec"].is_object()) {
    return invalid("Job.batch", job, "spec: Required value");
  }
  auto& spec = job["spec"];
  if (!spec.contains("template") || !spec["template"].is_object()) {
    return invalid("Job.batch", job, "spec.template: Required value");
  }
  auto& tmpl = spec["template"];
  if (!tmpl.contains("spec")) {
    return invalid("Job.batch", job, "spec.template.spec: Required value");
  }
  if (auto e = first_mistyped(spec,
                              {{"parallelism", Want::kInt},
                               {"completions", Want::kInt},
                               {"backoffLimit", Want::kInt},
                               {"activeDeadlineSeconds", Want::kInt},
                               {"ttlSecondsAfterFinished", Want::kInt},
                               {"suspend", Want::kBool},
                               {"completionMode", Want::kString},
                               {"selector", Want::kMap}},
                              "spec");
      !e.empty()) {
    return invalid("Job.batch", job, e);
  }
  if (auto e = mistyped(tmpl, "metadata", Want::kMap, "spec.template"); !e.empty()) {
    return invalid("Job.batch", job, e);
  }
  if (tmpl.contains("metadata") && tmpl["metadata"].is_object()) {
    if (auto e = first_mistyped(tmpl["metadata"],
                                {{"labels", Want::kStringMap}, {"annotations", Want::kStringMap}},
                                "spec.template.metadata");
        !e.empty()) {
      return invalid("Job.batch", job, e);
    }
  }
  if (spec.value("completionMode", json("NonIndexed")) == "Indexed") {
    return invalid("Job.batch", job,
                   "spec.completionMode: Unsupported value: \"Indexed\": kopiur-localkube runs "
                   "NonIndexed Jobs only");
  }
  return {};
}

// batch/v1's defaults, and the labels tying the Job, its selector and its pods together.
void default_job(json& job) {
  auto& meta = job["metadata"];
  const auto uid = meta.value("uid", "");
  const auto name = meta.value("name", "");
  auto& spec = job["spec"];
  auto& tmpl = spec["template"];
  // batch/v1 defaults both to 1 only when neither is set; parallelism alone is a work queue.
  if ((!spec.contains("completions") || spec["completions"].is_null()) &&
      (!spec.contains("parallelism") || spec["parallelism"].is_null())) {
    spec["completions"] = 1;
  }
  set_default(spec, "parallelism", 1);
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
  if (!tmpl.contains("metadata") || !tmpl["metadata"].is_object()) {
    tmpl["metadata"] = json::object();
  }
  if (!tmpl["metadata"].contains("labels") || !tmpl["metadata"]["labels"].is_object()) {
    tmpl["metadata"]["labels"] = json::object();
  }
  for (const auto& [key, value] : labels.items()) tmpl["metadata"]["labels"][key] = value;
  if (!meta.contains("labels") || !meta["labels"].is_object()) meta["labels"] = json::object();
  for (const auto& [key, value] : labels.items()) {
    if (!meta["labels"].contains(key)) meta["labels"][key] = value;
  }
}

Status prepare_job(json& job, bool creating, const json* old) {
  if (creating) job.erase("status");  // the Job controller owns it
  if (auto s = check_job_fields(job); !s.ok()) return s;
  auto& tmpl = job["spec"]["template"];
  if (auto s = prepare_pod_spec("Job.batch", job, tmpl["spec"], "spec.template.spec"); !s.ok()) {
    return s;
  }
  // A Job's pods must end, so "Always" (also the pod default) is rejected, as the API server does.
  const auto restart = tmpl["spec"].value("restartPolicy", "");
  if (restart != "Never" && restart != "OnFailure") {
    return invalid("Job.batch", job,
                   "spec.template.spec.restartPolicy: Required value: valid values: "
                   "\"OnFailure\", \"Never\"");
  }
  default_job(job);
  const auto& spec = job["spec"];
  if (old != nullptr && old->contains("spec")) {
    for (const char* fixed : {"template", "selector", "completionMode"}) {
      if ((*old)["spec"].value(fixed, json()) != spec.value(fixed, json())) {
        return invalid("Job.batch", job,
                       std::string("spec.") + fixed + ": Invalid value: field is immutable");
      }
    }
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
      if (!value.is_string() || !kube::detail::base64_decode(value.get<std::string>())) {
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
    secret["data"][key] = kube::detail::base64_encode(value.get<std::string>());
  }
  return {};
}

// A new Namespace is Active with the "kubernetes" finalizer, whatever its body says.
void prepare_namespace(json& ns, bool creating) {
  if (!creating) return;
  ns["status"] = {{"phase", "Active"}};
  if (!ns.contains("spec") || !ns["spec"].is_object()) ns["spec"] = json::object();
  set_default(ns["spec"], "finalizers", json::array({"kubernetes"}));
}

}  // namespace

Status prepare_builtin(const ResourceType& rt, json& object, const json* old) {
  if (auto meta = validate_metadata(rt, object, old); !meta.ok()) return meta;
  if (rt.custom) return {};
  const bool creating = old == nullptr;
  if (rt.group.empty() && rt.kind == "Namespace") prepare_namespace(object, creating);
  if (rt.group.empty() && rt.kind == "Secret") return prepare_secret(object);
  if (rt.group.empty() && rt.kind == "Pod") return prepare_pod(object, creating);
  if (rt.group == "batch" && rt.kind == "Job") return prepare_job(object, creating, old);
  return prepare_config_object(rt, object);
}

}  // namespace kopiur::localkube::detail
