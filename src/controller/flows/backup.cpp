// The Backup flow (docs/controller.md, "Backup and BackupConfig flows"): one mover `backup` Job
// per Backup, Pending -> Running -> Succeeded/Failed, the result read from the Job. Deletion
// (the snapshot-cleanup finalizer) is in backup_delete.cpp; the gauges keyed by BackupConfig are
// computed by the BackupConfig flow from the Backups' status.
#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include <cmath>

#include "kopiur/api/objects.hpp"
#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/flows.hpp"
#include "kopiur/controller/mover_runs.hpp"
#include "kopiur/controller/repository_access.hpp"
#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/log/log.hpp"

#include "backup_support.hpp"

namespace kopiur::controller::flows {

namespace {

namespace log = telemetry::log;
using nlohmann::json;
using namespace backup_detail;

constexpr const char* kCondition = "SnapshotCreated";
constexpr std::size_t kLogTailMax = 4096;

// One reconcile of one Backup: the cached object and the status being built.
struct Run {
  FlowEnv& env;
  ReconcileContext& context;
  const json& object;
  std::string ns;
  std::string name;
  json status;

  void condition(bool value, const std::string& reason, const std::string& message) {
    set_condition(status, kCondition, value, reason, message, env.now(), generation_of(object));
  }
  std::optional<ReconcileError> write() {
    status["observedGeneration"] = generation_of(object);
    return write_status(env, context, kube::resource_for("Backup"), status);
  }
};

std::string origin_of(const json& object) {
  const auto labels = object.value("metadata", json::object()).value("labels", json::object());
  return labels.value(kScheduleLabel, std::string()).empty() ? "manual" : "scheduled";
}

// A reason the run cannot start yet: recorded as the condition, the Backup stays Pending.
ReconcileResult not_started(Run& run, const ReconcileError& error) {
  if (run.status.value("phase", "").empty()) run.status["phase"] = "Pending";
  if (!run.status.contains("origin")) run.status["origin"] = origin_of(run.object);
  run.condition(false, error.reason, error.note);
  if (auto failed = run.write()) return *failed;
  return error;
}

std::optional<std::int64_t> int_field(const json& o, const char* key) {
  const auto it = o.find(key);
  if (it == o.end() || !it->is_number()) return std::nullopt;
  return it->is_number_integer() ? it->get<std::int64_t>()
                                 : static_cast<std::int64_t>(std::llround(it->get<double>()));
}

// timing{startTime, completionTime, durationSeconds} of a finished run: the mover's start, kopia's
// end time when it reported one (the time the snapshot was complete), else the mover's.
void record_timing(Run& run, const MoverObservation& seen, const json& snapshot) {
  json& timing = run.status["timing"];
  if (!timing.is_object()) timing = json::object();
  if (!seen.start_time.empty()) timing["startTime"] = seen.start_time;
  std::string end = result_string(snapshot, "endTime");
  if (end.empty()) end = seen.end_time;
  if (end.empty()) end = rfc3339(run.env.now());
  timing["completionTime"] = end;
  const auto start = parse_rfc3339(timing.value("startTime", std::string()));
  const auto stop = parse_rfc3339(end);
  if (start && stop && *stop >= *start) {
    timing["durationSeconds"] = static_cast<std::int64_t>(
        std::llround(std::chrono::duration<double>(*stop - *start).count()));
  } else if (auto d = int_field(result_member(seen.result, "timing"), "durationSeconds")) {
    timing["durationSeconds"] = *d;
  }
}

ReconcileResult succeeded(Run& run, const MoverObservation& seen) {
  const json& snapshot = result_member(seen.result, "snapshot");
  // kopia's figures by kopia's names; a figure it did not report stays absent. kopia cannot
  // tell new from modified files: hashed (non-cached) files count as new.
  json stats = json::object();
  if (auto v = int_field(snapshot, "sizeBytes")) stats["sizeBytes"] = *v;
  if (auto v = int_field(snapshot, "nonCachedFiles")) stats["filesNew"] = *v;
  if (auto v = int_field(snapshot, "cachedFiles")) stats["filesUnchanged"] = *v;
  run.status["stats"] = stats;
  const json& source = result_member(snapshot, "source");
  json identity = json::object();
  if (auto h = result_string(source, "host"); !h.empty()) identity["hostname"] = h;
  if (auto u = result_string(source, "userName"); !u.empty()) identity["username"] = u;
  if (auto p = result_string(source, "path"); !p.empty()) identity["sourcePath"] = p;
  const std::string id = result_string(snapshot, "id");
  run.status["snapshot"] = {{"kopiaSnapshotID", id}, {"identity", identity}};
  record_timing(run, seen, snapshot);
  run.status["phase"] = "Succeeded";
  run.status["job"]["attempts"] = seen.attempts;
  run.status.erase("logTail");
  run.condition(true, "Succeeded", "snapshot " + id + " created");
  if (auto failed = run.write()) return *failed;
  event(run.env, run.object, kube::EventType::kNormal, "BackupSucceeded", "Backup",
        "snapshot " + id + " created by Job " + run.status["job"].value("name", ""));
  return Action::done();
}

ReconcileResult failed(Run& run, const MoverObservation& seen, const std::string& job) {
  const std::string error_class = mover_error_class(seen, "MoverFailed");
  record_timing(run, seen, json::object());
  run.status["phase"] = "Failed";
  run.status["job"]["attempts"] = seen.attempts;
  if (!seen.log_tail.empty()) {
    const auto& tail = seen.log_tail;
    run.status["logTail"] =
        tail.size() > kLogTailMax ? tail.substr(tail.size() - kLogTailMax) : tail;
  }
  const std::string note = seen.failure.empty() ? "the mover Job " + job + " failed" : seen.failure;
  run.condition(false, error_class, note);
  if (auto failed = run.write()) return *failed;
  event(run.env, run.object, kube::EventType::kWarning, "BackupFailed", "Backup",
        note + " (the whole log: kubectl logs -n " + run.ns + " job/" + job + ")");
  return Action::done();
}

json work_spec(const Run& run, const ResolvedConfig& config, const RepositoryAccess& access,
               const SourceMount& source) {
  json tags = json::object();
  const json spec_tags = run.object.value("spec", json::object()).value("tags", json::object());
  for (const auto& [k, v] : spec_tags.items()) {  // items() must not outlive what it iterates
    if (v.is_string()) tags[k] = v;
  }
  return {{"operation", "backup"},
          {"repository", access.work_spec_repository},
          {"identity", {{"hostname", config.hostname}, {"username", config.username}}},
          {"object", {{"kind", "Backup"}, {"namespace", run.ns}, {"name", run.name}}},
          {"backup",
           {{"sourcePath", source.source_path},
            {"description", "kopiur Backup " + run.ns + "/" + run.name},
            {"tags", tags}}}};
}

MoverJobRequest backup_job(const Run& run, const std::string& job, const ResolvedConfig& config,
                           const RepositoryAccess& access) {
  const SourceMount& source = config.sources.front();
  MoverJobRequest r;
  r.operation = "backup";
  r.job_name = job;
  r.owner = job_owner(run.object);
  r.work_spec = work_spec(run, config, access, source);
  r.secret_files = access.secret_files;
  r.traceparent = telemetry::current_traceparent();
  r.volumes = access.volumes;
  r.volume_mounts = access.volume_mounts;
  r.volumes.push_back({{"name", "source"},
                       {"persistentVolumeClaim", {{"claimName", source.pvc}, {"readOnly", true}}}});
  r.volume_mounts.push_back(
      {{"name", "source"}, {"mountPath", source.source_path}, {"readOnly", true}});
  const auto policy =
      run.object.value("spec", json::object()).value("failurePolicy", json::object());
  if (auto v = int_field(policy, "backoffLimit")) r.backoff_limit = *v;
  if (auto v = int_field(policy, "activeDeadlineSeconds")) r.active_deadline_seconds = *v;
  return r;
}

void mark_running(Run& run, const std::string& job, const ResolvedConfig& config,
                  const RepositoryAccess& access) {
  run.status["phase"] = "Running";
  run.status["origin"] = origin_of(run.object);
  run.status["job"] = {{"name", job}};
  json repo = {{"kind", access.kind}, {"name", access.name}};
  if (!access.namespace_.empty()) repo["namespace"] = access.namespace_;
  json sources = json::array();
  for (const auto& s : config.sources)
    sources.push_back({{"pvc", s.pvc}, {"sourcePath", s.source_path}});
  run.status["resolved"] = {{"repository", repo}, {"sources", sources}};
  if (!run.status.contains("timing") || !run.status["timing"].is_object()) {
    run.status["timing"] = json::object();
  }
  if (!run.status["timing"].contains("startTime"))
    run.status["timing"]["startTime"] = rfc3339(run.env.now());
  run.condition(false, "Running",
                "the mover Job " + job + " is backing up claim " + config.sources.front().pvc +
                    " to " + access.kind + " " + access.name);
}

// Pending: the config and its repository resolved, then the Job started (or found: a restart
// between starting it and writing the status).
ReconcileResult start(Run& run, const std::string& job, bool job_exists) {
  const auto ref = run.object.value("spec", json::object()).value("configRef", json::object());
  const std::string config_name = ref.is_object() ? ref.value("name", "") : "";
  if (config_name.empty()) {
    return not_started(run, ReconcileError::structural(
                                "MissingConfigRef",
                                "spec.configRef.name: required to run a backup; set it to the "
                                "BackupConfig to run"));
  }
  const ObjectCache* cache = run.env.runtime->cache("BackupConfig");
  auto config_object = cache != nullptr ? cache->get(run.ns, config_name) : nullptr;
  if (config_object == nullptr) {
    return not_started(
        run, ReconcileError::structural(
                 "ConfigNotFound", "BackupConfig " + run.ns + "/" + config_name +
                                       " (spec.configRef.name) does not exist; create it or fix "
                                       "spec.configRef"));
  }
  json cluster_repo;
  const auto repo_ref =
      config_object->value("spec", json::object()).value("repository", json::object());
  if (repo_ref.is_object() && repo_ref.value("kind", "") == "ClusterRepository") {
    const ObjectCache* repos = run.env.runtime->cache("ClusterRepository");
    if (auto o = repos != nullptr ? repos->get("", repo_ref.value("name", "")) : nullptr)
      cluster_repo = *o;
  }
  auto resolved = resolve_config(*config_object, cluster_repo);
  if (auto* error = std::get_if<ReconcileError>(&resolved)) return not_started(run, *error);
  const auto& config = std::get<ResolvedConfig>(resolved);
  auto access = resolve_repository(run.env, config.config.spec.repository, run.ns, true);
  if (auto* error = std::get_if<ReconcileError>(&access)) return not_started(run, *error);
  const auto& repo = std::get<RepositoryAccess>(access);
  if (auto refused = refuse_writes(repo, "the backup"); refused && !job_exists) {
    event(run.env, run.object, kube::EventType::kWarning, refused->reason, "Backup", refused->note);
    return not_started(run, *refused);
  }
  if (!job_exists) {
    if (auto started = start_mover(run.env, backup_job(run, job, config, repo)); !started.ok()) {
      return ReconcileError::from_api(started.error(), "JobCreateFailed",
                                      "cannot create the mover Job " + job,
                                      "check the controller's RBAC for Jobs and Secrets");
    }
    KOPIUR_INFO("backup Job started", log::kv("job", job));
  }
  mark_running(run, job, config, repo);
  if (auto failed = run.write()) return *failed;
  return Action::done();
}

// A finished Backup without a BackupConfig keys the gauges by its own name.
void record_own_gauges(Run& run) {
  const auto ref = run.object.value("spec", json::object()).value("configRef", json::object());
  if (ref.is_object() && !ref.value("name", "").empty()) return;
  if (run.status.value("origin", "") == "discovered") return;
  const bool ok = run.status.value("phase", "") == "Succeeded";
  set_backup_gauges(run.env, run.ns, run.name, ok ? std::optional<json>(run.object) : std::nullopt);
}

ReconcileResult reconcile_backup(FlowEnv& env, ReconcileContext& context) {
  const json& object = context.object();
  if (being_deleted(object)) return finalize_backup(env, context);
  Run run{env,
          context,
          object,
          namespace_of(object),
          name_of(object),
          object.value("status", json::object())};
  if (!run.status.is_object()) run.status = json::object();
  api::Backup typed;
  if (auto errors = api::read_object(object, typed); !errors.empty()) {
    const ReconcileError error = spec_error("Backup", errors);
    run.condition(false, error.reason, error.note);
    if (auto failed = run.write()) return *failed;
    return error;
  }
  if (auto error = add_finalizer(env, kube::resource_for("Backup"), object, kSnapshotFinalizer)) {
    return *error;
  }
  const std::string phase = run.status.value("phase", "");
  // A discovered Backup is created before its status is written: its label says what it is.
  const auto labels = object.value("metadata", json::object()).value("labels", json::object());
  if (phase == "Discovered" || labels.value("kopiur.io/origin", "") == "discovered") {
    return Action::done();
  }
  if (phase == "Succeeded" || phase == "Failed") {
    record_own_gauges(run);
    return Action::done();
  }
  const std::string job =
      run.status.value("job", json::object()).value("name", mover_job_name(run.name, "backup"));
  auto seen = observe_mover(env, run.ns, job);
  if (!seen.ok()) {
    return ReconcileError::from_api(seen.error(), "JobUnavailable",
                                    "cannot read the mover Job " + job,
                                    "check the controller's RBAC for Jobs and Pods");
  }
  if (seen->state == MoverState::kSucceeded || seen->state == MoverState::kFailed) {
    // Several Job events follow a run's end; a reconcile working from a cached copy that
    // predates the result already written must not record it (and announce it) again.
    auto fresh = env.client.get(kube::resource_for("Backup"), run.ns, run.name);
    if (fresh.ok()) {
      const std::string now_phase = phase_of_status(*fresh);
      if (now_phase == "Succeeded" || now_phase == "Failed") {
        // The phase gauge follows the reported status, not the stale cached one.
        context.report_status(fresh->value("status", json::object()));
        return Action::done();
      }
    }
  }
  switch (seen->state) {
    case MoverState::kSucceeded:
      run.status["job"]["name"] = job;
      if (result_string(result_member(seen->result, "snapshot"), "id").empty()) {
        seen->state = MoverState::kFailed;
        seen->failure = "the mover Job " + job + " succeeded without reporting a snapshot id";
        return failed(run, *seen, job);
      }
      return succeeded(run, *seen);
    case MoverState::kFailed:
      run.status["job"]["name"] = job;
      return failed(run, *seen, job);
    case MoverState::kRunning:
      if (phase == "Running") return Action::done();
      return start(run, job, true);
    case MoverState::kNotFound:
      break;
  }
  if (phase == "Running") {
    MoverObservation lost;
    lost.failure = "the mover Job " + job +
                   " disappeared before it finished (deleted by hand?); create a new Backup to "
                   "retry";
    return failed(run, lost, job);
  }
  return start(run, job, false);
}

}  // namespace

ReconcileResult backup(FlowEnv& env, ReconcileContext& context) {
  auto result = reconcile_backup(env, context);
  const auto& written = context.reported_status();
  KOPIUR_INFO("reconciled", log::kv("phase", written ? written->value("phase", "")
                                                     : phase_of_status(context.object())));
  return result;
}

}  // namespace kopiur::controller::flows
