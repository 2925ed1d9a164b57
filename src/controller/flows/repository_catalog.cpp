// The catalog scan of a Ready repository (docs/controller.md, "Repository flow"): a mover
// `catalog` Job lists every snapshot; its result fills status.catalog and status.storageStats
// (the kopiur_repo_* gauges) and turns snapshots no Backup tracks into Discovered Backups. A scan
// is due refreshInterval after the last one, and after any Backup written to the repository
// succeeded since. The Jobs are the scan's state: a finished one is read, then deleted.
#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include <algorithm>
#include <cctype>
#include <set>

#include "kopiur/api/meta.hpp"
#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/mover_runs.hpp"
#include "kopiur/telemetry/log/log.hpp"

#include "repository_flow.hpp"

namespace kopiur::controller::repository_flow {

namespace log = telemetry::log;
using nlohmann::json;

namespace {

constexpr const char* kRepositoryLabel = "kopiur.io/repository";
constexpr const char* kOriginLabel = "kopiur.io/origin";

std::string text(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool job_finished(const json& job) {
  for (const auto& c : job.value("status", json::object()).value("conditions", json::array())) {
    const std::string type = text(c, "type");
    if ((type == "Complete" || type == "Failed") && text(c, "status") == "True") return true;
  }
  return false;
}

// An RFC 3339 time normalised to whole seconds; the input when it does not parse.
std::string seconds_of(const std::string& when) {
  const auto parsed = parse_rfc3339(when);
  return parsed ? rfc3339(*parsed) : when;
}

json repository_ref(const Subject& s) {
  json ref = {{"kind", s.kind}, {"name", s.name}};
  if (!s.cluster()) ref["namespace"] = s.namespace_;
  return ref;
}

// The Backup a snapshot no Backup tracks becomes: "<repository>-<first 12 of the id>".
std::string discovered_name(const Subject& s, const std::string& id) {
  std::string suffix;
  for (const char c : id) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0)
      suffix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (suffix.size() == 12) break;
  }
  return s.name + "-" + suffix;
}

json discovered_status(const Subject& s, const json& entry) {
  json status = {{"phase", "Discovered"},
                 {"origin", "discovered"},
                 {"snapshot",
                  {{"kopiaSnapshotID", text(entry, "id")},
                   {"identity",
                    {{"hostname", text(entry, "host")},
                     {"username", text(entry, "userName")},
                     {"sourcePath", text(entry, "path")}}}}},
                 {"resolved", {{"repository", repository_ref(s)}}}};
  if (const auto size = entry.find("sizeBytes"); size != entry.end() && size->is_number_integer())
    status["stats"] = {{"sizeBytes", size->get<std::int64_t>()}};
  const std::string start = text(entry, "startTime");
  // The listing keeps only the start time of each snapshot (to fit more of them in the 4 KiB
  // result); the snapshot is complete as of then, so that is also its completion time.
  const std::string end = text(entry, "endTime").empty() ? start : text(entry, "endTime");
  if (!start.empty())
    status["timing"] = {{"startTime", seconds_of(start)}, {"completionTime", seconds_of(end)}};
  return status;
}

// kopiur.io/repository holds the repository's name when it fits a label value (63 characters);
// status.resolved.repository always names it.
json discovered_labels(const Subject& s) {
  json labels = {{kOriginLabel, "discovered"}};
  if (s.name.size() <= 63) labels[kRepositoryLabel] = s.name;
  return labels;
}

// Creates the Discovered Backup of `entry` (or completes one whose status write was lost).
// Returns false when the name is taken by a Backup of another snapshot.
std::variant<bool, ReconcileError> discover(const FlowEnv& env, const Subject& s,
                                            const json& entry) {
  const auto resource = kube::resource_for("Backup");
  const std::string name = discovered_name(s, text(entry, "id"));
  const json body = {
      {"apiVersion", std::string(api::kApiVersion)},
      {"kind", "Backup"},
      {"metadata",
       {{"name", name}, {"namespace", s.job_namespace}, {"labels", discovered_labels(s)}}},
      {"spec", json::object()}};
  auto made = env.client.create(resource, s.job_namespace, body);
  if (!made.ok()) {
    if (!made.error().is_already_exists()) {
      return ReconcileError::from_api(made.error(), "BackupCreateFailed",
                                      "cannot create the Discovered Backup " + name,
                                      "check the controller's RBAC (create backups)");
    }
    auto existing = env.client.get(resource, s.job_namespace, name);
    if (!existing.ok()) {
      return ReconcileError::from_api(existing.error(), "BackupReadFailed",
                                      "cannot read Backup " + name, "check the controller's RBAC");
    }
    const auto labels = existing->value("metadata", json::object()).value("labels", json::object());
    const auto status = existing->value("status", json::object());
    const std::string id =
        text(status.is_object() ? status.value("snapshot", json::object()) : json::object(),
             "kopiaSnapshotID");
    // Discovered by an earlier scan the Backup cache has not caught up with.
    if (text(labels, kOriginLabel) == "discovered" && id == text(entry, "id")) return true;
    if (text(labels, kOriginLabel) != "discovered" || !phase_of_status(*existing).empty()) {
      KOPIUR_WARN("a Backup of that name already exists; snapshot not discovered",
                  log::kv("backup", name), log::kv("snapshot", text(entry, "id")));
      return false;
    }
  }
  auto written =
      env.client.patch_status(resource, s.job_namespace, name,
                              {{"status", discovered_status(s, entry)}}, kube::PatchType::kMerge);
  if (!written.ok()) {
    return ReconcileError::from_api(written.error(), "StatusWriteFailed",
                                    "cannot write the status of Discovered Backup " + name,
                                    "check the controller's RBAC (backups/status)");
  }
  KOPIUR_INFO("snapshot discovered", log::kv("backup", name),
              log::kv("snapshot", text(entry, "id")));
  return true;
}

// Snapshot ids some Backup tracks; `busy` when a Backup writing to the repository is still
// running (its snapshot may be listed before the Backup records it: discover it next time).
std::set<std::string> tracked_snapshots(const FlowEnv& env, const Subject& s, bool& busy,
                                        std::set<std::string>& discovered) {
  std::set<std::string> ids;
  busy = false;
  const ObjectCache* cache = env.runtime->cache("Backup");
  if (cache == nullptr) return ids;
  for (const auto& b : cache->list()) {
    const auto status = b->value("status", json::object());
    const auto snapshot = status.value("snapshot", json::object());
    if (const std::string id = text(snapshot, "kopiaSnapshotID"); !id.empty()) ids.insert(id);
    const auto resolved = status.value("resolved", json::object()).value("repository", json());
    if (!names_subject(resolved, namespace_of(*b), s)) continue;
    const std::string phase = text(status, "phase");
    if (phase == "Running" || phase == "Pending") busy = true;
    if (phase == "Discovered" && namespace_of(*b) == s.job_namespace)
      discovered.insert(name_of(*b));
  }
  return ids;
}

// Reads a succeeded scan into `status`.
std::optional<ReconcileError> apply_scan(const FlowEnv& env, const Subject& s, const json& result,
                                         json& status, std::chrono::system_clock::time_point now) {
  // The mover's result is outside input (and null when it left none): read without json::value().
  const json& catalog = result_member(result, "catalog");
  const auto count = result_int(catalog, "snapshotCount");
  const auto logical = result_int(catalog, "logicalSizeBytes");
  const bool truncated = result_bool(catalog, "truncated");
  // The controller's own clock: the refresh interval is measured against it (env.now()), and a
  // mover's clock (another node's, or a test's real one under a manual clock) must not make a
  // scan look overdue the moment it is recorded, which would start the next one at once.
  const std::string at = rfc3339(now);

  bool busy = false;
  std::set<std::string> discovered;
  const auto tracked = tracked_snapshots(env, s, busy, discovered);
  std::int64_t fresh = 0;
  if (!busy) {
    for (const auto& entry : catalog.value("snapshots", json::array())) {
      if (!entry.is_object() || text(entry, "id").empty() || tracked.count(text(entry, "id")) > 0)
        continue;
      auto made = discover(env, s, entry);
      if (auto* error = std::get_if<ReconcileError>(&made)) return *error;
      if (std::get<bool>(made)) {
        discovered.insert(discovered_name(s, text(entry, "id")));
        ++fresh;
      }
    }
  }
  status["catalog"] = {{"snapshotCount", count},
                       {"discoveredBackupCount", static_cast<std::int64_t>(discovered.size())},
                       {"logicalSizeBytes", logical},
                       {"lastRefreshAt", at}};
  json stats = status.value("storageStats", json::object());
  stats["snapshotCount"] = count;
  stats["lastObservedAt"] = at;
  status["storageStats"] = stats;
  std::string message = std::to_string(count) + " snapshots, " +
                        std::to_string(result_int(catalog, "sourceCount")) + " sources; " +
                        std::to_string(fresh) + " newly discovered";
  if (truncated) {
    message +=
        " (the listing was cut to fit the mover's 4 KiB result: counts and size are exact, "
        "unlisted snapshots are discovered by later scans only if listed then)";
  }
  if (busy) message += " (discovery deferred: a Backup to this repository is running)";
  if (fresh > 0) {
    event(env, s.object, kube::EventType::kNormal, "SnapshotsDiscovered", "Catalog",
          std::to_string(fresh) +
              " snapshot(s) that no Backup tracked are now Backups in phase "
              "Discovered (label kopiur.io/origin=discovered) in namespace " +
              s.job_namespace);
  }
  set_condition(status, kCatalogCondition, true, "Scanned", message, now);
  return std::nullopt;
}

bool succeeded_since(const json& backup, const Subject& s,
                     std::chrono::system_clock::time_point since) {
  const auto status = backup.value("status", json::object());
  if (text(status, "phase") != "Succeeded") return false;
  const auto resolved = status.value("resolved", json::object()).value("repository", json());
  if (!names_subject(resolved, namespace_of(backup), s)) return false;
  const auto done = parse_rfc3339(text(status.value("timing", json::object()), "completionTime"));
  return done && *done >= since;
}

// Whether a Backup written to the repository succeeded at or after `since`. The Backup's change
// requeues the repository through a watch of its own, which can be ahead of the Backup cache:
// Backups the cache still shows running are read from the API server.
bool backup_since(const FlowEnv& env, const Subject& s,
                  std::chrono::system_clock::time_point since) {
  const ObjectCache* cache = env.runtime->cache("Backup");
  if (cache == nullptr) return false;
  std::vector<std::pair<std::string, std::string>> running;
  for (const auto& b : cache->list()) {
    if (succeeded_since(*b, s, since)) return true;
    const auto status = b->value("status", json::object());
    const std::string phase = text(status, "phase");
    const auto resolved = status.value("resolved", json::object()).value("repository", json());
    if ((phase == "Running" || phase == "Pending") && names_subject(resolved, namespace_of(*b), s))
      running.emplace_back(namespace_of(*b), name_of(*b));
  }
  for (const auto& [ns, name] : running) {
    auto fresh = env.client.get(kube::resource_for("Backup"), ns, name);
    if (fresh.ok() && succeeded_since(*fresh, s, since)) return true;
  }
  return false;
}

// Reads and deletes finished catalog Jobs; nullopt when none was running.
std::optional<ReconcileResult> collect(const FlowEnv& env, const Subject& s, json& status,
                                       std::chrono::system_clock::time_point now) {
  auto listed = jobs_of(env, s, "catalog");
  if (auto* error = std::get_if<ReconcileError>(&listed)) return ReconcileResult(*error);
  const auto& jobs = std::get<json>(listed);
  if (jobs.empty()) return std::nullopt;
  const json* newest = nullptr;
  for (const auto& j : jobs) {
    if (!job_finished(j)) return ReconcileResult(Action::done());  // its end requeues us
    const auto stamp = [](const json& job) {
      return text(job.value("metadata", json::object()), "creationTimestamp") + name_of(job);
    };
    if (newest == nullptr || stamp(j) > stamp(*newest)) newest = &j;
  }
  auto seen = observe_mover(env, s.job_namespace, name_of(*newest));
  if (!seen.ok()) {
    return ReconcileResult(ReconcileError::from_api(seen.error(), "JobReadFailed",
                                                    "cannot read Job " + name_of(*newest),
                                                    "check the controller's RBAC"));
  }
  std::optional<ReconcileError> failure;
  if (seen->state == MoverState::kSucceeded) {
    failure = apply_scan(env, s, seen->result, status, now);
    if (failure) return ReconcileResult(*failure);  // keep the Job: read it again next time
  } else {
    const std::string cls = mover_error_class(*seen, "MoverFailed");
    const std::string message = "the catalog scan failed: " + seen->failure;
    set_condition(status, kCatalogCondition, false, cls, message, now);
    failure = ReconcileError::transient(cls, s.what + ": " + message + "; retrying with backoff");
  }
  for (const auto& j : jobs) (void)delete_mover(env, s.job_namespace, name_of(j));
  if (failure) return ReconcileResult(*failure);
  return std::nullopt;
}

}  // namespace

