#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include <ctime>

#include "kopiur/controller/flow_support.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::controller {

namespace log = telemetry::log;
using nlohmann::json;

telemetry::KopiurMetrics& FlowEnv::metrics() const { return runtime->metrics(); }

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)
  const std::string s(text);
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  double fraction = 0;
  if (*rest == '.') {
    const char* start = rest;
    ++rest;
    while (*rest >= '0' && *rest <= '9') ++rest;
    fraction = std::strtod(std::string(start, rest).c_str(), nullptr);
  }
  long offset = 0;
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    offset = (hh * 3600L + mm * 60L) * (*rest == '-' ? -1 : 1);
    rest += 6;
  } else {
    return std::nullopt;
  }
  if (*rest != '\0') return std::nullopt;
  const auto secs = static_cast<std::int64_t>(timegm(&tm)) - offset;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(secs) + std::chrono::duration<double>(fraction)));
}

namespace {

// The JSON merge patch that makes a status `to` where the cache showed `from`: every member of
// `to`, and null for the members of `from` that `to` lacks. Members equal in both are sent too:
// `from` may be behind the server (a watch that was cut, an event still on its way), and leaving
// out a member the cache shows unchanged would keep the server's newer, different value beside
// the new ones (a status with the new lastSuccessfulBackup and the old consecutiveFailures).
json status_patch(const json& from, const json& to) {
  if (!from.is_object() || !to.is_object()) return to;
  json patch = json::object();
  for (const auto& [key, value] : from.items()) {
    if (!to.contains(key)) patch[key] = nullptr;
  }
  for (const auto& [key, value] : to.items()) {
    const auto old = from.find(key);
    patch[key] = old == from.end() ? value : status_patch(*old, value);
  }
  return patch;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

std::optional<ReconcileError> write_status(const FlowEnv& env, ReconcileContext& context,
                                           const kube::ResourceId& resource, const json& status) {
  const json& object = context.object();
  const json old = object.value("status", json::object());
  if (old == status) {
    context.report_status(status);
    return std::nullopt;
  }
  const json patch = {{"status", status_patch(old, status)}};
  auto written = env.client.patch_status(resource, namespace_of(object), name_of(object), patch,
                                         kube::PatchType::kMerge);
  if (!written.ok()) {
    return ReconcileError::from_api(
        written.error(), "StatusWriteFailed",
        "cannot write the status of " + context.kind() + " " + name_of(object),
        "check the controller's RBAC for the status subresource");
  }
  context.report_status(written->value("status", json::object()));
  return std::nullopt;
}

bool has_finalizer(const json& object, const std::string& finalizer) {
  const auto& meta = object.value("metadata", json::object());
  const auto list = meta.value("finalizers", json::array());
  for (const auto& f : list) {
    if (f.is_string() && f.get<std::string>() == finalizer) return true;
  }
  return false;
}

bool being_deleted(const json& object) {
  const auto& meta = object.value("metadata", json::object());
  return meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
}

namespace {

// A JSON patch that replaces the list only if it is still the one this reconcile saw ("test"):
// a concurrent change of the finalizers is a 409-like failure and a retry, while a status write
// or label change in between (a cache a little behind) does not stand in the way.
std::optional<ReconcileError> set_finalizers(const FlowEnv& env, const kube::ResourceId& resource,
                                             const json& object, const json& finalizers) {
  const auto& meta = object.value("metadata", json::object());
  const json seen = meta.value("finalizers", json::array());
  json patch = json::array();
  if (meta.contains("finalizers")) {
    patch.push_back({{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", seen}});
    patch.push_back({{"op", "replace"}, {"path", "/metadata/finalizers"}, {"value", finalizers}});
  } else {
    patch.push_back({{"op", "add"}, {"path", "/metadata/finalizers"}, {"value", finalizers}});
  }
  auto done = env.client.patch(resource, namespace_of(object), name_of(object), patch,
                               kube::PatchType::kJson);
  if (done.ok() || done.error().is_not_found()) return std::nullopt;
  return ReconcileError::from_api(done.error(), "FinalizerUpdateFailed",
                                  "cannot update the finalizers of " + name_of(object),
                                  "check the controller's RBAC (update on the resource)");
}

}  // namespace

std::optional<ReconcileError> add_finalizer(const FlowEnv& env, const kube::ResourceId& resource,
                                            const json& object, const std::string& finalizer) {
  if (has_finalizer(object, finalizer)) return std::nullopt;
  json list = object.value("metadata", json::object()).value("finalizers", json::array());
  list.push_back(finalizer);
  return set_finalizers(env, resource, object, list);
}

std::optional<ReconcileError> remove_finalizer(const FlowEnv& env, const kube::ResourceId& resource,
                                               const json& object, const std::string& finalizer) {
  if (!has_finalizer(object, finalizer)) return std::nullopt;
  json list = json::array();
  for (const auto& f : object["metadata"]["finalizers"]) {
    if (!(f.is_string() && f.get<std::string>() == finalizer)) list.push_back(f);
  }
  return set_finalizers(env, resource, object, list);
}

void event(const FlowEnv& env, const json& object, kube::EventType type, const std::string& reason,
           const std::string& action, const std::string& note) {
  if (env.events == nullptr) return;
  auto published =
      env.events->publish(kube::ObjectReference::from(object), type, reason, action, note);
  if (!published.ok()) {
    KOPIUR_WARN("cannot publish an Event", log::kv("reason", reason),
                log::kv("error", published.error().to_string()));
  }
}

bool set_condition(json& status, const std::string& type, bool value, const std::string& reason,
                   const std::string& message, std::chrono::system_clock::time_point now,
                   std::optional<std::int64_t> observed_generation) {
  if (!status.is_object()) status = json::object();
  json& list = status["conditions"];
  if (!list.is_array()) list = json::array();
  const std::string wanted = value ? "True" : "False";
  for (auto& c : list) {
    if (c.value("type", "") != type) continue;
    const bool changed = c.value("status", "") != wanted || c.value("reason", "") != reason ||
                         c.value("message", "") != message ||
                         (observed_generation &&
                          c.value("observedGeneration", std::int64_t{-1}) != *observed_generation);
    if (c.value("status", "") != wanted) c["lastTransitionTime"] = rfc3339(now);
    c["status"] = wanted;
    c["reason"] = reason;
    c["message"] = message;
    if (observed_generation) c["observedGeneration"] = *observed_generation;
    return changed;
  }
  json c = {{"type", type},
            {"status", wanted},
            {"reason", reason},
            {"message", message},
            {"lastTransitionTime", rfc3339(now)}};
  if (observed_generation) c["observedGeneration"] = *observed_generation;
  list.push_back(std::move(c));
  return true;
}

std::string condition_status(const json& status, const std::string& type) {
  if (!status.is_object() || !status.contains("conditions")) return "";
  for (const auto& c : status["conditions"]) {
    if (c.is_object() && c.value("type", "") == type) return c.value("status", "");
  }
  return "";
}

ReconcileError spec_error(const std::string& kind, const api::FieldErrors& errors) {
  std::vector<std::string> lines;
  for (const auto& e : errors) lines.push_back(e.to_string());
  return ReconcileError::structural(
      "InvalidSpec", "the " + kind + " is invalid (" + join(lines) +
                         "); fix the spec (the admission webhook rejects such objects, so it "
                         "was probably down when this one was written)");
}

std::string name_of(const json& object) {
  const auto& meta = object.value("metadata", json::object());
  return meta.value("name", "");
}

std::string namespace_of(const json& object) {
  const auto& meta = object.value("metadata", json::object());
  return meta.value("namespace", "");
}

std::int64_t generation_of(const json& object) {
  const auto& meta = object.value("metadata", json::object());
  const auto it = meta.find("generation");
  return it != meta.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::string phase_of_status(const json& object) {
  const auto status = object.value("status", json::object());
  return status.is_object() ? status.value("phase", "") : std::string();
}

}  // namespace kopiur::controller
