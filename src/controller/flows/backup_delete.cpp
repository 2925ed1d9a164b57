// A Backup being deleted (docs/controller.md, "Backup and BackupConfig flows", "Deletion"): its
// kopia snapshot is deleted by a mover `snapshot-delete` Job unless the deletion policy keeps it,
// then the kopiur.io/snapshot-cleanup finalizer goes.
//
// A failed delete Job is counted (kopiur_snapshot_deletion_failures_total), announced by a
// Warning Event saying how to force the deletion, deleted, and retried after a backoff that
// doubles per attempt. The attempt count (status.job.attempts) and the time of the last failure
// (the SnapshotDeleted condition's lastTransitionTime: Unknown while a Job runs, False once it
// failed) live in the status, so the backoff survives a restart and the Job's own deletion event
// (which requeues the Backup at once) does not shortcut it.
#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include <algorithm>

#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/mover_runs.hpp"
#include "kopiur/controller/repository_access.hpp"
#include "kopiur/controller/runtime.hpp"
#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/log/log.hpp"

#include "backup_support.hpp"

namespace kopiur::controller::backup_detail {

namespace {

namespace log = telemetry::log;
using nlohmann::json;

constexpr const char* kCondition = "SnapshotDeleted";
constexpr std::chrono::seconds kRetryBase{10};
constexpr std::chrono::seconds kRetryMax{std::chrono::minutes(10)};

std::chrono::seconds retry_delay(std::int64_t attempts) {
  auto delay = kRetryBase;
  for (std::int64_t i = 1; i < attempts && delay < kRetryMax; ++i) delay *= 2;
  return std::min(delay, kRetryMax);
}

const json* find_condition(const json& status, const std::string& type) {
  if (!status.is_object() || !status.contains("conditions")) return nullptr;
  for (const auto& c : status["conditions"]) {
    if (c.is_object() && c.value("type", "") == type) return &c;
  }
  return nullptr;
}

// set_condition() for the Unknown state (a delete Job running).
void set_unknown(json& status, const std::string& reason, const std::string& message,
                 std::chrono::system_clock::time_point now) {
  json& list = status["conditions"];
  if (!list.is_array()) list = json::array();
  for (auto& c : list) {
    if (c.value("type", "") != kCondition) continue;
    if (c.value("status", "") != "Unknown") c["lastTransitionTime"] = rfc3339(now);
    c["status"] = "Unknown";
    c["reason"] = reason;
    c["message"] = message;
    return;
  }
  list.push_back({{"type", kCondition},
                  {"status", "Unknown"},
                  {"reason", reason},
                  {"message", message},
                  {"lastTransitionTime", rfc3339(now)}});
}

std::string force_hint(const std::string& ns, const std::string& name) {
  return "to delete the Backup and keep its snapshot: kubectl annotate backup -n " + ns + " " +
         name + " " + kSkipCleanupAnnotation + "=true";
}

struct Deletion {
  FlowEnv& env;
  ReconcileContext& context;
  const json& object;
  std::string ns;
  std::string name;
  json status;