ReconcileResult catalog_step(const FlowEnv& env, const Subject& s, const RepositoryAccess& access,
                             std::chrono::milliseconds interval, json& status) {
  const auto now = env.now();
  if (auto collected = collect(env, s, status, now)) return *collected;

  const auto last = parse_rfc3339(text(status.value("catalog", json::object()), "lastRefreshAt"));
  if (last && !backup_since(env, s, *last)) {
    const auto due = *last + interval;
    if (now < due) {
      const auto wait = std::chrono::ceil<std::chrono::seconds>(due - now);
      return Action::requeue_after(wait);
    }
  }
  const auto unix = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  const std::string job = mover_job_name(s.name, "catalog-" + std::to_string(unix.count()));
  auto leftover = leftover_pods(env, s.job_namespace, job);
  if (auto* error = std::get_if<ReconcileError>(&leftover)) return *error;
  if (std::get<bool>(leftover)) return Action::requeue_after(std::chrono::seconds(1));
  if (auto started = start_mover(env, mover_request(s, access, "catalog", job)); !started.ok()) {
    return ReconcileError::from_api(started.error(), "JobCreateFailed",
                                    "cannot start the catalog Job of " + s.what,
                                    "check the controller's RBAC (create jobs, secrets)");
  }
  return Action::done();  // the Job's end requeues the repository
}

}  // namespace kopiur::controller::repository_flow
