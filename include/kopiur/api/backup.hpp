// File: kopiur/api/backup.hpp
//
// BackupConfig (what to back up, where, how long to keep it), BackupSchedule (when) and Backup
// (one run, or one snapshot discovered in a repository). Backup status carries what the backup
// metrics read: phase, stats.sizeBytes (kopiur_backup_size_bytes), the file counts
// (kopiur_backup_files; absent when unknown) and timing.durationSeconds
// (kopiur_backup_duration_seconds). BackupConfig status carries consecutiveFailures
// (kopiur_backup_consecutive_failures).
//
// Thread-safety: plain values. Failure: decode() reports FieldErrors with JSON paths.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kopiur/api/codec.hpp"
#include "kopiur/api/meta.hpp"

namespace kopiur::api {

enum class BackupPhase { kPending, kRunning, kSucceeded, kFailed, kDeleting, kDiscovered };
template <>
struct EnumTraits<BackupPhase> {
  static constexpr std::array<std::string_view, 6> kNames = {"Pending", "Running",  "Succeeded",
                                                             "Failed",  "Deleting", "Discovered"};
};

enum class BackupOrigin { kScheduled, kManual, kDiscovered };
template <>
struct EnumTraits<BackupOrigin> {
  static constexpr std::array<std::string_view, 3> kNames = {"scheduled", "manual", "discovered"};
};

enum class CopyMethod { kSnapshot, kClone, kDirect };
template <>
struct EnumTraits<CopyMethod> {
  static constexpr std::array<std::string_view, 3> kNames = {"Snapshot", "Clone", "Direct"};
};

enum class DeletionPolicy { kDelete, kRetain, kOrphan };
template <>
struct EnumTraits<DeletionPolicy> {
  static constexpr std::array<std::string_view, 3> kNames = {"Delete", "Retain", "Orphan"};
};

enum class ConcurrencyPolicy { kForbid, kAllow, kReplace };
template <>
struct EnumTraits<ConcurrencyPolicy> {
  static constexpr std::array<std::string_view, 3> kNames = {"Forbid", "Allow", "Replace"};
};

enum class GroupBy { kVolumeGroupSnapshot, kNone };
template <>
struct EnumTraits<GroupBy> {
  static constexpr std::array<std::string_view, 2> kNames = {"VolumeGroupSnapshot", "None"};
};

enum class SourcePathStrategy { kPvcName, kPvcNamespacedName };
template <>
struct EnumTraits<SourcePathStrategy> {
  static constexpr std::array<std::string_view, 2> kNames = {"PvcName", "PvcNamespacedName"};
};

// ---- BackupConfig ---------------------------------------------------------------------------

struct NfsVolume {
  std::string server;
  std::string path;
  static constexpr auto fields() {
    return std::tuple{field("server", &NfsVolume::server, "NFS server host name or address."),
                      field("path", &NfsVolume::path, "Exported path on that server.")};
  }
};

// BackupSource: exactly one of pvc, pvcSelector or nfs; path and pathStrategy shape the source
// path recorded in the snapshot.
struct BackupSource {
  std::optional<std::string> pvc;
  std::optional<nlohmann::json> pvc_selector;
  std::optional<NfsVolume> nfs;
  std::optional<std::string> path;
  std::optional<SourcePathStrategy> path_strategy;
  static constexpr std::array<std::string_view, 3> kExactlyOne = {"pvc", "pvcSelector", "nfs"};
  static constexpr auto fields() {
    return std::tuple{
        field("pvc", &BackupSource::pvc, "PersistentVolumeClaim to back up."),
        field("pvcSelector", &BackupSource::pvc_selector,
              "Label selector choosing several claims."),
        field("nfs", &BackupSource::nfs, "NFS export to back up, mounted by the mover."),
        field("path", &BackupSource::path,
              "Source path recorded in the snapshot; overrides pathStrategy."),
        field("pathStrategy", &BackupSource::path_strategy,
              "Default source path: PvcName (/pvc/<name>, default) or PvcNamespacedName "
              "(/pvc/<namespace>/<name>, for same-named claims of several namespaces)."),
    };
  }
};

// Identity: overrides of the kopia identity (user@host) the snapshots of a BackupConfig carry.
struct Identity {
  std::optional<std::string> username;
  std::optional<std::string> hostname;
  static constexpr auto fields() {
    return std::tuple{
        field("username", &Identity::username, "kopia user name; the object's name by default."),
        field("hostname", &Identity::hostname, "kopia host name; the namespace by default."),
    };
  }
};

struct Retention {
  std::optional<std::int64_t> keep_latest;
  std::optional<std::int64_t> keep_hourly;
  std::optional<std::int64_t> keep_daily;
  std::optional<std::int64_t> keep_weekly;
  std::optional<std::int64_t> keep_monthly;
  std::optional<std::int64_t> keep_annual;
  static constexpr auto fields() {
    return std::tuple{
        field("keepLatest", &Retention::keep_latest, "Newest snapshots to keep.", at_least(0)),
        field("keepHourly", &Retention::keep_hourly, "Hourly snapshots to keep.", at_least(0)),
        field("keepDaily", &Retention::keep_daily, "Daily snapshots to keep.", at_least(0)),
        field("keepWeekly", &Retention::keep_weekly, "Weekly snapshots to keep.", at_least(0)),
        field("keepMonthly", &Retention::keep_monthly, "Monthly snapshots to keep.", at_least(0)),
        field("keepAnnual", &Retention::keep_annual, "Annual snapshots to keep.", at_least(0)),
    };
  }
};

struct BackupConfigSpec {
  RepositoryRef repository;
  std::optional<Identity> identity;
  std::vector<BackupSource> sources;
  std::optional<Retention> retention;
  std::optional<CopyMethod> copy_method;
  std::optional<GroupBy> group_by;
  std::optional<DeletionPolicy> default_deletion_policy;
  std::optional<std::string> volume_snapshot_class_name;
  std::optional<nlohmann::json> hooks;
  std::optional<nlohmann::json> mover;
  std::optional<nlohmann::json> policy;
  std::optional<CredentialProjection> credential_projection;
  static constexpr auto fields() {
    return std::tuple{
        field("repository", &BackupConfigSpec::repository, "Repository to write to."),
        field("identity", &BackupConfigSpec::identity,
              "kopia identity overrides; else the ClusterRepository's identityDefaults, else "
              "<name>@<namespace>."),
        field("sources", &BackupConfigSpec::sources, "What to back up (at least one).",
              non_empty()),
        field("retention", &BackupConfigSpec::retention, "Snapshot retention."),
        field("copyMethod", &BackupConfigSpec::copy_method,
              "How the source is captured: Snapshot, Clone or Direct (default).",
              with_default("\"Direct\"")),
        field("groupBy", &BackupConfigSpec::group_by,
              "Several claims: VolumeGroupSnapshot (one consistent group snapshot, default) or "
              "None (independent per-claim snapshots)."),
        field("defaultDeletionPolicy", &BackupConfigSpec::default_deletion_policy,
              "What deleting a Backup does to its snapshot: Delete, Retain or Orphan."),
        field("volumeSnapshotClassName", &BackupConfigSpec::volume_snapshot_class_name,
              "VolumeSnapshotClass for copyMethod Snapshot."),
        field("hooks", &BackupConfigSpec::hooks, "Commands run before and after a backup."),
        field("mover", &BackupConfigSpec::mover, "Mover Job overrides."),
        field("policy", &BackupConfigSpec::policy, "kopia policy (compression, ignore, ...)."),
        field("credentialProjection", &BackupConfigSpec::credential_projection,
              "Copy the repository's credential Secrets into this namespace for the mover."),
    };
  }
};

// SnapshotIdentity: a kopia snapshot source, user@host:path.
struct SnapshotIdentity {
  std::optional<std::string> hostname;
  std::optional<std::string> username;
  std::optional<std::string> source_path;
  static constexpr auto fields() {
    return std::tuple{field("hostname", &SnapshotIdentity::hostname, "kopia host name."),
                      field("username", &SnapshotIdentity::username, "kopia user name."),
                      field("sourcePath", &SnapshotIdentity::source_path, "kopia source path.")};
  }
};

// ResolvedSource: one claim (or export) a BackupConfig resolved to, with its source path.
struct ResolvedSource {
  std::optional<std::string> pvc;
  std::optional<std::string> source_path;
  static constexpr auto fields() {
    return std::tuple{
        field("pvc", &ResolvedSource::pvc, "Claim name; unset for nfs."),
        field("sourcePath", &ResolvedSource::source_path, "Source path recorded in the snapshot.")};
  }
};

// ResolvedConfig: what a BackupConfig's identity and sources resolved to, pinned in status so a
// template or selector change is visible before the next backup uses it.
struct ResolvedConfig {
  std::optional<SnapshotIdentity> identity;
  std::vector<ResolvedSource> sources;
  static constexpr auto fields() {
    return std::tuple{
        field("identity", &ResolvedConfig::identity, "kopia identity used for new snapshots."),
        field("sources", &ResolvedConfig::sources, "Claims (or exports) and their source paths."),
    };
  }
};

struct RetentionStatus {
  std::optional<std::int64_t> active_snapshot_count;
  std::optional<std::string> last_prune_at;
  std::optional<std::int64_t> last_prune_deleted;
  static constexpr auto fields() {
    return std::tuple{
        field("activeSnapshotCount", &RetentionStatus::active_snapshot_count, "Kept snapshots."),
        field("lastPruneAt", &RetentionStatus::last_prune_at, "Last prune (RFC 3339)."),
        field("lastPruneDeleted", &RetentionStatus::last_prune_deleted,
              "Snapshots the last prune deleted."),
    };
  }
};

struct BackupConfigStatus {
  std::optional<ResolvedConfig> resolved;
  std::optional<std::int64_t> consecutive_failures;
  std::optional<std::string> last_successful_backup;
  std::optional<std::string> last_success_time;
  std::optional<RetentionStatus> retention;
  std::vector<Condition> conditions;
  std::optional<std::int64_t> observed_generation;
  static constexpr auto fields() {
    return std::tuple{
        field("resolved", &BackupConfigStatus::resolved, "Resolved identity and sources."),
        field("consecutiveFailures", &BackupConfigStatus::consecutive_failures,
              "Failed Backups after the newest Succeeded one "
              "(kopiur_backup_consecutive_failures)."),
        field("lastSuccessfulBackup", &BackupConfigStatus::last_successful_backup,
              "Name of the newest Succeeded Backup."),
        field("lastSuccessTime", &BackupConfigStatus::last_success_time,
              "Completion time of the newest Succeeded Backup (RFC 3339)."),
        field("retention", &BackupConfigStatus::retention, "Retention figures."),
        field("conditions", &BackupConfigStatus::conditions, "RepositoryReachable, Ready, ..."),
        field("observedGeneration", &BackupConfigStatus::observed_generation,
              "metadata.generation last reconciled."),
    };
  }
};

struct BackupConfig {
  static constexpr std::string_view kKind = "BackupConfig";
  ObjectMeta metadata;
  BackupConfigSpec spec;
  std::optional<BackupConfigStatus> status;
  static constexpr auto fields() {
    return std::tuple{field("metadata", &BackupConfig::metadata, ""),
                      field("spec", &BackupConfig::spec, "Desired state."),
                      field("status", &BackupConfig::status, "Observed state.")};
  }
};

// ---- BackupSchedule -------------------------------------------------------------------------

struct ScheduleSpec {
  std::string cron;
  std::optional<std::string> timezone;
  std::optional<std::string> jitter;
  std::optional<bool> suspend;
  std::optional<ConcurrencyPolicy> concurrency_policy;
  std::optional<bool> run_on_create;
  std::optional<std::int64_t> starting_deadline_seconds;
  static constexpr auto fields() {
    return std::tuple{
        field("cron", &ScheduleSpec::cron, "Five-field cron expression."),
        field("timezone", &ScheduleSpec::timezone, "IANA time zone; UTC when unset."),
        field("jitter", &ScheduleSpec::jitter, "Random delay added to each run, e.g. 5m."),
        field("suspend", &ScheduleSpec::suspend, "Stop creating Backups."),
        field("concurrencyPolicy", &ScheduleSpec::concurrency_policy,
              "Forbid (default), Allow or Replace.", with_default("\"Forbid\"")),
        field("runOnCreate", &ScheduleSpec::run_on_create, "Fire once when created."),
        field("startingDeadlineSeconds", &ScheduleSpec::starting_deadline_seconds,
              "Skip a run that is later than this.", at_least(0)),
    };
  }
  static void validate(const ScheduleSpec& spec, const std::string& path, FieldErrors& errors);
};

struct BackupScheduleSpec {
  LocalObjectRef config_ref;
  ScheduleSpec schedule;
  std::optional<std::int64_t> failed_jobs_history_limit;
  static constexpr auto fields() {
    return std::tuple{
        field("configRef", &BackupScheduleSpec::config_ref, "BackupConfig to run."),
        field("schedule", &BackupScheduleSpec::schedule, "When to run."),
        field("failedJobsHistoryLimit", &BackupScheduleSpec::failed_jobs_history_limit,
              "Failed Backups to keep.", at_least(0)),
    };
  }
};

struct ScheduleMark {
  std::optional<std::string> time;
  std::optional<std::string> backup_ref;
  static constexpr auto fields() {
    return std::tuple{field("time", &ScheduleMark::time, "RFC 3339 time."),
                      field("backupRef", &ScheduleMark::backup_ref, "Backup created then.")};
  }
};

struct BackupScheduleStatus {
  std::optional<std::int64_t> consecutive_failures;
  std::optional<ScheduleMark> last_schedule;
  std::optional<ScheduleMark> last_successful_schedule;
  std::optional<ScheduleMark> next_schedule;
  std::optional<std::int64_t> backups_created;
  std::vector<Condition> conditions;
  std::optional<std::int64_t> observed_generation;
  static constexpr auto fields() {
    return std::tuple{
        field("consecutiveFailures", &BackupScheduleStatus::consecutive_failures,
              "Failed runs in a row."),
        field("lastSchedule", &BackupScheduleStatus::last_schedule, "Last time it fired."),
        field("lastSuccessfulSchedule", &BackupScheduleStatus::last_successful_schedule,
              "Last run that succeeded."),
        field("nextSchedule", &BackupScheduleStatus::next_schedule, "Next planned run."),
        field("backupsCreated", &BackupScheduleStatus::backups_created,
              "Backups this schedule created."),
        field("conditions", &BackupScheduleStatus::conditions, "Ready, ..."),
        field("observedGeneration", &BackupScheduleStatus::observed_generation,
              "metadata.generation last reconciled."),
    };
  }
};

struct BackupSchedule {
  static constexpr std::string_view kKind = "BackupSchedule";
  ObjectMeta metadata;
  BackupScheduleSpec spec;
  std::optional<BackupScheduleStatus> status;
  static constexpr auto fields() {
    return std::tuple{field("metadata", &BackupSchedule::metadata, ""),
                      field("spec", &BackupSchedule::spec, "Desired state."),
                      field("status", &BackupSchedule::status, "Observed state.")};
  }
};

// ---- Backup ---------------------------------------------------------------------------------

struct BackupSpec {
  std::optional<LocalObjectRef> config_ref;
  std::optional<DeletionPolicy> deletion_policy;
  std::optional<FailurePolicy> failure_policy;
  std::map<std::string, std::string> tags;
  static constexpr auto fields() {
    return std::tuple{
        field("configRef", &BackupSpec::config_ref,
              "BackupConfig this run follows; empty for a discovered snapshot."),
        field("deletionPolicy", &BackupSpec::deletion_policy,
              "Overrides the config's defaultDeletionPolicy."),
        field("failurePolicy", &BackupSpec::failure_policy, "Mover Job limits."),
        field("tags", &BackupSpec::tags, "Tags recorded on the kopia snapshot."),
    };
  }
};

// BackupStats: every figure is optional because kopia may not report it; absent != zero.
struct BackupStats {
  std::optional<std::int64_t> size_bytes;
  std::optional<std::int64_t> bytes_new;
  std::optional<std::int64_t> files_new;
  std::optional<std::int64_t> files_modified;
  std::optional<std::int64_t> files_unchanged;
  static constexpr auto fields() {
    return std::tuple{
        field("sizeBytes", &BackupStats::size_bytes, "Snapshot size (kopiur_backup_size_bytes)."),
        field("bytesNew", &BackupStats::bytes_new, "Bytes uploaded by this run."),
        field("filesNew", &BackupStats::files_new, "New files."),
        field("filesModified", &BackupStats::files_modified, "Modified files."),
        field("filesUnchanged", &BackupStats::files_unchanged, "Unchanged files."),
    };
  }
  // total_files(): filesNew + filesModified + filesUnchanged, or nullopt when all three are
  // unknown (kopiur_backup_files is then left unset).
  std::optional<std::int64_t> total_files() const;
};

struct Timing {
  std::optional<std::string> start_time;
  std::optional<std::string> completion_time;
  std::optional<std::int64_t> duration_seconds;
  static constexpr auto fields() {
    return std::tuple{
        field("startTime", &Timing::start_time, "When the run started (RFC 3339)."),
        field("completionTime", &Timing::completion_time, "When the run ended (RFC 3339)."),
        field("durationSeconds", &Timing::duration_seconds, "Wall-clock seconds of the run.",
              at_least(0)),
    };
  }
};

struct SnapshotInfo {
  std::optional<std::string> kopia_snapshot_id;
  std::optional<SnapshotIdentity> identity;
  static constexpr auto fields() {
    return std::tuple{field("kopiaSnapshotID", &SnapshotInfo::kopia_snapshot_id, "Snapshot ID."),
                      field("identity", &SnapshotInfo::identity, "Snapshot source identity.")};
  }
};

struct JobInfo {
  std::optional<std::string> name;
  std::optional<std::int64_t> attempts;
  static constexpr auto fields() {
    return std::tuple{field("name", &JobInfo::name, "Mover Job name."),
                      field("attempts", &JobInfo::attempts, "Pods started so far.")};
  }
};

// ResolvedBackup: the repository and sources a Backup run was pinned to when it started.
struct ResolvedBackup {
  std::optional<RepositoryRef> repository;
  std::vector<ResolvedSource> sources;
  static constexpr auto fields() {
    return std::tuple{
        field("repository", &ResolvedBackup::repository, "Repository written to."),
        field("sources", &ResolvedBackup::sources, "Claims (or exports) and their source paths."),
    };
  }
};

struct BackupStatus {
  std::optional<BackupPhase> phase;
  std::optional<BackupOrigin> origin;
  std::optional<BackupStats> stats;
  std::optional<Timing> timing;
  std::optional<SnapshotInfo> snapshot;
  std::optional<JobInfo> job;
  std::optional<ResolvedBackup> resolved;
  std::optional<std::string> log_tail;
  std::vector<Condition> conditions;
  std::optional<std::int64_t> observed_generation;
  static constexpr auto fields() {
    return std::tuple{
        field("phase", &BackupStatus::phase, "Lifecycle phase."),
        field("origin", &BackupStatus::origin, "scheduled, manual or discovered."),
        field("stats", &BackupStatus::stats, "Size and file counts."),
        field("timing", &BackupStatus::timing, "Start, completion and duration."),
        field("snapshot", &BackupStatus::snapshot, "The kopia snapshot."),
        field("job", &BackupStatus::job, "The mover Job."),
        field("resolved", &BackupStatus::resolved, "Repository and sources the run used."),
        field("logTail", &BackupStatus::log_tail, "Last lines of the mover log on failure."),
        field("conditions", &BackupStatus::conditions, "SnapshotCreated, Ready, ..."),
        field("observedGeneration", &BackupStatus::observed_generation,
              "metadata.generation last reconciled."),
    };
  }
};

struct Backup {
  static constexpr std::string_view kKind = "Backup";
  ObjectMeta metadata;
  BackupSpec spec;
  std::optional<BackupStatus> status;
  static constexpr auto fields() {
    return std::tuple{field("metadata", &Backup::metadata, ""),
                      field("spec", &Backup::spec, "Desired state."),
                      field("status", &Backup::status, "Observed state.")};
  }
};

}  // namespace kopiur::api
