// The BackupConfig flow (docs/controller.md, "Backup and BackupConfig flows"): resolves the
// config's identity and sources, checks its repository, and follows its Backups (the related
// watch requeues it on every change of one): status.consecutiveFailures, lastSuccessfulBackup,
// lastSuccessTime, and the kopiur_backup_* gauges keyed {namespace, name of the config}. All of
// it is recomputed from the cluster's state on each reconcile, so a restarted controller reseeds
// the gauges from its first reconcile.
//
// A finalizer (kopiur.io/metrics-cleanup) keeps the config until its series are removed, so
// deleted configs leave no stale series (and no staleness alert) behind.
#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/flows.hpp"
#include "kopiur/controller/repository_access.hpp"
#include "kopiur/telemetry/log/log.hpp"

#include "backup_support.hpp"

namespace kopiur::controller::flows {

namespace {

using nlohmann::json;
using namespace backup_detail;

// The failures, last success and gauges of the config's Backups, into `status`.
std::optional<ReconcileError> follow_backups(const FlowEnv& env, const std::string& ns,
                                             const std::string& name, json& status) {
  auto listed = backups_of_config(env, ns, name);
  if (auto* error = std::get_if<ReconcileError>(&listed)) return *error;
  const auto summary = summarize_backups(std::get<std::vector<json>>(listed));
  status["consecutiveFailures"] = summary.consecutive_failures;
  env.metrics().backup_consecutive_failures.set(summary.consecutive_failures,
                                                {{"namespace", ns}, {"name", name}});
  set_backup_gauges(env, ns, name, summary.newest_success);
  if (summary.newest_success) {
    status["lastSuccessfulBackup"] = name_of(*summary.newest_success);
    const auto timing =
        summary.newest_success->value("status", json::object()).value("timing", json::object());
    if (timing.contains("completionTime")) {
      status["lastSuccessTime"] = timing["completionTime"];
    } else {
      status.erase("lastSuccessTime");
    }
  } else {
    status.erase("lastSuccessfulBackup");
    status.erase("lastSuccessTime");
  }
  return std::nullopt;
}

json cluster_repository_of(const FlowEnv& env, const json& object) {
  const auto ref = object.value("spec", json::object()).value("repository", json::object());
  if (!ref.is_object() || ref.value("kind", "") != "ClusterRepository") return nullptr;
  const ObjectCache* cache = env.runtime->cache("ClusterRepository");
  auto found = cache != nullptr ? cache->get("", ref.value("name", "")) : nullptr;
  return found != nullptr ? *found : json();
}

ReconcileResult reconcile_config(FlowEnv& env, ReconcileContext& context) {
  const json& object = context.object();
  const std::string ns = namespace_of(object);
  const std::string name = name_of(object);
  const auto resource = kube::resource_for("BackupConfig");
  if (being_deleted(object)) {
    remove_backup_gauges(env, ns, name);
    if (auto error = remove_finalizer(env, resource, object, kConfigFinalizer)) return *error;
    return Action::done();
  }
  if (auto error = add_finalizer(env, resource, object, kConfigFinalizer)) return *error;
  json status = object.value("status", json::object());
  if (!status.is_object()) status = json::object();
  const auto now = env.now();
  const auto generation = generation_of(object);
  status["observedGeneration"] = generation;
  // The Backups first: their gauges do not depend on the spec still being valid.
  if (auto error = follow_backups(env, ns, name, status)) return *error;

  auto resolved = resolve_config(object, cluster_repository_of(env, object));
  if (auto* error = std::get_if<ReconcileError>(&resolved)) {
    set_condition(status, "Ready", false, error->reason, error->note, now, generation);
    if (auto failed = write_status(env, context, resource, status)) return *failed;
    return *error;
  }
  const auto& config = std::get<ResolvedConfig>(resolved);
  json sources = json::array();
  for (const auto& s : config.sources) {
    sources.push_back({{"pvc", s.pvc}, {"sourcePath", s.source_path}});
  }
  status["resolved"] = {
      {"identity", {{"hostname", config.hostname}, {"username", config.username}}},
      {"sources", sources}};

  bool repository_ready = false;
  auto access = resolve_repository(env, config.config.spec.repository, ns, true);
  if (auto* error = std::get_if<ReconcileError>(&access)) {
    set_condition(status, "RepositoryReachable", false, error->reason, error->note, now,
                  generation);
    set_condition(status, "Ready", false, error->reason, error->note, now, generation);
  } else {
    repository_ready = true;
    const auto& a = std::get<RepositoryAccess>(access);
    const std::string what =
        a.kind + " " + (a.namespace_.empty() ? "" : a.namespace_ + "/") + a.name;
    set_condition(status, "RepositoryReachable", true, "RepositoryReady", what + " is Ready", now,
                  generation);
    std::string message = "claim " + config.sources.front().pvc + " backed up to " + what;
    if (config.sources.size() > 1) {
      // One Job per Backup backs up one claim (docs/controller.md): say so where it is seen.
      message += "; only the first of the " + std::to_string(config.sources.size()) +
                 " sources is backed up by each Backup in this version";
    }
    if (auto refused = refuse_writes(a, "its backups")) {
      set_condition(status, "Ready", false, refused->reason, refused->note, now, generation);
    } else {
      set_condition(status, "Ready", true, "Resolved", message, now, generation);
    }
  }
  if (auto failed = write_status(env, context, resource, status)) return *failed;
  // A change of the repository requeues the config (kinds.cpp); look again in a while anyway.
  if (!repository_ready) return Action::requeue_after(std::chrono::minutes(1));
  return Action::done();
}

}  // namespace

ReconcileResult backup_config(FlowEnv& env, ReconcileContext& context) {
  auto result = reconcile_config(env, context);
  const auto& written = context.reported_status();
  KOPIUR_INFO("reconciled",
              telemetry::log::kv("consecutive_failures",
                                 written ? written->value("consecutiveFailures", std::int64_t{-1})
                                         : std::int64_t{-1}));
  return result;
}

}  // namespace kopiur::controller::flows
