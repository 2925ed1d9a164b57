#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include "kopiur/controller/mover_runs.hpp"

#include <functional>

#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::controller {

namespace log = telemetry::log;
using nlohmann::json;

std::string mover_job_name(std::string_view owner, std::string_view suffix) {
  constexpr std::size_t kMax = 63;
  std::string name = std::string(owner) + "-" + std::string(suffix);
  if (name.size() <= kMax) return name;
  char hash[9];
  std::snprintf(hash, sizeof hash, "%08zx",
                std::hash<std::string>{}(name) & static_cast<std::size_t>(0xffffffffU));
  // <owner prefix>-<hash>-<suffix>, at most 63 characters, never ending in '-'.
  const std::size_t keep = kMax - suffix.size() - 10;
  std::string prefix(owner.substr(0, keep));
  while (!prefix.empty() && prefix.back() == '-') prefix.pop_back();
  return prefix + "-" + hash + "-" + std::string(suffix);
}

kube::Status start_mover(const FlowEnv& env, const MoverJobRequest& request) {
  const auto built = build_mover_job(request, env.mover);
  const std::string ns = built.job["metadata"]["namespace"];
  auto secret = env.client.create(kube::resources::kSecrets, ns, built.secret);
  if (!secret.ok() && !secret.error().is_already_exists()) return secret.error();
  auto job = env.client.create(kube::resources::kJobs, ns, built.job);
  if (!job.ok() && !job.error().is_already_exists()) return job.error();
  if (job.ok()) {
    KOPIUR_INFO("mover Job started", log::kv("job", request.job_name), log::kv("namespace", ns),
                log::kv("operation", request.operation));
  }
  return {};
}

kube::Status delete_mover(const FlowEnv& env, const std::string& ns, const std::string& job) {
  auto gone = env.client.remove(kube::resources::kJobs, ns, job);
  if (!gone.ok() && !gone.error().is_not_found()) return gone.error();
  auto secret = env.client.remove(kube::resources::kSecrets, ns, job);
  if (!secret.ok() && !secret.error().is_not_found()) return secret.error();
  return {};
}

namespace {

bool condition_true(const json& job, const std::string& type) {
  const auto status = job.value("status", json::object());
  for (const auto& c : status.value("conditions", json::array())) {
    if (c.value("type", "") == type && c.value("status", "") == "True") return true;
  }
  return false;
}

std::string condition_text(const json& job, const std::string& type) {
  const auto status = job.value("status", json::object());
  for (const auto& c : status.value("conditions", json::array())) {
    if (c.value("type", "") == type) return c.value("reason", "") + ": " + c.value("message", "");
  }
  return "";
}

// When the Job was marked Failed ("" when it was not).
std::string job_failed_at(const json& job) {
  const auto status = job.value("status", json::object());
  for (const auto& c : status.value("conditions", json::array())) {
    if (c.value("type", "") == "Failed") return c.value("lastTransitionTime", "");
  }
  return "";
}

// The newest terminated container state of the Job's pods, with `succeeded` wanted or not.
std::optional<json> newest_termination(const json& pods, bool succeeded) {
  std::optional<json> best;
  std::string best_time;
  for (const auto& pod : pods.value("items", json::array())) {
    const auto status = pod.value("status", json::object());
    for (const auto& cs : status.value("containerStatuses", json::array())) {
      const auto state = cs.value("state", json::object());
      if (!state.contains("terminated")) continue;
      const auto& t = state["terminated"];
      if ((t.value("exitCode", -1) == 0) != succeeded) continue;
      const std::string when = t.value("finishedAt", "");
      if (!best || when >= best_time) {
        best = t;
        best_time = when;
      }
    }
  }
  return best;
}

}  // namespace

kube::Result<MoverObservation> observe_mover(const FlowEnv& env, const std::string& ns,
                                             const std::string& job_name) {
  auto job = env.client.get(kube::resources::kJobs, ns, job_name);
  if (!job.ok()) {
    if (job.error().is_not_found()) return MoverObservation{};
    return job.error();
  }
  const auto status = job->value("status", json::object());
  MoverObservation out;
  out.attempts = status.value("active", std::int64_t{0}) +
                 status.value("succeeded", std::int64_t{0}) +
                 status.value("failed", std::int64_t{0});
  const bool complete = condition_true(*job, "Complete");
  const bool failed = condition_true(*job, "Failed");
  if (!complete && !failed) {
    out.state = MoverState::kRunning;
    out.start_time = status.value("startTime", "");
    return out;
  }
  auto pods =
      env.client.list(kube::resources::kPods, ns,
                      {.label_selector = "kopiur.io/job=" + job_name, .field_selector = ""});
  if (!pods.ok()) return pods.error();
  const auto terminated = newest_termination(*pods, complete);
  const auto attempts = out.attempts;
  const std::string message = terminated ? result_string(*terminated, "message") : "";
  if (!message.empty()) out = interpret_result(message);
  if (!complete && terminated && !out.result.is_object()) {
    // No result: the container's own end (a signal, OOM, an exit before writing) is the news.
    out = interpret_lost_run(*terminated, job_name);
  } else if (message.empty()) {
    out.state = complete ? MoverState::kSucceeded : MoverState::kFailed;
    if (!complete) out.failure = "the Job failed before a mover ran";
  }
  out.attempts = attempts;
  if (failed) {
    // The Job's own verdict wins (a result saying "succeeded" from an earlier attempt cannot
    // turn a failed Job into a success), and its reason comes first.
    out.state = MoverState::kFailed;
    const auto reason = condition_text(*job, "Failed");
    out.failure = out.failure.empty() ? reason : out.failure + " (Job " + reason + ")";
  }
  if (out.start_time.empty()) out.start_time = status.value("startTime", "");
  if (out.end_time.empty()) out.end_time = status.value("completionTime", "");
  // A failed Job has no completionTime: it ended when it was marked Failed.
  if (out.end_time.empty() && failed) out.end_time = job_failed_at(*job);
  return out;
}

}  // namespace kopiur::controller
