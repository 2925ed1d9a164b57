#include "localkube/detail/job_controller.hpp"

#include <algorithm>
#include <set>

#include "localkube/detail/json_access.hpp"
#include "localkube/detail/managed_fields.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;
using Clock = std::chrono::system_clock;

constexpr const char* kTracking = "batch.kubernetes.io/job-tracking";
// Who the Job controller's writes are in managedFields, as in a cluster.
constexpr const char* kControllerManager = "kube-controller-manager";
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
      tracked_change(pods_, kControllerManager, /*status_only=*/false,
                     [](json& current) {
                       json kept = json::array();
                       for (const auto& f : field::list(meta_of(current), "finalizers")) {
                         if (!(f.is_string() && f.get<std::string>() == kTracking)) {
                           kept.push_back(f);
                         }
                       }
                       current["metadata"]["finalizers"] = kept;
                     }),
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

void LocalJobController::sync_job(const json& job, const Pods& mine, Clock::time_point now,
                                  Clock::time_point* next) {
  const json old_status = field::map(job, "status");
  json status = old_status;
  Tally counts = tally(status, mine, now);
  if (has_condition(old_status, "Complete") || has_condition(old_status, "Failed")) {
    if (!sync_finished(job, mine, counts, now, next)) return;
  } else if (!deleting(job)) {
    const auto& spec = field::map(job, "spec");
    if (field::flag(spec, "suspend")) {
      delete_active(field::text(meta_of(job), "namespace"), mine, counts);
      set_condition(status, "Suspended", true, "JobSuspended", "Job suspended");
    } else {
      sync_running(job, status, mine, counts, now, next);
    }
  }
  write_status(job, old_status, std::move(status), counts);
}

// Counts each pod once, when it ends; its uid stays in uncountedTerminatedPods until the
// tracking finalizer is released (after the status write).
LocalJobController::Tally LocalJobController::tally(const json& status, const Pods& mine,
                                                    Clock::time_point now) {
  const json& uncounted = field::map(status, "uncountedTerminatedPods");
  Tally t;
  t.counted_now = {{"succeeded", json::array()}, {"failed", json::array()}};
  t.succeeded = field::integer(status, "succeeded", 0);
  t.failed = field::integer(status, "failed", 0);
  for (const auto* pod : mine) {
    const auto pod_uid = uid_of(*pod);
    const bool ok = phase_of(*pod) == "Succeeded";
    if (finished(*pod)) {
      if (!ok) {
        const auto seen = failure_seen_.emplace(pod_uid, now).first->second;
        const auto at = std::max(seen, pod_finished_at(*pod).value_or(seen));
        t.last_failure = t.last_failure ? std::max(*t.last_failure, at) : at;
      }
      if (tracked(*pod)) {
        const char* kind = ok ? "succeeded" : "failed";
        if (!contains(field::list(uncounted, kind), pod_uid)) (ok ? t.succeeded : t.failed) += 1;
        t.counted_now[kind].push_back(pod_uid);
        t.to_release.push_back(pod);
      }
    } else if (deleting(*pod)) {
      ++t.terminating;
    } else {
      ++t.active;
      if (pod_ready(*pod)) ++t.ready;
    }
  }
  return t;
}

void LocalJobController::delete_active(const std::string& ns, const Pods& mine, Tally& t) {
  for (const auto* pod : mine) {
    if (!finished(*pod) && !deleting(*pod)) {
      (void)store_.remove(pods_, ns, name_of(*pod));
      --t.active;
      ++t.terminating;
    }
  }
  t.active = std::max<std::int64_t>(t.active, 0);
  t.ready = 0;
}

bool LocalJobController::sync_finished(const json& job, const Pods& mine, Tally& t,
                                       Clock::time_point now, Clock::time_point* next) {
  const auto& status = field::map(job, "status");
  const auto& spec = field::map(job, "spec");
  const auto ns = field::text(meta_of(job), "namespace");
  const bool complete = has_condition(status, "Complete");
  if (has_condition(status, "Failed")) delete_active(ns, mine, t);
  if (!spec.contains("ttlSecondsAfterFinished")) return true;
  const auto finished_at = complete ? parse_rfc3339(field::text(status, "completionTime"))
                                    : condition_time(status, "Failed");
  if (!finished_at) return true;
  const auto due = *finished_at + user_seconds(field::integer(spec, "ttlSecondsAfterFinished", 0));
  if (now >= due) {
    (void)store_.remove(jobs_, ns, name_of(job));  // its pods follow (collect_orphans)
    return false;
  }
  *next = std::min(*next, due);
  return true;
}

