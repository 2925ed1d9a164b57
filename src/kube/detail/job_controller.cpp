#include "kube/detail/job_controller.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace kopiur::kube::detail {
namespace {

using nlohmann::json;
using Clock = std::chrono::system_clock;

bool has_condition(const json& status, const char* type) {
  for (const auto& c : status.value("conditions", json::array())) {
    if (c.value("type", "") == type && c.value("status", "") == "True") return true;
  }
  return false;
}

// Sets a condition, keeping lastTransitionTime when the status does not change.
void set_condition(json& status, const char* type, bool value, const char* reason,
                   const std::string& message) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) {
    status["conditions"] = json::array();
  }
  const auto text = value ? "True" : "False";
  for (auto& c : status["conditions"]) {
    if (c.value("type", "") != type) continue;
    if (c.value("status", "") != text) {
      c["lastTransitionTime"] = now_rfc3339();
      c["lastProbeTime"] = now_rfc3339();
    }
    c["status"] = text;
    c["reason"] = reason;
    c["message"] = message;
    return;
  }
  status["conditions"].push_back({{"type", type},
                                  {"status", text},
                                  {"reason", reason},
                                  {"message", message},
                                  {"lastProbeTime", now_rfc3339()},
                                  {"lastTransitionTime", now_rfc3339()}});
}

std::string controller_owner(const json& object) {
  for (const auto& ref : object["metadata"].value("ownerReferences", json::array())) {
    if (ref.value("kind", "") == "Job" && ref.value("controller", false)) {
      return ref.value("uid", "");
    }
  }
  return {};
}

std::string pod_phase(const json& pod) {
  return pod.value("status", json::object()).value("phase", "Pending");
}

