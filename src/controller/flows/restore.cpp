// The Restore flow (docs/controller.md, "Restore flow"): Pending -> Resolving (pick the snapshot,
// the repository and the target claim; wait for a source Backup up to policy.waitTimeout) ->
// Restoring (a mover `restore` Job) -> Completed or Failed. Everything it needs to resume is in
// the status and in the Job, named mover_job_name(<restore>, "restore").
#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include <algorithm>
#include <cmath>
#include <regex>

#include "kopiur/api/objects.hpp"
#include "kopiur/controller/config.hpp"
#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/flows.hpp"
#include "kopiur/controller/mover_runs.hpp"
#include "kopiur/controller/repository_access.hpp"
#include "kopiur/controller/restore_source.hpp"
#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::controller::flows {

namespace {

using nlohmann::json;
using std::chrono::system_clock;

constexpr const char* kTargetMount = "/restore";
constexpr const char* kRestoreLabel = "kopiur.io/restore";
// How often a Restore waiting for its source looks again (Backups do not requeue Restores).
constexpr std::chrono::seconds kWaitPoll{10};

const kube::ResourceId& restore_resource() {
  static const kube::ResourceId resource = kube::resource_for("Restore");
  return resource;
}

std::string condition_time(const json& status, const std::string& type) {
  for (const auto& c : status.value("conditions", json::array())) {
    if (c.is_object() && c.value("type", "") == type) return c.value("lastTransitionTime", "");
  }
  return "";
}

// "Restored 3 files, 1 directories and 0 symbolic links (12 B)." -> 3.
std::optional<std::int64_t> files_restored(const json& result) {
  const auto restore = result.is_object() ? result.value("restore", json::object()) : json();
  if (!restore.is_object()) return std::nullopt;
  static const std::regex pattern(R"(^Restored (\d+) files)");
  const std::string summary = restore.value("summary", "");
  std::smatch m;
  if (!std::regex_search(summary, m, pattern)) return std::nullopt;
  return std::stoll(m[1].str());
}

// The claim size for spec.target.pvc without a size: the snapshot's size in whole GiB, >= 1Gi.
std::string default_claim_size(const json& backup) {
  const auto stats = backup.is_object()
                         ? backup.value("status", json::object()).value("stats", json::object())
                         : json::object();
  const auto bytes = stats.is_object() ? stats.value("sizeBytes", std::int64_t{0}) : 0;
  constexpr std::int64_t kGi = std::int64_t{1} << 30;
  return std::to_string(std::max<std::int64_t>(1, (bytes + kGi - 1) / kGi)) + "Gi";
}

// One reconcile of one Restore: the cached object, its decoded spec and the status being built.
class RestoreRun {
 public:
  // `status`: the Restore's current status (from the API server when it could be read).
  RestoreRun(FlowEnv& env, ReconcileContext& context, api::Restore restore, json status)
      : env_(env),
        context_(context),
        restore_(std::move(restore)),
        object_(context.object()),
        ns_(namespace_of(object_)),
        name_(name_of(object_)),
        job_(mover_job_name(name_, "restore")),
        status_(std::move(status)) {
    status_["observedGeneration"] = generation_of(object_);
  }

  ReconcileResult reconcile();

 private:
  ReconcileResult resolve_and_run();
  ReconcileResult wait_or_give_up(const SnapshotChoice& choice);
  ReconcileResult missing(const SnapshotChoice& choice, const std::string& waited);
  ReconcileResult follow(const MoverObservation& seen);
  ReconcileResult start_job(const RepositoryAccess& access, const std::string& claim,
                            const std::string& snapshot_id);
  ReconcileResult completed(const MoverObservation& seen);
  ReconcileResult failed(const MoverObservation& seen);
  std::variant<std::string, ReconcileError> ensure_target(const json& backup);
  std::optional<api::RepositoryRef> repository_ref(const json& backup) const;
  ReconcileResult blocked(const ReconcileError& error);
  ReconcileResult write(ReconcileResult result);

  void ready(bool value, const std::string& reason, const std::string& message) {
    set_condition(status_, "Ready", value, reason, message, env_.now(), generation_of(object_));
  }

