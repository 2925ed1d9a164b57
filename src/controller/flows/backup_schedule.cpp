// BackupSchedule: creates Backups of its BackupConfig at the times of a cron expression read in
// an IANA time zone (kopiur/schedule), at most one run for any number of missed times, with
// the concurrency policy, the starting deadline, suspend and the failed-history limit.
// docs/controller.md, "BackupSchedule flow".
#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include <algorithm>
#include <functional>

#include "kopiur/api/objects.hpp"
#include "kopiur/controller/config.hpp"
#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/flows.hpp"
#include "kopiur/schedule/cron.hpp"
#include "kopiur/schedule/next_run.hpp"
#include "kopiur/schedule/time_zone.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::controller::flows {

namespace log = telemetry::log;
using nlohmann::json;
using std::chrono::system_clock;

namespace {

constexpr const char* kScheduleLabel = "kopiur.io/schedule";
constexpr const char* kScheduledTimeAnnotation = "kopiur.io/scheduled-time";
// The longest a reconcile sleeps before looking at the wall clock again (it may be stepped).
constexpr auto kMaxSleep = std::chrono::minutes(15);

schedule::Instant to_instant(system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

struct Owned {
  json backup;
  std::string phase;
  system_clock::time_point scheduled;
};

// The Backups this schedule created, oldest scheduled time first: read from the API server, not
// the cache, because the concurrency policy decides on them and a cache that has not yet seen
// the Backup made a moment ago would let a second run start beside it.
std::variant<std::vector<Owned>, ReconcileError> owned_backups(const FlowEnv& env,
                                                               const std::string& ns,
                                                               const std::string& name) {
  std::vector<Owned> out;
  auto listed = env.client.list(
      kube::resource_for("Backup"), ns,
      {.label_selector = std::string(kScheduleLabel) + "=" + name, .field_selector = ""});
  if (!listed.ok()) {
    return ReconcileError::from_api(listed.error(), "BackupListFailed",
                                    "cannot list the Backups of schedule " + name,
                                    "check the controller's RBAC (list backups)");
  }
  for (const auto& item : listed->value("items", json::array())) {
    const json* b = &item;
    const auto meta = b->value("metadata", json::object());
    if (meta.value("labels", json::object()).value(kScheduleLabel, "") != name) continue;
    const auto at = parse_rfc3339(
        meta.value("annotations", json::object()).value(kScheduledTimeAnnotation, ""));
    const auto created = parse_rfc3339(meta.value("creationTimestamp", ""));
    out.push_back(
        {*b, phase_of_status(*b), at ? *at : created.value_or(system_clock::time_point{})});
  }
  std::sort(out.begin(), out.end(),
            [](const Owned& a, const Owned& b) { return a.scheduled < b.scheduled; });
  return out;
}

bool schedule_backup_finished(const std::string& phase) {
  return phase == "Succeeded" || phase == "Failed";
}

// A stable offset in [0, jitter) per schedule, so runs spread out but do not move on restart.
std::chrono::seconds jitter_of(const std::string& key, const std::optional<std::string>& jitter) {
  if (!jitter) return std::chrono::seconds(0);
  const auto span = parse_duration(*jitter);
  if (!span || span->count() < 1000) return std::chrono::seconds(0);
  const auto secs = static_cast<std::size_t>(span->count() / 1000);
  return std::chrono::seconds(std::hash<std::string>{}(key) % secs);
}

json new_backup(const api::BackupSchedule& s, system_clock::time_point at) {
  const auto unix = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  return {{"apiVersion", "kopiur.home-operations.com/v1alpha1"},
          {"kind", "Backup"},
          {"metadata",
           {{"name", s.metadata.name + "-" + std::to_string(unix)},
            {"namespace", s.metadata.namespace_},
            {"labels", {{kScheduleLabel, s.metadata.name}}},
            {"annotations", {{kScheduledTimeAnnotation, rfc3339(at)}}}}},
          {"spec", {{"configRef", {{"name", s.spec.config_ref.name}}}}}};
}

struct Plan {
  std::optional<system_clock::time_point> run;  // create a Backup for this scheduled time
  std::optional<system_clock::time_point> next;
};

Plan plan(const schedule::CronExpr& cron, const date::time_zone* zone, const api::BackupSchedule& s,
          system_clock::time_point now, std::chrono::seconds jitter) {
  Plan p;
  const auto& status = s.status;
  std::optional<system_clock::time_point> last;
  if (status && status->last_schedule && status->last_schedule->time) {
    last = parse_rfc3339(*status->last_schedule->time);
  }
  const auto created = parse_rfc3339(s.metadata.creation_timestamp);
  const bool run_on_create = s.spec.schedule.run_on_create.value_or(false);
  if (!last && run_on_create) {
    p.run = to_instant(now);
  } else {
    const auto anchor = last.value_or(created.value_or(now));
    std::optional<std::chrono::seconds> deadline;
    if (s.spec.schedule.starting_deadline_seconds) {
      deadline = std::chrono::seconds(*s.spec.schedule.starting_deadline_seconds);
    }
    // Runs become due `jitter` after their scheduled time.
    const auto due_now = to_instant(now - jitter);
    if (due_now > to_instant(anchor)) {
      if (auto missed =
              schedule::latest_missed_run(cron, zone, to_instant(anchor), due_now, deadline)) {
        p.run = *missed;
      }
    }
  }
  const auto from =
      p.run ? std::max(to_instant(*p.run), to_instant(now - jitter)) : to_instant(now - jitter);
  if (auto next = schedule::next_after(cron, from, zone)) p.next = *next + jitter;
  return p;
}

}  // namespace

ReconcileResult backup_schedule(FlowEnv& env, ReconcileContext& context) {
  const json& object = context.object();
  const auto resource = kube::resource_for("BackupSchedule");
  api::BackupSchedule s;
  if (auto errors = api::read_object(object, s); !errors.empty()) {
    return spec_error("BackupSchedule", errors);
  }
  const auto now = env.now();
  const auto generation = generation_of(object);
  json status = object.value("status", json::object());
  if (!status.is_object()) status = json::object();
  status["observedGeneration"] = generation;

  const auto cron = schedule::parse_cron(s.spec.schedule.cron);
  const auto zone = schedule::find_time_zone(s.spec.schedule.timezone.value_or(""));
  if (!cron.ok() || !zone.ok()) {
    const std::string why =
        !cron.ok() ? "spec.schedule.cron: " + cron.error : "spec.schedule.timezone: " + zone.error;
    set_condition(status, "Ready", false, "InvalidSchedule", why, now, generation);
    status.erase("nextSchedule");
    if (auto error = write_status(env, context, resource, status)) {
      return *error;
    }
    return ReconcileError::structural("InvalidSchedule", why + "; fix the BackupSchedule");
  }
  const auto* configs = env.runtime->cache("BackupConfig");
  if (configs == nullptr ||
      configs->get(s.metadata.namespace_, s.spec.config_ref.name) == nullptr) {
    const std::string why =
        "BackupConfig " + s.metadata.namespace_ + "/" + s.spec.config_ref.name + " does not exist";
    set_condition(status, "Ready", false, "ConfigNotFound", why, now, generation);
    if (auto error = write_status(env, context, resource, status)) {
      return *error;
    }
    return ReconcileError::structural("ConfigNotFound", why + "; create it or fix spec.configRef");
  }

  auto owned = owned_backups(env, s.metadata.namespace_, s.metadata.name);
  if (auto* error = std::get_if<ReconcileError>(&owned)) return *error;
  auto& backups = std::get<std::vector<Owned>>(owned);
  const bool suspended = s.spec.schedule.suspend.value_or(false);
  const auto jitter =
      jitter_of(s.metadata.namespace_ + "/" + s.metadata.name, s.spec.schedule.jitter);
  Plan p;
  if (!suspended) p = plan(*cron.cron, zone.zone, s, now, jitter);

  if (p.run) {
    const auto policy =
        s.spec.schedule.concurrency_policy.value_or(api::ConcurrencyPolicy::kForbid);
    std::vector<const Owned*> active;
    for (const auto& b : backups) {
      if (!schedule_backup_finished(b.phase) && b.phase != "Deleting") active.push_back(&b);
    }
    bool create = true;
    if (!active.empty() && policy == api::ConcurrencyPolicy::kForbid) {
      create = false;
      event(env, object, kube::EventType::kNormal, "RunSkipped", "Schedule",
            "the run of " + rfc3339(*p.run) + " was skipped: Backup " +
                name_of(active.front()->backup) + " is still running (concurrencyPolicy Forbid)");
    } else if (!active.empty() && policy == api::ConcurrencyPolicy::kReplace) {
      for (const auto* a : active) {
        auto gone = env.client.remove(kube::resource_for("Backup"), s.metadata.namespace_,
                                      name_of(a->backup));
        if (!gone.ok() && !gone.error().is_not_found()) {
          return ReconcileError::from_api(gone.error(), "ReplaceFailed",
                                          "cannot delete the running Backup " + name_of(a->backup),
                                          "check the controller's RBAC (delete on backups)");
        }
      }
    }
    if (create) {
      const json backup = new_backup(s, *p.run);
      auto made = env.client.create(kube::resource_for("Backup"), s.metadata.namespace_, backup);
      if (!made.ok() && !made.error().is_already_exists()) {
        return ReconcileError::from_api(made.error(), "BackupCreateFailed",
                                        "cannot create the scheduled Backup",
                                        "check the controller's RBAC (create on backups)");
      }
      if (made.ok()) {
        env.metrics().schedule_backups_created.add(
            1, {{"namespace", s.metadata.namespace_}, {"name", s.metadata.name}});
        status["backupsCreated"] = status.value("backupsCreated", std::int64_t{0}) + 1;
        KOPIUR_INFO("scheduled Backup created", log::kv("backup", name_of(backup)),
                    log::kv("scheduled_for", rfc3339(*p.run)));
      }
      status["lastSchedule"] = {{"time", rfc3339(*p.run)}, {"backupRef", name_of(backup)}};
    } else {
      status["lastSchedule"] = {{"time", rfc3339(*p.run)}};
    }
  }

  // History: the failed Backups beyond failedJobsHistoryLimit go, oldest first.
  if (s.spec.failed_jobs_history_limit) {
    std::vector<const Owned*> failed;
    for (const auto& b : backups) {
      if (b.phase == "Failed") failed.push_back(&b);
    }
    const auto limit = static_cast<std::size_t>(*s.spec.failed_jobs_history_limit);
    for (std::size_t i = 0; i + limit < failed.size(); ++i) {
      auto gone = env.client.remove(kube::resource_for("Backup"), s.metadata.namespace_,
                                    name_of(failed[i]->backup));
      if (!gone.ok() && !gone.error().is_not_found()) {
        KOPIUR_WARN("cannot delete an old failed Backup",
                    log::kv("backup", name_of(failed[i]->backup)),
                    log::kv("error", gone.error().to_string()));
      }
    }
  }

  // Outcome figures from the finished Backups, newest first.
  std::int64_t failures = 0;
  bool counting = true;
  status.erase("lastSuccessfulSchedule");
  for (auto it = backups.rbegin(); it != backups.rend(); ++it) {
    if (it->phase == "Succeeded") {
      if (!status.contains("lastSuccessfulSchedule")) {
        status["lastSuccessfulSchedule"] = {{"time", rfc3339(it->scheduled)},
                                            {"backupRef", name_of(it->backup)}};
      }
      counting = false;
    } else if (it->phase == "Failed" && counting) {
      ++failures;
    }
  }
  status["consecutiveFailures"] = failures;
  if (p.next) {
    status["nextSchedule"] = {{"time", rfc3339(system_clock::time_point(*p.next))}};
  } else {
    status.erase("nextSchedule");
  }
  if (suspended) {
    set_condition(status, "Ready", false, "Suspended", "spec.schedule.suspend is true", now,
                  generation);
  } else if (!p.next) {
    set_condition(status, "Ready", false, "NeverRuns",
                  "the cron expression selects no time in the coming years", now, generation);
  } else {
    set_condition(status, "Ready", true, "Scheduled",
                  "next run at " + rfc3339(system_clock::time_point(*p.next)), now, generation);
  }
  if (auto error = write_status(env, context, resource, status)) {
    return *error;
  }
  if (suspended || !p.next) return Action::done();
  const auto wait = system_clock::time_point(*p.next) - now;
  const auto sleep = std::clamp<std::chrono::steady_clock::duration>(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait),
      std::chrono::seconds(1), kMaxSleep);
  return Action::requeue_after(sleep);
}

}  // namespace kopiur::controller::flows
