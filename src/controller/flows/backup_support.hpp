// Internal to the Backup and BackupConfig flows (src/controller/flows/backup*.cpp): what both
// need to agree on.
//   - resolve_config(): a BackupConfig's kopia identity and source paths (pvc sources only;
//     nfs and pvcSelector are reported as not supported yet, naming the field);
//   - summarize_backups(): a config's finished Backups newest first -> consecutive failures and
//     the newest Succeeded one;
//   - set_backup_gauges() / remove_backup_gauges(): the kopiur_backup_* series of one key
//     ({namespace, name}: the BackupConfig, or a manual Backup without one);
//   - effective_deletion_policy(): spec.deletionPolicy, else the config's
//     defaultDeletionPolicy, else Delete (Retain for discovered Backups).
//
// Thread-safety: stateless functions. Failure: ReconcileError values, never exceptions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "kopiur/api/backup.hpp"
#include "kopiur/controller/flow_env.hpp"
#include "kopiur/controller/reconcile.hpp"
#include "kopiur/controller/runtime.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::controller::backup_detail {

inline constexpr const char* kConfigFinalizer = "kopiur.io/metrics-cleanup";
inline constexpr const char* kScheduleLabel = "kopiur.io/schedule";

struct SourceMount {
  std::string pvc;          // claim name
  std::string source_path;  // where the mover sees it, recorded as the snapshot's source
};

struct ResolvedConfig {
  api::BackupConfig config;
  std::string hostname;
  std::string username;
  std::vector<SourceMount> sources;
};

// The config as decoded, its identity and sources; a decode failure is spec_error("BackupConfig")
// and an unsupported source a structural SourceNotSupported naming spec.sources[i].<field>.
// `cluster_repository`: the referenced ClusterRepository (identityDefaults), or null.
std::variant<ResolvedConfig, ReconcileError> resolve_config(
    const nlohmann::json& config_object, const nlohmann::json& cluster_repository = nullptr);

// Finished Backups (Succeeded or Failed) ordered newest first by timing.completionTime, falling
// back to metadata.creationTimestamp (ties: name).
struct BackupSummary {
  std::int64_t consecutive_failures = 0;  // Failed ones before the newest Succeeded one
  std::optional<nlohmann::json> newest_success;
};
BackupSummary summarize_backups(const std::vector<nlohmann::json>& backups);

// The Backups of a config (spec.configRef.name) in a namespace, listed from the API server: the
// related watch that requeues the config may see a Backup's new status before the runtime's
// Backup cache does, and a stale read would leave the gauges one run behind.
std::variant<std::vector<nlohmann::json>, ReconcileError> backups_of_config(
    const FlowEnv& env, const std::string& ns, const std::string& config);

// The kopiur_backup_* gauges of {ns, name} from a Succeeded Backup's status (nullopt: none
// succeeded yet, the series are removed). Figures the status lacks are removed (absent != 0).
void set_backup_gauges(const FlowEnv& env, const std::string& ns, const std::string& name,
                       const std::optional<nlohmann::json>& newest_success);
// Drops every kopiur_backup_* series of {ns, name}, consecutive failures included.
void remove_backup_gauges(const FlowEnv& env, const std::string& ns, const std::string& name);

// Unix seconds of an RFC 3339 time; nullopt when absent or malformed.
std::optional<std::int64_t> unix_seconds(const nlohmann::json& value);

std::string effective_deletion_policy(const FlowEnv& env, const nlohmann::json& backup);

// The owner reference fields a mover Job of this Backup carries.
nlohmann::json job_owner(const nlohmann::json& backup);

// backup_delete.cpp: a Backup with a deletionTimestamp (its snapshot per the deletion policy,
// then the finalizer).
ReconcileResult finalize_backup(FlowEnv& env, ReconcileContext& context);

}  // namespace kopiur::controller::backup_detail