  FlowEnv& env_;
  ReconcileContext& context_;
  api::Restore restore_;
  const json& object_;
  std::string ns_, name_, job_;
  json status_;
};

ReconcileResult RestoreRun::write(ReconcileResult result) {
  if (auto error = write_status(env_, context_, restore_resource(), status_)) return *error;
  return result;
}

ReconcileResult RestoreRun::blocked(const ReconcileError& error) {
  status_["phase"] = "Resolving";
  ready(false, error.reason, error.note);
  if (auto write_error = write_status(env_, context_, restore_resource(), status_))
    return *write_error;
  return error;
}

ReconcileResult RestoreRun::reconcile() {
  if (status_.value("phase", "") == "Restoring") {
    // The Job may have finished while nobody watched: read it before resolving anything again
    // (the source Backup may be gone by now, the snapshot is in status.resolvedSnapshotID).
    auto seen = observe_mover(env_, ns_, job_);
    if (!seen.ok()) {
      return ReconcileError::from_api(seen.error(), "JobUnavailable", "cannot read Job " + job_,
                                      "check the controller's RBAC for Jobs and Pods");
    }
    if (seen->state != MoverState::kNotFound) return follow(*seen);
  }
  return resolve_and_run();
}

ReconcileResult RestoreRun::resolve_and_run() {
  const auto& source = restore_.spec.source;
  SnapshotChoice choice;
  const ObjectCache* backups = env_.runtime->cache("Backup");
  if (source.backup_ref) {
    auto cached = backups->get(ns_, source.backup_ref->name);
    choice = pick_backup(cached.get(), ns_, source.backup_ref->name);
  } else if (source.from_config) {
    const auto& from = *source.from_config;
    std::optional<system_clock::time_point> as_of;
    if (from.as_of) {
      as_of = parse_rfc3339(*from.as_of);
      if (!as_of) {
        return blocked(ReconcileError::structural(
            "InvalidSpec", "spec.source.fromConfig.asOf: \"" + *from.as_of +
                               "\" is not an RFC 3339 time such as 2026-01-31T23:00:00Z"));
      }
    }
    choice = pick_from_config(backups->list(), from.namespace_.value_or(ns_), from.name, as_of,
                              from.offset.value_or(0));
  } else if (source.snapshot) {
    // A raw snapshot ID: whether it exists only the restore Job can tell (kopia's own error).
    // A Backup that tracks it (a Discovered one, say) only sizes a claim the Restore creates.
    choice.snapshot_id = source.snapshot->id;
    if (auto tracked = backup_with_snapshot(backups->list(), choice.snapshot_id)) {
      choice.backup = *tracked;
    }
  }
  if (choice.snapshot_id.empty()) return wait_or_give_up(choice);

  status_["resolvedSnapshotID"] = choice.snapshot_id;
  set_condition(status_, "SourceResolved", true, "Resolved",
                source.snapshot
                    ? "snapshot " + choice.snapshot_id + " named by spec.source.snapshot"
                    : "snapshot " + choice.snapshot_id + " of Backup " +
                          namespace_of(choice.backup) + "/" + name_of(choice.backup),
                env_.now(), generation_of(object_));
  const auto ref = repository_ref(choice.backup);
  if (!ref) {
    return blocked(ReconcileError::structural(
        "RepositoryUnknown", "Backup " + name_of(choice.backup) +
                                 " does not say which repository holds its snapshot "
                                 "(status.resolved.repository); set spec.repository"));
  }
  auto access = resolve_repository(env_, *ref, ns_, true);
  if (auto* error = std::get_if<ReconcileError>(&access)) return blocked(*error);
  auto claim = ensure_target(choice.backup);
  if (auto* error = std::get_if<ReconcileError>(&claim)) return blocked(*error);

  auto seen = observe_mover(env_, ns_, job_);
  if (!seen.ok()) {
    return ReconcileError::from_api(seen.error(), "JobUnavailable", "cannot read Job " + job_,
                                    "check the controller's RBAC for Jobs and Pods");
  }
  if (seen->state != MoverState::kNotFound) return follow(*seen);
  return start_job(std::get<RepositoryAccess>(access), std::get<std::string>(claim),
                   choice.snapshot_id);
}

ReconcileResult RestoreRun::wait_or_give_up(const SnapshotChoice& choice) {
  status_["phase"] = "Resolving";
  status_.erase("resolvedSnapshotID");
  const auto now = env_.now();
  set_condition(status_, "SourceResolved", false, "WaitingForSource", choice.why_not, now,
                generation_of(object_));
  ready(false, "WaitingForSource", choice.why_not);
  std::chrono::milliseconds timeout{0};
  std::string timeout_text = "0s";
  if (restore_.spec.policy && restore_.spec.policy->wait_timeout) {
    timeout_text = *restore_.spec.policy->wait_timeout;
    const auto parsed = parse_duration(timeout_text);
    if (!parsed) {
      return blocked(ReconcileError::structural(
          "InvalidSpec",
          "spec.policy.waitTimeout: expected a duration such as 30s, 10m or 1h, "
          "got \"" +
              timeout_text + "\""));
    }
    timeout = *parsed;
  }
  // The wait started when SourceResolved turned False (its lastTransitionTime).
  const auto since = parse_rfc3339(condition_time(status_, "SourceResolved")).value_or(now);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - since);
  if (!choice.can_appear || waited >= timeout) return missing(choice, timeout_text);
  const auto remaining = timeout - waited;
  return write(
      Action::requeue_after(std::min<std::chrono::steady_clock::duration>(kWaitPoll, remaining)));
}

