// The Maintenance flow (docs/controller.md, "Maintenance flow"): quick and full kopia maintenance
// of one repository on their cron schedules (kopiur_schedule, read in spec.schedule.timezone).
// Each mode keeps status.<mode>.nextScheduledAt; once it is due (env.now()), a mover
// `maintenance` Job named "<maintenance>-<mode>-<unix time of that scheduled run>" runs, and only
// when it has finished does nextScheduledAt move on, so the Job of a run is always known from the
// status and a restart never starts a second one. No top-level phase, like the original.
#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include <algorithm>

#include "kopiur/api/objects.hpp"
#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/flows.hpp"
#include "kopiur/controller/mover_runs.hpp"
#include "kopiur/controller/repository_access.hpp"
#include "kopiur/schedule/cron.hpp"
#include "kopiur/schedule/next_run.hpp"
#include "kopiur/schedule/time_zone.hpp"
#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::controller::flows {

namespace {

using nlohmann::json;
using std::chrono::system_clock;

const kube::ResourceId& maintenance_resource() {
  static const kube::ResourceId resource = kube::resource_for("Maintenance");
  return resource;
}

// One mode's schedule, parsed.
struct Mode {
  std::string name;  // "quick" or "full"
  schedule::CronExpr cron;
};

struct Schedules {
  std::vector<Mode> modes;  // full first: when both are due, the full run goes first
  const date::time_zone* zone = nullptr;
};

std::variant<Schedules, ReconcileError> parse_schedules(const api::MaintenanceSpec& spec) {
  Schedules out;
  const auto zone = schedule::find_time_zone(spec.schedule.timezone.value_or(""));
  if (!zone.ok()) {
    return ReconcileError::structural("InvalidSchedule", "spec.schedule.timezone: " + zone.error);
  }
  out.zone = zone.zone;
  for (const auto& [name, text] :
       {std::pair{"full", spec.schedule.full.cron}, std::pair{"quick", spec.schedule.quick.cron}}) {
    auto parsed = schedule::parse_cron(text);
    if (!parsed.ok()) {
      return ReconcileError::structural(
          "InvalidSchedule", std::string("spec.schedule.") + name + ".cron: " + parsed.error);
    }
    out.modes.push_back({name, *parsed.cron});
  }
  return out;
}

std::int64_t unix_seconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

class MaintenanceRun {
 public:
  MaintenanceRun(FlowEnv& env, ReconcileContext& context, api::Maintenance maintenance,
                 Schedules schedules)
      : env_(env),
        context_(context),
        maintenance_(std::move(maintenance)),
        schedules_(std::move(schedules)),
        object_(context.object()),
        ns_(namespace_of(object_)),
        name_(name_of(object_)),
        now_(env.now()) {
    status_ = object_.value("status", json::object());
    if (!status_.is_object()) status_ = json::object();
    status_["observedGeneration"] = generation_of(object_);
  }

  ReconcileResult reconcile();

 private:
  std::optional<system_clock::time_point> plan(const Mode& mode);
  std::optional<ReconcileError> run_due(const Mode& mode, system_clock::time_point due,
                                        bool& running);
  std::optional<ReconcileError> start(const Mode& mode, const std::string& job);
  void finished(const Mode& mode, system_clock::time_point due, const MoverObservation& seen,
                const std::string& job);
  void refresh_if_due();
  void prune_jobs(const std::string& keep);
  void claim_ownership();
  // The kopia identity maintenance runs as: spec.ownership.owner when it is user@host, else
  // <owner>@<namespace> (kopia's maintenance owner is always a user@host pair).
  [[nodiscard]] std::string owner_identity() const {
    const std::string& owner = maintenance_.spec.ownership.owner;
    return owner.find('@') != std::string::npos ? owner : owner + "@" + ns_;
  }
  void set_ready();
  ReconcileResult write(ReconcileResult result);

  json& run_status(const Mode& mode) {
    json& run = status_[mode.name];
    if (!run.is_object()) run = json::object();
    return run;
  }