void LocalJobController::sync_running(const json& job, json& status, const Pods& mine, Tally& t,
                                      Clock::time_point now, Clock::time_point* next) {
  const auto& spec = field::map(job, "spec");
  const auto ns = field::text(meta_of(job), "namespace");
  if (has_condition(status, "Suspended")) {
    set_condition(status, "Suspended", false, "JobResumed", "Job resumed");
    status["startTime"] = now_rfc3339();  // the deadline counts from the resumption
  }
  if (!status["startTime"].is_string()) status["startTime"] = now_rfc3339();
  const auto started = parse_rfc3339(status["startTime"].get<std::string>()).value_or(now);
  const bool has_completions = spec.contains("completions") && !spec["completions"].is_null();
  std::optional<Clock::time_point> deadline;
  if (spec.contains("activeDeadlineSeconds")) {
    deadline = started + user_seconds(field::integer(spec, "activeDeadlineSeconds", 0));
  }
  const auto fail = [&](const char* reason, const char* message) {
    delete_active(ns, mine, t);
    set_condition(status, "FailureTarget", true, reason, message);
    set_condition(status, "Failed", true, reason, message);
  };
  // A work queue (no completions) is done once one pod succeeded and none still runs.
  const bool done = has_completions ? t.succeeded >= field::integer(spec, "completions", 1)
                                    : t.succeeded > 0 && t.active == 0 && t.terminating == 0;
  if (t.failed > field::integer(spec, "backoffLimit", 6)) {
    fail("BackoffLimitExceeded", "Job has reached the specified backoff limit");
  } else if (deadline && now >= *deadline) {
    fail("DeadlineExceeded", "Job was active longer than specified deadline");
  } else if (done) {
    set_condition(status, "SuccessCriteriaMet", true, "CompletionsReached",
                  "Reached expected number of succeeded pods");
    set_condition(status, "Complete", true, "CompletionsReached",
                  "Reached expected number of succeeded pods");
    status["completionTime"] = now_rfc3339();
    delete_active(ns, mine, t);
  } else {
    start_pods(job, pods_wanted(spec, t, now, next), t);
    if (deadline) *next = std::min(*next, *deadline);
  }
}

std::int64_t LocalJobController::pods_wanted(const json& spec, const Tally& t,
                                             Clock::time_point now, Clock::time_point* next) const {
  const bool has_completions = spec.contains("completions") && !spec["completions"].is_null();
  const auto completions = field::integer(spec, "completions", 1);
  const auto parallelism = field::integer(spec, "parallelism", 1);
  const auto wanted = has_completions ? std::min(parallelism, completions - t.succeeded) - t.active
                                      : (t.succeeded > 0 ? 0 : parallelism - t.active);
  if (wanted > 0 && t.failed > 0 && t.last_failure) {
    auto delay = options_.backoff_base;
    for (std::int64_t i = 1; i < t.failed && delay < options_.backoff_max; ++i) delay *= 2;
    delay = std::min(delay, options_.backoff_max);
    const auto due = *t.last_failure + std::chrono::duration_cast<Clock::duration>(delay);
    if (now < due) {
      *next = std::min(*next, due);
      return 0;
    }
  }
  return wanted;
}

void LocalJobController::start_pods(const json& job, std::int64_t count, Tally& t) {
  const auto ns = field::text(meta_of(job), "namespace");
  const auto name = name_of(job);
  const auto& tmpl = field::map(field::map(job, "spec"), "template");
  const auto& tmpl_meta = field::map(tmpl, "metadata");
  for (; count > 0; --count) {
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
                     {"uid", uid_of(job)},
                     {"controller", true},
                     {"blockOwnerDeletion", true}}}}}},
                {"spec", field::map(tmpl, "spec")}};
    if (const auto& annotations = field::map(tmpl_meta, "annotations"); !annotations.empty()) {
      pod["metadata"]["annotations"] = annotations;
    }
    pod["spec"]["nodeName"] = options_.node_name;
    if (store_.create(pods_, ns, tracked_create(pods_, kControllerManager, std::move(pod))).ok()) {
      ++t.active;
    }
  }
}

void LocalJobController::write_status(const json& job, const json& old_status, json status,
                                      const Tally& t) {
  // batch/v1 omits zero counts, except ready and terminating.
  const auto count = [&](const char* key, std::int64_t value) {
    if (value > 0) {
      status[key] = value;
    } else {
      status.erase(key);
    }
  };
  count("active", t.active);
  count("succeeded", t.succeeded);
  count("failed", t.failed);
  status["ready"] = t.ready;
  status["terminating"] = t.terminating;
  json next_uncounted = json::object();
  for (const char* kind : {"succeeded", "failed"}) {
    if (!t.counted_now[kind].empty()) next_uncounted[kind] = t.counted_now[kind];
  }
  status["uncountedTerminatedPods"] = next_uncounted;
  if (status != old_status) {
    const auto written =
        store_.change_same(jobs_, job,
                           tracked_change(jobs_, kControllerManager, /*status_only=*/true,
                                          [&](json& current) { current["status"] = status; }),
                           /*status_only=*/true);
    if (!written.ok()) return;  // not counted: keep the finalizers, the next pass retries
  }
  for (const auto* pod : t.to_release) release(*pod);
}

}  // namespace kopiur::localkube::detail