ReconcileResult RestoreRun::missing(const SnapshotChoice& choice, const std::string& waited) {
  const bool keep_going = restore_.spec.policy && restore_.spec.policy->on_missing_snapshot ==
                                                      api::MissingSnapshotPolicy::kContinue;
  const std::string why =
      "no snapshot to restore: " + choice.why_not +
      (choice.can_appear ? " after waiting " + waited + " (spec.policy.waitTimeout)" : "");
  set_condition(status_, "SourceResolved", false, "SnapshotNotFound", why, env_.now(),
                generation_of(object_));
  json timing = status_.value("timing", json::object());
  timing["completionTime"] = rfc3339(env_.now());
  status_["timing"] = timing;
  if (keep_going) {
    status_["phase"] = "Completed";
    const std::string note =
        why + "; nothing was restored (spec.policy.onMissingSnapshot: Continue)";
    ready(true, "NothingRestored", note);
    event(env_, object_, kube::EventType::kNormal, "NothingRestored", "Restore", note);
  } else {
    status_["phase"] = "Failed";
    const std::string note = why +
                             " (spec.policy.onMissingSnapshot: Fail); check the source, or set "
                             "spec.policy.waitTimeout to wait for a Backup still running";
    ready(false, "SnapshotNotFound", note);
    event(env_, object_, kube::EventType::kWarning, "SnapshotNotFound", "Restore", note);
  }
  return write(Action::done());
}

std::optional<api::RepositoryRef> RestoreRun::repository_ref(const json& backup) const {
  if (restore_.spec.repository) return restore_.spec.repository;
  if (const auto& snapshot = restore_.spec.source.snapshot) return snapshot->repository;
  const auto resolved = backup.value("status", json::object()).value("resolved", json::object());
  const auto ref = resolved.is_object() ? resolved.value("repository", json()) : json();
  if (!ref.is_object() || ref.value("name", "").empty()) return std::nullopt;
  api::RepositoryRef out;
  out.kind = ref.value("kind", "Repository") == "ClusterRepository"
                 ? api::RepositoryKind::kClusterRepository
                 : api::RepositoryKind::kRepository;
  out.name = ref.value("name", "");
  // A Repository the Backup wrote to defaults to the Backup's namespace, not the Restore's.
  out.namespace_ = ref.value("namespace", namespace_of(backup));
  return out;
}

std::variant<std::string, ReconcileError> RestoreRun::ensure_target(const json& backup) {
  const auto& target = restore_.spec.target;
  const auto& pvcs = kube::resources::kPersistentVolumeClaims;
  const std::string claim = target.pvc_ref ? target.pvc_ref->name : target.pvc->name;
  const std::string what = "PersistentVolumeClaim " + ns_ + "/" + claim;
  auto got = env_.client.get(pvcs, ns_, claim);
  if (got.ok()) {
    if (target.pvc_ref) return claim;
    const auto labels = got->value("metadata", json::object()).value("labels", json::object());
    if (labels.value(kRestoreLabel, "") == name_) return claim;
    return ReconcileError::structural(
        "TargetClaimExists", what +
                                 " (spec.target.pvc) already exists and was not created by "
                                 "this Restore; restore into it with spec.target.pvcRef or "
                                 "pick a new name");
  }
  if (!got.error().is_not_found()) {
    return ReconcileError::from_api(got.error(), "TargetClaimUnavailable", "cannot read " + what,
                                    "check the controller's RBAC for PersistentVolumeClaims");
  }
  if (target.pvc_ref) {
    return ReconcileError::structural("TargetClaimNotFound",
                                      what +
                                          " (spec.target.pvcRef) does not exist; create it, or use "
                                          "spec.target.pvc to have the Restore create one");
  }
  const auto& wanted = *target.pvc;
  json spec = {{"accessModes", wanted.access_modes.empty() ? json::array({"ReadWriteOnce"})
                                                           : json(wanted.access_modes)},
               {"resources",
                {{"requests", {{"storage", wanted.size.value_or(default_claim_size(backup))}}}}}};
  if (wanted.storage_class_name) spec["storageClassName"] = *wanted.storage_class_name;
  const json pvc = {
      {"apiVersion", "v1"},
      {"kind", "PersistentVolumeClaim"},
      {"metadata",
       {{"name", claim},
        {"namespace", ns_},
        {"labels", {{"app.kubernetes.io/managed-by", "kopiur"}, {kRestoreLabel, name_}}}}},
      {"spec", spec}};
  auto made = env_.client.create(pvcs, ns_, pvc);
  if (!made.ok() && !made.error().is_already_exists()) {
    return ReconcileError::from_api(made.error(), "TargetClaimNotCreated", "cannot create " + what,
                                    "check spec.target.pvc and the controller's RBAC");
  }
  if (made.ok()) {
    event(env_, object_, kube::EventType::kNormal, "TargetClaimCreated", "Restore",
          "created " + what + " to restore into");
  }
  return claim;
}

