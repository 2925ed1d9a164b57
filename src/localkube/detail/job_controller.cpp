#include "localkube/detail/job_controller.hpp"

#include <algorithm>
#include <set>

#include "localkube/detail/json_access.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;
using Clock = std::chrono::system_clock;

constexpr const char* kTracking = "batch.kubernetes.io/job-tracking";
// Durations from user-written seconds are capped so that adding them to a time cannot overflow.
constexpr std::int64_t kMaxSeconds = 10LL * 365 * 24 * 3600;

std::chrono::seconds user_seconds(std::int64_t value) {
  return std::chrono::seconds(std::clamp<std::int64_t>(value, 0, kMaxSeconds));
}

bool has_condition(const json& status, const char* type) {
  for (const auto& c : field::list(status, "conditions")) {
    if (field::text(c, "type") == type && field::text(c, "status") == "True") return true;
  }
  return false;
}

std::optional<Clock::time_point> condition_time(const json& status, const char* type) {
  for (const auto& c : field::list(status, "conditions")) {
    if (field::text(c, "type") == type) return parse_rfc3339(field::text(c, "lastTransitionTime"));
  }
  return std::nullopt;
}

// Sets a condition, keeping lastTransitionTime when its status does not change.
void set_condition(json& status, const char* type, bool value, const char* reason,
                   const std::string& message) {
  if (!status["conditions"].is_array()) status["conditions"] = json::array();
  const auto text = value ? "True" : "False";
  for (auto& c : status["conditions"]) {
    if (field::text(c, "type") != type) continue;
    if (field::text(c, "status") != text) {
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

std::string controller_owner(const json& pod) {
  for (const auto& ref : field::list(field::map(pod, "metadata"), "ownerReferences")) {
    if (field::text(ref, "kind") == "Job" && field::flag(ref, "controller")) {
      return field::text(ref, "uid");
    }
  }
  return {};
}

const json& meta_of(const json& object) { return field::map(object, "metadata"); }
std::string name_of(const json& object) { return field::text(meta_of(object), "name"); }
std::string uid_of(const json& object) { return field::text(meta_of(object), "uid"); }
std::string phase_of(const json& pod) {
  return field::text(field::map(pod, "status"), "phase", "Pending");
}
bool deleting(const json& object) { return meta_of(object).contains("deletionTimestamp"); }

bool tracked(const json& pod) {
  for (const auto& f : field::list(meta_of(pod), "finalizers")) {
    if (f.is_string() && f.get<std::string>() == kTracking) return true;
  }
  return false;
}

// A pod that will not run any more: it ended, or it was deleted before it started.
bool finished(const json& pod) {
  const auto phase = phase_of(pod);
  return phase == "Succeeded" || phase == "Failed" || (deleting(pod) && phase == "Pending");
}

bool pod_ready(const json& pod) {
  for (const auto& c : field::list(field::map(pod, "status"), "conditions")) {
    if (field::text(c, "type") == "Ready") return field::text(c, "status") == "True";
  }
  return false;
}

// When the pod's containers ended (the latest finishedAt).
std::optional<Clock::time_point> pod_finished_at(const json& pod) {
  std::optional<Clock::time_point> latest;
  for (const auto& cs : field::list(field::map(pod, "status"), "containerStatuses")) {
    const auto& terminated = field::map(field::map(cs, "state"), "terminated");
    if (auto t = parse_rfc3339(field::text(terminated, "finishedAt"))) {
      latest = latest ? std::max(*latest, *t) : *t;
    }
  }
  return latest;
}

bool contains(const json& list, const std::string& value) {
  return std::any_of(list.begin(), list.end(),
                     [&](const json& v) { return v.is_string() && v.get<std::string>() == value; });
}

}  // namespace

LocalJobController::LocalJobController(LocalStore& store, Options options)
    : store_(store),
      options_(std::move(options)),
      jobs_(store_.find("batch", "v1", "jobs").value()),
      pods_(store_.find("", "v1", "pods").value()) {}

void LocalJobController::release(const json& pod) {
  (void)store_.change_same(
      pods_, pod,
      [](json& current) {
        json kept = json::array();
        for (const auto& f : field::list(meta_of(current), "finalizers")) {
          if (!(f.is_string() && f.get<std::string>() == kTracking)) kept.push_back(f);
        }
        current["metadata"]["finalizers"] = kept;
      },
      /*status_only=*/false);
}

void LocalJobController::collect_orphans(const std::vector<const json*>& pods) {
  for (const auto* pod : pods) {
    if (!deleting(*pod)) {
      (void)store_.remove(pods_, field::text(meta_of(*pod), "namespace"), name_of(*pod));
      continue;
    }
    if (tracked(*pod) && finished(*pod)) release(*pod);
  }
}

Clock::time_point LocalJobController::sync() {
  const auto now = Clock::now();
  auto next = Clock::time_point::max();
  auto jobs = store_.list(jobs_, "").first;
  auto pods = store_.list(pods_, "").first;

  std::map<std::string, std::vector<const json*>> owned;  // by Job uid
  std::set<std::string> pod_uids;
  for (const auto& pod : pods) {
    pod_uids.insert(uid_of(pod));
    if (auto owner = controller_owner(pod); !owner.empty()) owned[owner].push_back(&pod);
  }
  std::erase_if(failure_seen_, [&](const auto& entry) { return pod_uids.count(entry.first) == 0; });
  std::set<std::string> job_uids;
  for (const auto& job : jobs) job_uids.insert(uid_of(job));
  for (const auto& [owner, list] : owned) {
    if (job_uids.count(owner) == 0) collect_orphans(list);  // the Job is gone: so are its pods
  }
  for (const auto& job : jobs) {
    // One malformed Job must not stop the others (or the server): it is skipped.
    try {
      sync_job(job, owned[uid_of(job)], now, &next);
    } catch (const std::exception&) {
    }
  }
  return next;
}

void LocalJobController::sync_job(const json& job, const std::vector<const json*>& mine,
                                  Clock::time_point now, Clock::time_point* next) {
  const auto ns = field::text(meta_of(job), "namespace");
  const auto name = name_of(job);
  const auto uid = uid_of(job);
  const auto& spec = field::map(job, "spec");
  const json old_status = field::map(job, "status");
  json status = old_status;

  // Count each pod once, when it ends; its uid stays in uncountedTerminatedPods until the
  // tracking finalizer is released (after the status write below).
  json uncounted = field::map(status, "uncountedTerminatedPods");
  json counted_now = {{"succeeded", json::array()}, {"failed", json::array()}};
  std::int64_t succeeded = field::integer(status, "succeeded", 0);
  std::int64_t failed = field::integer(status, "failed", 0);
  std::int64_t active = 0;
  std::int64_t ready = 0;
  std::int64_t terminating = 0;
  std::optional<Clock::time_point> last_failure;
  std::vector<const json*> to_release;
  for (const auto* pod : mine) {
    const auto pod_uid = uid_of(*pod);
    const bool ok = phase_of(*pod) == "Succeeded";
    if (finished(*pod)) {
      if (!ok) {
        const auto seen = failure_seen_.emplace(pod_uid, now).first->second;
        const auto at = std::max(seen, pod_finished_at(*pod).value_or(seen));
        last_failure = last_failure ? std::max(*last_failure, at) : at;
      }
      if (tracked(*pod)) {
        const char* kind = ok ? "succeeded" : "failed";
        if (!contains(field::list(uncounted, kind), pod_uid)) (ok ? succeeded : failed) += 1;
        counted_now[kind].push_back(pod_uid);
        to_release.push_back(pod);
      }
    } else if (deleting(*pod)) {
      ++terminating;
    } else {
      ++active;
      if (pod_ready(*pod)) ++ready;
    }
  }

  const auto delete_active = [&] {
    for (const auto* pod : mine) {
      if (!finished(*pod) && !deleting(*pod)) {
        (void)store_.remove(pods_, ns, name_of(*pod));
        --active;
        ++terminating;
      }
    }
    active = std::max<std::int64_t>(active, 0);
    ready = 0;
  };

  const bool complete = has_condition(old_status, "Complete");
  const bool failed_job = has_condition(old_status, "Failed");
  if (complete || failed_job) {
    if (failed_job) delete_active();
    if (spec.contains("ttlSecondsAfterFinished")) {
      const auto finished_at = complete ? parse_rfc3339(field::text(old_status, "completionTime"))
                                        : condition_time(old_status, "Failed");
      if (finished_at) {
        const auto due =
            *finished_at + user_seconds(field::integer(spec, "ttlSecondsAfterFinished", 0));
        if (now >= due) {
          (void)store_.remove(jobs_, ns, name);  // its pods follow (collect_orphans)
          return;
        }
        *next = std::min(*next, due);
      }
    }
  } else if (!deleting(job)) {
    const bool suspended = field::flag(spec, "suspend");
    if (suspended) {
      delete_active();
      set_condition(status, "Suspended", true, "JobSuspended", "Job suspended");
    } else {
      if (has_condition(status, "Suspended")) {
        set_condition(status, "Suspended", false, "JobResumed", "Job resumed");
        status["startTime"] = now_rfc3339();  // the deadline counts from the resumption
      }
      if (!status["startTime"].is_string()) status["startTime"] = now_rfc3339();
      const auto started = parse_rfc3339(status["startTime"].get<std::string>()).value_or(now);
      const bool has_completions = spec.contains("completions") && !spec["completions"].is_null();
      const auto completions = field::integer(spec, "completions", 1);
      const auto parallelism = field::integer(spec, "parallelism", 1);
      const auto backoff_limit = field::integer(spec, "backoffLimit", 6);
      std::optional<Clock::time_point> deadline;
      if (spec.contains("activeDeadlineSeconds")) {
        deadline = started + user_seconds(field::integer(spec, "activeDeadlineSeconds", 0));
      }
      const auto fail = [&](const char* reason, const char* message) {
        delete_active();
        set_condition(status, "FailureTarget", true, reason, message);
        set_condition(status, "Failed", true, reason, message);
      };
      // A work queue (no completions) is done once one pod succeeded and none still runs.
      const bool done = has_completions ? succeeded >= completions
                                        : succeeded > 0 && active == 0 && terminating == 0;
      if (failed > backoff_limit) {
        fail("BackoffLimitExceeded", "Job has reached the specified backoff limit");
      } else if (deadline && now >= *deadline) {
        fail("DeadlineExceeded", "Job was active longer than specified deadline");
      } else if (done) {
        set_condition(status, "SuccessCriteriaMet", true, "CompletionsReached",
                      "Reached expected number of succeeded pods");
        set_condition(status, "Complete", true, "CompletionsReached",
                      "Reached expected number of succeeded pods");
        status["completionTime"] = now_rfc3339();
        delete_active();
      } else {
        auto wanted = has_completions ? std::min(parallelism, completions - succeeded) - active
                                      : (succeeded > 0 ? 0 : parallelism - active);
        if (wanted > 0 && failed > 0 && last_failure) {
          auto delay = options_.backoff_base;
          for (std::int64_t i = 1; i < failed && delay < options_.backoff_max; ++i) delay *= 2;
          delay = std::min(delay, options_.backoff_max);
          const auto due = *last_failure + std::chrono::duration_cast<Clock::duration>(delay);
          if (now < due) {
            *next = std::min(*next, due);
            wanted = 0;
          }
        }
        const auto& tmpl = field::map(spec, "template");
        const auto& tmpl_meta = field::map(tmpl, "metadata");
        for (; wanted > 0; --wanted) {
          json pod = {{"apiVersion", "v1"},
                      {"kind", "Pod"},
                      {"metadata",
                       {{"generateName", name + "-"},
                        {"namespace", ns},
                        {"labels", field::map(tmpl_meta, "labels")},
                        {"finalizers", {kTracking}},
                        {"ownerReferences",
                         {{{"apiVersion", "batch/v1"},
                           {"kind", "Job"},
                           {"name", name},
                           {"uid", uid},
                           {"controller", true},
                           {"blockOwnerDeletion", true}}}}}},
                      {"spec", field::map(tmpl, "spec")}};
          if (const auto& annotations = field::map(tmpl_meta, "annotations");
              !annotations.empty()) {
            pod["metadata"]["annotations"] = annotations;
          }
          pod["spec"]["nodeName"] = options_.node_name;
          if (store_.create(pods_, ns, std::move(pod)).ok()) ++active;
        }
        if (deadline) *next = std::min(*next, *deadline);
      }
    }
  }

  // batch/v1 omits zero counts, except ready and terminating.
  const auto count = [&](const char* key, std::int64_t value) {
    if (value > 0) {
      status[key] = value;
    } else {
      status.erase(key);
    }
  };
  count("active", active);
  count("succeeded", succeeded);
  count("failed", failed);
  status["ready"] = ready;
  status["terminating"] = terminating;
  json next_uncounted = json::object();
  for (const char* kind : {"succeeded", "failed"}) {
    if (!counted_now[kind].empty()) next_uncounted[kind] = counted_now[kind];
  }
  status["uncountedTerminatedPods"] = next_uncounted;
  if (status != old_status) {
    const auto written = store_.change_same(
        jobs_, job, [&](json& current) { current["status"] = status; }, /*status_only=*/true);
    if (!written.ok()) return;  // not counted: keep the finalizers, the next pass retries
  }
  for (const auto* pod : to_release) release(*pod);
}

}  // namespace kopiur::localkube::detail