  FlowEnv& env_;
  ReconcileContext& context_;
  api::Maintenance maintenance_;
  Schedules schedules_;
  const json& object_;
  std::string ns_, name_;
  system_clock::time_point now_;
  json status_;
  std::optional<RepositoryAccess> access_;
  std::optional<ReconcileError> blocked_;  // why runs cannot start (the repository)
  std::string new_failure_;                // a run that failed in this reconcile, in words
  std::vector<std::string> recorded_;      // Jobs whose result this reconcile recorded
};

ReconcileResult MaintenanceRun::write(ReconcileResult result) {
  if (auto error = write_status(env_, context_, maintenance_resource(), status_)) return *error;
  return result;
}

// The mode's next run: kept while it is due (its Job is identified by it), otherwise recomputed
// from now, which also follows a changed schedule or time zone.
std::optional<system_clock::time_point> MaintenanceRun::plan(const Mode& mode) {
  json& run = run_status(mode);
  const auto stored = parse_rfc3339(run.value("nextScheduledAt", ""));
  if (stored && *stored <= now_) return stored;
  const auto next = schedule::next_after(mode.cron, std::chrono::floor<std::chrono::seconds>(now_),
                                         schedules_.zone);
  if (!next) {
    run.erase("nextScheduledAt");
    return std::nullopt;
  }
  run["nextScheduledAt"] = rfc3339(*next);
  return system_clock::time_point(*next);
}

// A due run's bookkeeping (lastRunAt, written when its Job started; the failure count) must not
// come from a cache that lags this flow's own last write: while a run is due, the status is read
// from the API server. (write_status still patches against the cached status: every field this
// reconcile sets differs from a stale value or equals the server's.)
void MaintenanceRun::refresh_if_due() {
  bool due = false;
  for (const auto& mode : schedules_.modes) {
    const auto next = parse_rfc3339(run_status(mode).value("nextScheduledAt", ""));
    due = due || (next && *next <= now_);
  }
  if (!due) return;
  auto fresh = env_.client.get(maintenance_resource(), ns_, name_);
  if (!fresh.ok()) return;  // the cached status is the best there is
  const auto status = fresh->value("status", json::object());
  if (!status.is_object()) return;
  status_ = status;
  status_["observedGeneration"] = generation_of(object_);
}

ReconcileResult MaintenanceRun::reconcile() {
  refresh_if_due();
  claim_ownership();
  auto access = resolve_repository(env_, maintenance_.spec.repository, ns_, true);
  if (auto* error = std::get_if<ReconcileError>(&access)) {
    blocked_ = *error;
  } else if (auto refused = refuse_writes(std::get<RepositoryAccess>(access), "maintenance")) {
    blocked_ = *refused;
  } else {
    access_ = std::move(std::get<RepositoryAccess>(access));
  }
  std::optional<system_clock::time_point> wake;
  bool running = false;  // one maintenance Job at a time: kopia takes a repository-wide lock
  for (const auto& mode : schedules_.modes) {
    const auto next = plan(mode);
    if (!next) continue;
    if (*next > now_) {
      wake = wake ? std::min(*wake, *next) : *next;
      continue;
    }
    if (auto error = run_due(mode, *next, running)) {
      set_ready();
      auto written = write(Action::done());
      if (std::holds_alternative<ReconcileError>(written)) return written;
      return *error;
    }
    // A run that finished just now moved nextScheduledAt on: wake for it too.
    const auto moved = parse_rfc3339(run_status(mode).value("nextScheduledAt", ""));
    if (moved && *moved > now_) wake = wake ? std::min(*wake, *moved) : *moved;
  }
  set_ready();
  if (blocked_ && !running) {
    auto written = write(Action::done());
    if (std::holds_alternative<ReconcileError>(written)) return written;
    return *blocked_;
  }
  if (!wake) return write(Action::done());  // Job changes requeue; no schedule left
  return write(Action::requeue_after(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(*wake - now_)));
}

std::optional<ReconcileError> MaintenanceRun::run_due(const Mode& mode,
                                                      system_clock::time_point due, bool& running) {
  const std::string job =
      mover_job_name(name_, mode.name + "-" + std::to_string(unix_seconds(due)));
  auto seen = observe_mover(env_, ns_, job);
  if (!seen.ok()) {
    return ReconcileError::from_api(seen.error(), "JobUnavailable", "cannot read Job " + job,
                                    "check the controller's RBAC for Jobs and Pods");
  }
  switch (seen->state) {
    case MoverState::kSucceeded:
    case MoverState::kFailed:
      finished(mode, due, *seen, job);
      return std::nullopt;
    case MoverState::kRunning:
      running = true;
      return std::nullopt;
    case MoverState::kNotFound:
      break;
  }
  if (running || blocked_) return std::nullopt;  // after the other mode's run / the repository
  running = true;
  return start(mode, job);
}

std::optional<ReconcileError> MaintenanceRun::start(const Mode& mode, const std::string& job) {
  MoverJobRequest request;
  request.operation = "maintenance";
  request.job_name = job;
  request.owner = {{"apiVersion", object_.value("apiVersion", "")},
                   {"kind", "Maintenance"},
                   {"metadata", object_.value("metadata", json::object())}};
  request.work_spec = {
      {"operation", "maintenance"},
      {"repository", access_->work_spec_repository},
      {"object", {{"kind", "Maintenance"}, {"namespace", ns_}, {"name", name_}}},
      {"maintenance",
       {{"mode", mode.name},
        {"safety", "full"},
        {"owner", owner_identity()},
        {"takeover", maintenance_.spec.ownership.takeover_policy == api::TakeoverPolicy::kForce}}}};
  request.secret_files = access_->secret_files;
  request.volumes = access_->volumes;
  request.volume_mounts = access_->volume_mounts;
  request.traceparent = telemetry::current_traceparent();
  if (const auto& limits = maintenance_.spec.failure_policy) {
    request.backoff_limit = limits->backoff_limit.value_or(request.backoff_limit);
    request.active_deadline_seconds =
        limits->active_deadline_seconds.value_or(request.active_deadline_seconds);
  }
  prune_jobs(job);
  if (auto started = start_mover(env_, request); !started.ok()) {
    return ReconcileError::from_api(started.error(), "JobNotCreated",
                                    "cannot start the maintenance Job " + job,
                                    "check the controller's RBAC for Jobs and Secrets");
  }
  run_status(mode)["lastRunAt"] = rfc3339(now_);
  KOPIUR_INFO("maintenance run started", telemetry::log::kv("mode", mode.name),
              telemetry::log::kv("job", job));
  return std::nullopt;
}

void MaintenanceRun::finished(const Mode& mode, system_clock::time_point due,
                              const MoverObservation& seen, const std::string& job) {
  json& run = run_status(mode);
  // lastRunAt was written when the Job started; a cache that lagged that write shows the
  // previous run's, older than this run's scheduled time, which then stands in.
  const auto last = parse_rfc3339(run.value("lastRunAt", ""));
  if (!last || *last < due) run["lastRunAt"] = rfc3339(due);
  const auto failures = run.value("consecutiveFailures", std::int64_t{0});
  if (seen.state == MoverState::kSucceeded) {
    run["consecutiveFailures"] = 0;
    const auto result =
        seen.result.is_object() ? seen.result.value("maintenance", json::object()) : json::object();
    std::string note = mode.name + " maintenance of " + maintenance_.spec.repository.name +
                       " succeeded (Job " + job + ")";
    if (result.is_object() && result.contains("reclaimedBytes") &&
        result["reclaimedBytes"].is_number_integer()) {
      const auto bytes = result["reclaimedBytes"].get<std::int64_t>();
      run["lastContentReclaimedBytes"] = bytes;
      if (mode.name == "full") {
        env_.metrics().maintenance_last_reclaimed_bytes.set(bytes,
                                                            {{"namespace", ns_}, {"name", name_}});
      }
      note += ", " + std::to_string(bytes) + " bytes reclaimed";
    }
    event(env_, object_, kube::EventType::kNormal, "MaintenanceSucceeded", "Maintenance", note);
  } else {
    run["consecutiveFailures"] = failures + 1;
    event(env_, object_, kube::EventType::kWarning, "MaintenanceFailed", "Maintenance",
          mode.name + " maintenance Job " + job + " failed (" + std::to_string(failures + 1) +
              " in a row): " + seen.failure +
              (seen.log_tail.empty() ? "" : "; log tail: " + seen.log_tail));
    new_failure_ = mode.name + " maintenance Job " + job + " failed: " + seen.failure;
  }
  // The run is recorded; its successor is the first scheduled time after now (a run missed
  // while the controller was down is made up once, never in a burst).
  run.erase("nextScheduledAt");
  plan(mode);
  recorded_.push_back(job);
}

// Deletes the Maintenance's earlier Jobs before a new run (one at a time, so none of them runs).
// Not done as soon as a run is recorded: a reconcile reading a cache that lags that status write
// would find no Job for the old time and run it again.
void MaintenanceRun::prune_jobs(const std::string& keep) {
  auto jobs =
      env_.client.list(kube::resources::kJobs, ns_,
                       {.label_selector = "kopiur.io/kind=Maintenance,kopiur.io/name=" + name_,
                        .field_selector = ""});
  if (!jobs.ok()) return;  // best effort: the Jobs' TTL removes them anyway
  for (const auto& j : jobs->value("items", json::array())) {
    const std::string job = name_of(j);
    // A run recorded in this reconcile keeps its Job until that status write is through.
    if (job == keep || std::find(recorded_.begin(), recorded_.end(), job) != recorded_.end()) {
      continue;
    }
    if (auto gone = delete_mover(env_, ns_, job); !gone.ok()) {
      KOPIUR_WARN("cannot delete an earlier maintenance Job", telemetry::log::kv("job", job),
                  telemetry::log::kv("error", gone.error().to_string()));
    }
  }
}

void MaintenanceRun::claim_ownership() {
  const std::string owner = maintenance_.spec.ownership.owner;
  json ownership = status_.value("ownership", json::object());
  if (!ownership.is_object() || ownership.value("owner", "") != owner) {
    ownership = {{"owner", owner}, {"claimedAt", rfc3339(now_)}};
  }
  status_["ownership"] = ownership;
}

void MaintenanceRun::set_ready() {
  const auto generation = generation_of(object_);
  if (blocked_) {
    set_condition(status_, "Ready", false, blocked_->reason, blocked_->note, now_, generation);
    return;
  }
  if (!new_failure_.empty()) {
    set_condition(status_, "Ready", false, "MaintenanceFailed", new_failure_, now_, generation);
    return;
  }
  std::int64_t failures = 0;
  std::string next;
  for (const auto& mode : schedules_.modes) {
    const auto run = status_.value(mode.name, json::object());
    failures += run.value("consecutiveFailures", std::int64_t{0});
    next += (next.empty() ? "" : ", ") + mode.name + " at " +
            run.value("nextScheduledAt", std::string("(never)"));
  }
  // A failure stays reported (with its message) until a run of that mode succeeds.
  if (failures > 0 && condition_status(status_, "Ready") == "False") return;
  set_condition(
      status_, "Ready", true, "Scheduled",
      "maintenance of " + maintenance_.spec.repository.name + " is scheduled: next " + next, now_,
      generation);
}

void reseed_maintenance_gauge(const FlowEnv& env, const json& object) {
  const auto full = object.value("status", json::object()).value("full", json::object());
  if (!full.is_object() || !full.contains("lastContentReclaimedBytes")) return;
  env.metrics().maintenance_last_reclaimed_bytes.set(
      full.value("lastContentReclaimedBytes", std::int64_t{0}),
      {{"namespace", namespace_of(object)}, {"name", name_of(object)}});
}

}  // namespace