ReconcileResult RestoreRun::start_job(const RepositoryAccess& access, const std::string& claim,
                                      const std::string& snapshot_id) {
  MoverJobRequest request;
  request.operation = "restore";
  request.job_name = job_;
  request.owner = {{"apiVersion", object_.value("apiVersion", "")},
                   {"kind", "Restore"},
                   {"metadata", object_.value("metadata", json::object())}};
  request.work_spec = {{"operation", "restore"},
                       {"repository", access.work_spec_repository},
                       {"object", {{"kind", "Restore"}, {"namespace", ns_}, {"name", name_}}},
                       {"restore", {{"snapshotId", snapshot_id}, {"targetPath", kTargetMount}}}};
  if (const auto& id = restore_.spec.source.identity) {
    json identity = json::object();
    if (id->hostname) identity["hostname"] = *id->hostname;
    if (id->username) identity["username"] = *id->username;
    if (!identity.empty()) request.work_spec["identity"] = identity;
  }
  request.secret_files = access.secret_files;
  request.volumes = access.volumes;
  request.volume_mounts = access.volume_mounts;
  request.volumes.push_back(
      {{"name", "target"}, {"persistentVolumeClaim", {{"claimName", claim}}}});
  request.volume_mounts.push_back({{"name", "target"}, {"mountPath", kTargetMount}});
  request.traceparent = telemetry::current_traceparent();
  if (const auto& limits = restore_.spec.failure_policy) {
    request.backoff_limit = limits->backoff_limit.value_or(request.backoff_limit);
    request.active_deadline_seconds =
        limits->active_deadline_seconds.value_or(request.active_deadline_seconds);
  }
  if (auto started = start_mover(env_, request); !started.ok()) {
    return ReconcileError::from_api(started.error(), "JobNotCreated",
                                    "cannot start the restore Job " + job_,
                                    "check the controller's RBAC for Jobs and Secrets");
  }
  status_["phase"] = "Restoring";
  json timing = status_.value("timing", json::object());
  timing["startTime"] = rfc3339(env_.now());
  status_["timing"] = timing;
  ready(false, "Restoring", "Job " + job_ + " restores snapshot " + snapshot_id + " into " + claim);
  event(env_, object_, kube::EventType::kNormal, "RestoreStarted", "Restore",
        "Job " + job_ + " restores snapshot " + snapshot_id + " into claim " + claim);
  return write(Action::done());
}

ReconcileResult RestoreRun::follow(const MoverObservation& seen) {
  switch (seen.state) {
    case MoverState::kSucceeded:
      return completed(seen);
    case MoverState::kFailed:
      return failed(seen);
    default:
      break;
  }
  status_["phase"] = "Restoring";
  if (!status_.contains("timing")) status_["timing"] = {{"startTime", rfc3339(env_.now())}};
  return write(Action::done());  // the Job's changes requeue the Restore
}

ReconcileResult RestoreRun::completed(const MoverObservation& seen) {
  const auto now = env_.now();
  json timing = status_.value("timing", json::object());
  // The Job's own times (the mover's result), else what the controller saw.
  if (!seen.start_time.empty()) timing["startTime"] = seen.start_time;
  timing["completionTime"] = seen.end_time.empty() ? rfc3339(now) : seen.end_time;
  const auto start = parse_rfc3339(timing.value("startTime", "")).value_or(now);
  const auto end = parse_rfc3339(timing.value("completionTime", "")).value_or(now);
  const auto seconds =
      std::max<std::int64_t>(0, std::llround(std::chrono::duration<double>(end - start).count()));
  timing["durationSeconds"] = seconds;
  status_["timing"] = timing;
  status_["phase"] = "Completed";
  status_.erase("logTail");
  if (auto files = files_restored(seen.result)) status_["progress"] = {{"filesRestored", *files}};
  const std::string id = status_.value("resolvedSnapshotID", "");
  ready(true, "Completed", "snapshot " + id + " restored by Job " + job_);
  env_.metrics().restore_duration_seconds.set(seconds, {{"namespace", ns_}, {"name", name_}});
  event(env_, object_, kube::EventType::kNormal, "Restored", "Restore",
        "snapshot " + id + " restored in " + std::to_string(seconds) + " s");
  return write(Action::done());
}