  std::optional<ReconcileError> write() {
    return write_status(env, context, kube::resource_for("Backup"), status);
  }
};

// Removes the finalizer guarded by the cached resourceVersion, so a reconcile working from a
// stale copy cannot remove it (and count) a second time. Returns whether this call removed it.
std::variant<bool, ReconcileError> release(const Deletion& d) {
  json list = json::array();
  for (const auto& f : d.object["metadata"].value("finalizers", json::array())) {
    if (!(f.is_string() && f.get<std::string>() == kSnapshotFinalizer)) list.push_back(f);
  }
  const json patch = {{"metadata",
                       {{"finalizers", list},
                        {"resourceVersion", d.object["metadata"].value("resourceVersion", "")}}}};
  auto done = d.env.client.patch(kube::resource_for("Backup"), d.ns, d.name, patch,
                                 kube::PatchType::kMerge);
  if (done.ok()) return true;
  if (done.error().is_not_found()) return false;
  return ReconcileError::from_api(done.error(), "FinalizerUpdateFailed",
                                  "cannot remove the finalizer of Backup " + d.name,
                                  "check the controller's RBAC (update on backups)");
}

ReconcileResult released(const Deletion& d, bool orphaned) {
  auto removed = release(d);
  if (auto* error = std::get_if<ReconcileError>(&removed)) return *error;
  if (orphaned && std::get<bool>(removed)) {
    d.env.metrics().orphaned_snapshots.add(1, {{"namespace", d.ns}});
  }
  return Action::done();
}

ReconcileResult delete_failed(Deletion& d, const std::string& job, const MoverObservation& seen) {
  // The failed Job goes first: once it is gone a later reconcile cannot count it again.
  if (auto gone = delete_mover(d.env, d.ns, job); !gone.ok()) {
    return ReconcileError::from_api(gone.error(), "JobDeleteFailed",
                                    "cannot delete the failed Job " + job,
                                    "check the controller's RBAC for Jobs");
  }
  d.env.metrics().snapshot_deletion_failures.add(1, {{"namespace", d.ns}});
  const std::int64_t attempts =
      std::max<std::int64_t>(1, d.status.value("job", json::object()).value("attempts", 1));
  const auto delay = retry_delay(attempts);
  const std::string note = "deleting the snapshot failed (attempt " + std::to_string(attempts) +
                           "): " + (seen.failure.empty() ? "the Job failed" : seen.failure) +
                           "; retrying in " + std::to_string(delay.count()) + "s; " +
                           force_hint(d.ns, d.name);
  set_condition(d.status, kCondition, false, "DeletionFailed", note, d.env.now());
  if (!seen.log_tail.empty()) d.status["logTail"] = seen.log_tail;
  if (auto error = d.write()) return *error;
  event(d.env, d.object, kube::EventType::kWarning, "SnapshotDeletionFailed", "DeleteSnapshot",
        note);
  return Action::requeue_after(delay);
}

// The repository of the Backup's config: for a Backup whose status lost `resolved` (a restart
// between its Job's start and the Running status write).
json config_repository(const Deletion& d) {
  const auto ref = d.object.value("spec", json::object()).value("configRef", json::object());
  const ObjectCache* cache = d.env.runtime->cache("BackupConfig");
  auto config = cache != nullptr && ref.is_object()
                    ? cache->get(d.ns, ref.value("name", std::string()))
                    : nullptr;
  if (config == nullptr) return json::object();
  return config->value("spec", json::object()).value("repository", json::object());
}

// No delete Job: start one, unless the last one failed less than its backoff ago.
ReconcileResult start_delete(Deletion& d, const std::string& job, const std::string& snapshot) {
  // The status as the server has it: the cached copy may predate the failure just recorded (the
  // failed Job's deletion requeues the Backup before the status write reaches the cache).
  auto fresh = d.env.client.get(kube::resource_for("Backup"), d.ns, d.name);
  if (!fresh.ok()) {
    if (fresh.error().is_not_found()) return Action::done();
    return ReconcileError::from_api(fresh.error(), "BackupUnavailable",
                                    "cannot read Backup " + d.name, "check the controller's RBAC");
  }
  d.status = fresh->value("status", json::object());
  if (!d.status.is_object()) d.status = json::object();
  d.context.report_status(d.status);  // the phase gauge follows the fresh status
  // status.job counts delete runs once it names the delete Job (before: the backup Job's).
  const json job_status = d.status.value("job", json::object());
  const std::int64_t attempts =
      job_status.value("name", "") == job ? job_status.value("attempts", std::int64_t{0}) : 0;
  if (const json* c = find_condition(d.status, kCondition);
      c != nullptr && c->value("status", "") == "False") {
    const auto failed_at = parse_rfc3339(c->value("lastTransitionTime", ""));
    if (failed_at) {
      const auto due = *failed_at + retry_delay(std::max<std::int64_t>(attempts, 1));
      if (d.env.now() < due) return Action::requeue_after(due - d.env.now());
    }
  }
  json ref = d.status.value("resolved", json::object()).value("repository", json::object());
  if (!ref.is_object() || ref.value("name", "").empty()) ref = config_repository(d);
  api::RepositoryRef repo;
  repo.kind = ref.value("kind", "") == "ClusterRepository" ? api::RepositoryKind::kClusterRepository
                                                           : api::RepositoryKind::kRepository;
  repo.name = ref.value("name", "");
  if (ref.contains("namespace")) repo.namespace_ = ref.value("namespace", "");
  auto access = resolve_repository(d.env, repo, d.ns, false);
  if (auto* error = std::get_if<ReconcileError>(&access)) {
    ReconcileError e = *error;
    e.note += "; " + force_hint(d.ns, d.name);
    return e;
  }
  const auto& a = std::get<RepositoryAccess>(access);
  if (read_only(a.object)) {
    // kopia would refuse the delete: the snapshot stays (counted as orphaned), the Backup goes.
    event(d.env, d.object, kube::EventType::kWarning, "SnapshotKept", "DeleteSnapshot",
          "snapshot " + snapshot + " stays in " + a.kind + " " +
              (a.namespace_.empty() ? "" : a.namespace_ + "/") + a.name +
              ", which is ReadOnly (spec.mode); delete it with kopia once the repository is "
              "writable");
    return released(d, true);
  }
  MoverJobRequest r;
  r.operation = "snapshot-delete";
  r.job_name = job;
  r.owner = job_owner(d.object);
  r.work_spec = {{"operation", "snapshot-delete"},
                 {"repository", a.work_spec_repository},
                 {"object", {{"kind", "Backup"}, {"namespace", d.ns}, {"name", d.name}}},
                 {"snapshotDelete", {{"snapshotId", snapshot}}}};
  r.secret_files = a.secret_files;
  r.traceparent = telemetry::current_traceparent();
  r.volumes = a.volumes;
  r.volume_mounts = a.volume_mounts;
  if (auto started = start_mover(d.env, r); !started.ok()) {
    return ReconcileError::from_api(started.error(), "JobCreateFailed",
                                    "cannot create the snapshot-delete Job " + job,
                                    "check the controller's RBAC for Jobs and Secrets");
  }
  KOPIUR_INFO("snapshot-delete Job started", log::kv("job", job), log::kv("snapshot", snapshot));
  d.status["phase"] = "Deleting";
  d.status["job"] = {{"name", job}, {"attempts", attempts + 1}};
  set_unknown(d.status, "Deleting", "the Job " + job + " is deleting snapshot " + snapshot,
              d.env.now());
  if (auto error = d.write()) return *error;
  return Action::done();
}

}  // namespace

ReconcileResult finalize_backup(FlowEnv& env, ReconcileContext& context) {
  const json& object = context.object();
  if (!has_finalizer(object, kSnapshotFinalizer)) return Action::done();
  Deletion d{env,
             context,
             object,
             namespace_of(object),
             name_of(object),
             object.value("status", json::object())};
  if (!d.status.is_object()) d.status = json::object();
  const auto ref = object.value("spec", json::object()).value("configRef", json::object());
  if (!ref.is_object() || ref.value("name", "").empty()) remove_backup_gauges(env, d.ns, d.name);

  // A backup still running is stopped; its snapshot, if any, was never recorded.
  const std::string phase = d.status.value("phase", "");
  if (phase == "Pending" || phase == "Running") {
    (void)delete_mover(env, d.ns, mover_job_name(d.name, "backup"));
  }
  const std::string snapshot =
      d.status.value("snapshot", json::object()).value("kopiaSnapshotID", std::string());
  if (snapshot.empty()) return released(d, false);

  const auto annotations =
      object.value("metadata", json::object()).value("annotations", json::object());
  const bool skip = annotations.value(kSkipCleanupAnnotation, std::string()) == "true";
  const std::string policy = effective_deletion_policy(env, object);
  if (skip || policy == "Orphan") return released(d, true);
  if (policy == "Retain") return released(d, false);

  const std::string job = mover_job_name(d.name, "delete");
  auto seen = observe_mover(env, d.ns, job);
  if (!seen.ok()) {
    return ReconcileError::from_api(seen.error(), "JobUnavailable",
                                    "cannot read the snapshot-delete Job " + job,
                                    "check the controller's RBAC for Jobs and Pods");
  }
  switch (seen->state) {
    case MoverState::kNotFound:
      return start_delete(d, job, snapshot);
    case MoverState::kRunning:
      return Action::done();
    case MoverState::kFailed:
      // "snapshot not found": an earlier attempt (or someone) deleted it already.
      if (mover_error_class(*seen, "") != "NotFound") {
        return delete_failed(d, job, *seen);
      }
      [[fallthrough]];
    case MoverState::kSucceeded:
      break;
  }
  event(env, object, kube::EventType::kNormal, "SnapshotDeleted", "DeleteSnapshot",
        "snapshot " + snapshot + " deleted by Job " + job);
  return released(d, false);
}

}  // namespace kopiur::controller::backup_detail