ReconcileResult maintenance(FlowEnv& env, ReconcileContext& context) {
  const json& object = context.object();
  if (being_deleted(object)) return Action::done();  // its Jobs are owned and go with it
  api::Maintenance decoded;
  std::optional<ReconcileError> invalid;
  if (auto errors = api::read_object(object, decoded); !errors.empty()) {
    invalid = spec_error("Maintenance", errors);
  }
  std::variant<Schedules, ReconcileError> schedules = ReconcileError{};
  if (!invalid) {
    schedules = parse_schedules(decoded.spec);
    if (auto* error = std::get_if<ReconcileError>(&schedules)) invalid = *error;
  }
  if (invalid) {
    json status = object.value("status", json::object());
    if (!status.is_object()) status = json::object();
    set_condition(status, "Ready", false, invalid->reason, invalid->note, env.now(),
                  generation_of(object));
    if (auto write_error = write_status(env, context, maintenance_resource(), status))
      return *write_error;
    return *invalid;
  }
  reseed_maintenance_gauge(env, object);
  MaintenanceRun run(env, context, std::move(decoded), std::get<Schedules>(std::move(schedules)));
  auto result = run.reconcile();
  if (const auto& written = context.reported_status()) {
    reseed_maintenance_gauge(
        env, json{{"metadata", object.value("metadata", json::object())}, {"status", *written}});
  }
  return result;
}

}  // namespace kopiur::controller::flows