ReconcileResult RestoreRun::failed(const MoverObservation& seen) {
  json timing = status_.value("timing", json::object());
  if (!seen.start_time.empty()) timing["startTime"] = seen.start_time;
  timing["completionTime"] = seen.end_time.empty() ? rfc3339(env_.now()) : seen.end_time;
  status_["timing"] = timing;
  status_["phase"] = "Failed";
  if (!seen.log_tail.empty()) status_["logTail"] = seen.log_tail;
  // kopia found no such snapshot (the mover's error class NotFound): say which and where to look.
  const auto error = seen.result.is_object() ? seen.result.value("error", json::object()) : json();
  const bool not_found = error.is_object() && error.value("class", "") == "NotFound";
  const std::string id = status_.value("resolvedSnapshotID", "");
  std::string hint;
  if (not_found && restore_.spec.source.snapshot) {
    hint = "; snapshot " + id +
           " is not in the repository: check spec.source.snapshot.id (kopia snapshot list "
           "prints the IDs there)";
  } else if (not_found) {
    hint = "; snapshot " + id + " is no longer in the repository (deleted outside kopiur?)";
  }
  const std::string note = "the restore Job " + job_ + " failed: " + seen.failure + hint +
                           "; kubectl logs job/" + job_ + " -n " + ns_ +
                           " has the whole log. Create a new Restore to try again";
  const char* reason = not_found ? "SnapshotNotFound" : "RestoreFailed";
  ready(false, reason, note);
  event(env_, object_, kube::EventType::kWarning, reason, "Restore", note);
  return write(Action::done());
}

bool restore_finished(const std::string& phase) {
  return phase == "Completed" || phase == "Failed";
}

// A finished Restore only refreshes its gauge (after a controller restart the series is gone).
void reseed_restore_gauge(const FlowEnv& env, const json& object) {
  const auto timing = object.value("status", json::object()).value("timing", json::object());
  if (!timing.is_object() || !timing.contains("durationSeconds")) return;
  const auto seconds = timing.value("durationSeconds", std::int64_t{0});
  env.metrics().restore_duration_seconds.set(
      seconds, {{"namespace", namespace_of(object)}, {"name", name_of(object)}});
}

}  // namespace

ReconcileResult restore(FlowEnv& env, ReconcileContext& context) {
  const json& object = context.object();
  if (being_deleted(object)) return Action::done();
  if (phase_of_status(object) == "Completed") reseed_restore_gauge(env, object);
  if (restore_finished(phase_of_status(object))) return Action::done();
  // The status this flow wrote last may not be in the cache yet (a Job that ends fast requeues
  // the Restore before the watch delivers that write): a running Restore works from the server's.
  json status = object.value("status", json::object());
  if (auto fresh = env.client.get(restore_resource(), namespace_of(object), name_of(object));
      fresh.ok() && fresh->contains("status") && (*fresh)["status"].is_object()) {
    status = (*fresh)["status"];
  }
  if (!status.is_object()) status = json::object();
  const std::string phase = status.value("phase", "");
  if (restore_finished(phase)) {
    context.report_status(status);  // the phase gauge follows the server, not the lagging cache
    return Action::done();
  }
  api::Restore decoded;
  if (auto errors = api::read_object(object, decoded); !errors.empty()) {
    const auto error = spec_error("Restore", errors);
    if (phase.empty()) status["phase"] = "Pending";
    set_condition(status, "Ready", false, error.reason, error.note, env.now(),
                  generation_of(object));
    if (auto write_error = write_status(env, context, restore_resource(), status))
      return *write_error;
    return error;
  }
  if (phase.empty()) {
    status["phase"] = "Pending";
    status["observedGeneration"] = generation_of(object);
    set_condition(status, "Ready", false, "Pending", "resolving the source snapshot", env.now(),
                  generation_of(object));
    if (auto write_error = write_status(env, context, restore_resource(), status))
      return *write_error;
    return Action::requeue_after(std::chrono::steady_clock::duration::zero());
  }
  KOPIUR_DEBUG("reconciling", telemetry::log::kv("phase", phase));
  return RestoreRun(env, context, std::move(decoded), std::move(status)).reconcile();
}

}  // namespace kopiur::controller::flows