bool pod_ready(const json& pod) {
  for (const auto& c : pod.value("status", json::object()).value("conditions", json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

std::int64_t spec_int(const json& spec, const char* field, std::int64_t fallback) {
  const auto it = spec.find(field);
  return it != spec.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

// When the pod's containers ended (the latest finishedAt), for the backoff clock.
std::optional<Clock::time_point> pod_finished(const json& pod) {
  std::optional<Clock::time_point> latest;
  for (const auto& cs :
       pod.value("status", json::object()).value("containerStatuses", json::array())) {
    const auto& state = cs.value("state", json::object());
    if (!state.contains("terminated")) continue;
    if (auto t = parse_rfc3339(state["terminated"].value("finishedAt", ""))) {
      latest = latest ? std::max(*latest, *t) : *t;
    }
  }
  return latest;
}

}  // namespace

LocalJobController::LocalJobController(LocalStore& store, Options options)
    : store_(store),
      options_(std::move(options)),
      jobs_(store_.find("batch", "v1", "jobs").value()),
      pods_(store_.find("", "v1", "pods").value()) {}

Clock::time_point LocalJobController::sync() {
  const auto now = Clock::now();
  auto next = Clock::time_point::max();
  auto [jobs, jobs_rv] = store_.list(jobs_, "");
  auto [pods, pods_rv] = store_.list(pods_, "");
  (void)jobs_rv;
  (void)pods_rv;

  std::map<std::string, std::vector<const json*>> owned;  // by Job uid
  for (const auto& pod : pods) {
    if (auto owner = controller_owner(pod); !owner.empty()) owned[owner].push_back(&pod);
  }
  std::set<std::string> job_uids;
  for (const auto& job : jobs) job_uids.insert(job["metadata"].value("uid", ""));
  // Garbage collection: a Job's pods go with it.
  for (const auto& [owner, list] : owned) {
    if (job_uids.count(owner) != 0) continue;
    for (const auto* pod : list) {
      (void)store_.remove(pods_, (*pod)["metadata"].value("namespace", ""),
                          (*pod)["metadata"].value("name", ""));
    }
  }

  for (const auto& job : jobs) {
    const auto& meta = job["metadata"];
    const auto ns = meta.value("namespace", "");
    const auto name = meta.value("name", "");
    const auto uid = meta.value("uid", "");
    const auto& spec = job.value("spec", json::object());
    const json old_status = job.value("status", json::object());
    json status = old_status;
    const auto& mine = owned[uid];

    const auto delete_active = [&] {
      for (const auto* pod : mine) {
        const auto phase = pod_phase(*pod);
        if (phase == "Succeeded" || phase == "Failed") continue;
        (void)store_.remove(pods_, ns, (*pod)["metadata"].value("name", ""));
      }
    };
    const auto write = [&] {
      if (status == old_status) return;
      (void)store_.patch(
          jobs_, ns, name,
          [&](const json& current) -> Result<json> {
            if (current["metadata"].value("uid", "") != uid) {
              return api_error(409, "Conflict", "the job was replaced");
            }
            json updated = current;
            updated["status"] = status;
            return updated;
          },
          /*status_only=*/true, /*create_if_missing=*/false);
    };

    if (has_condition(old_status, "Complete") || has_condition(old_status, "Failed")) {
      if (has_condition(old_status, "Failed")) delete_active();
      if (spec.contains("ttlSecondsAfterFinished") && spec["ttlSecondsAfterFinished"].is_number()) {
        std::optional<Clock::time_point> finished =
            parse_rfc3339(old_status.value("completionTime", ""));
        for (const auto& c : old_status.value("conditions", json::array())) {
          if (c.value("type", "") == "Failed")
            finished = parse_rfc3339(c.value("lastTransitionTime", ""));
        }
        if (finished) {
          const auto due =
              *finished + std::chrono::seconds(spec["ttlSecondsAfterFinished"].get<std::int64_t>());
          if (now >= due) {
            (void)store_.remove(jobs_, ns, name);
          } else {
            next = std::min(next, due);
          }
        }
      }
      continue;
    }
    if (meta.contains("deletionTimestamp")) continue;

    std::int64_t active = 0;
    std::int64_t ready = 0;
    std::int64_t succeeded = 0;
    std::int64_t failed = 0;
    std::optional<Clock::time_point> last_failure;
    for (const auto* pod : mine) {
      const auto phase = pod_phase(*pod);
      if (phase == "Succeeded") {
        ++succeeded;
      } else if (phase == "Failed") {
        ++failed;
        if (auto t = pod_finished(*pod))
          last_failure = last_failure ? std::max(*last_failure, *t) : *t;
      } else if (!(*pod)["metadata"].contains("deletionTimestamp")) {
        ++active;
        if (pod_ready(*pod)) ++ready;
      }
    }
    // Counts never go down when someone deletes a finished pod.
    succeeded = std::max(succeeded, spec_int(old_status, "succeeded", 0));
    failed = std::max(failed, spec_int(old_status, "failed", 0));

    const auto completions = spec_int(spec, "completions", 1);
    const auto parallelism = spec_int(spec, "parallelism", 1);
    const auto backoff_limit = spec_int(spec, "backoffLimit", 6);

    if (spec.value("suspend", false)) {
      delete_active();
      set_condition(status, "Suspended", true, "JobSuspended", "Job suspended");
      status.erase("active");
      status["ready"] = 0;
      write();
      continue;
    }
    if (has_condition(status, "Suspended")) {
      set_condition(status, "Suspended", false, "JobResumed", "Job resumed");
      status["startTime"] = now_rfc3339();  // the deadline counts from the resumption
    }
    if (!status.contains("startTime")) status["startTime"] = now_rfc3339();
    const auto started = parse_rfc3339(status["startTime"].get<std::string>()).value_or(now);

    const auto fail = [&](const char* reason, const char* message) {
      delete_active();
      set_condition(status, "FailureTarget", true, reason, message);
      set_condition(status, "Failed", true, reason, message);
      status.erase("active");
      status["ready"] = 0;
    };
    std::optional<Clock::time_point> deadline;
    if (spec.contains("activeDeadlineSeconds") && spec["activeDeadlineSeconds"].is_number()) {
      deadline = started + std::chrono::seconds(spec["activeDeadlineSeconds"].get<std::int64_t>());
    }
    if (deadline && now >= *deadline) {
      fail("DeadlineExceeded", "Job was active longer than specified deadline");
    } else if (failed > backoff_limit) {
      fail("BackoffLimitExceeded", "Job has reached the specified backoff limit");
    } else if (succeeded >= completions) {
      set_condition(status, "SuccessCriteriaMet", true, "CompletionsReached",
                    "Reached expected number of succeeded pods");
      set_condition(status, "Complete", true, "CompletionsReached",
                    "Reached expected number of succeeded pods");
      status["completionTime"] = now_rfc3339();
      delete_active();
      active = 0;
      ready = 0;
    } else {
      auto wanted = std::min(parallelism, completions - succeeded) - active;
      if (wanted > 0 && failed > 0 && last_failure) {
        auto delay = options_.backoff_base;
        for (std::int64_t i = 1; i < failed && delay < options_.backoff_max; ++i) delay *= 2;
        delay = std::min(delay, options_.backoff_max);
        const auto due = *last_failure + delay;
        if (now < due) {
          next = std::min(next, std::chrono::time_point_cast<Clock::duration>(due));
          wanted = 0;
        }
      }
      const auto& tmpl = spec.value("template", json::object());
      for (; wanted > 0; --wanted) {
        json pod = {
            {"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata",
             {{"generateName", name + "-"},
              {"namespace", ns},
              {"labels", tmpl.value("metadata", json::object()).value("labels", json::object())},
              {"ownerReferences",
               {{{"apiVersion", "batch/v1"},
                 {"kind", "Job"},
                 {"name", name},
                 {"uid", uid},
                 {"controller", true},
                 {"blockOwnerDeletion", true}}}}}},
            {"spec", tmpl.value("spec", json::object())}};
        const auto annotations =
            tmpl.value("metadata", json::object()).value("annotations", json::object());
        if (!annotations.empty()) pod["metadata"]["annotations"] = annotations;
        pod["spec"]["nodeName"] = options_.node_name;
        if (store_.create(pods_, ns, std::move(pod)).ok()) ++active;
      }
      if (deadline) next = std::min(next, *deadline);
    }
    // batch/v1 omits zero counts, except ready and terminating.
    const auto count = [&](const char* field, std::int64_t value) {
      if (value > 0) {
        status[field] = value;
      } else {
        status.erase(field);
      }
    };
    if (!has_condition(status, "Failed")) {
      count("active", active);
      status["ready"] = ready;
    }
    count("succeeded", succeeded);
    count("failed", failed);
    status["terminating"] = 0;
    status["uncountedTerminatedPods"] = json::object();
    write();
  }
  return next;
}

}  // namespace kopiur::kube::detail
