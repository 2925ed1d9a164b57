// File: kopiur/api/restore.hpp
//
// Restore: bring a snapshot back into a PersistentVolumeClaim. Status carries phase (its success
// phase is "Completed", as in the original operator) and timing.durationSeconds
// (kopiur_restore_duration_seconds).
//
// Thread-safety: plain values. Failure: decode() reports FieldErrors with JSON paths, including
// "exactly one of source.fromConfig / source.backupRef / source.snapshot", a snapshot id that is
// not kopia's, spec.repository beside source.snapshot, and "exactly one of target.pvc /
// target.pvcRef".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kopiur/api/backup.hpp"
#include "kopiur/api/codec.hpp"
#include "kopiur/api/meta.hpp"

namespace kopiur::api {

enum class RestorePhase { kPending, kResolving, kRestoring, kCompleted, kFailed };
template <>
struct EnumTraits<RestorePhase> {
  static constexpr std::array<std::string_view, 5> kNames = {"Pending", "Resolving", "Restoring",
                                                             "Completed", "Failed"};
};

enum class MissingSnapshotPolicy { kFail, kContinue };
template <>
struct EnumTraits<MissingSnapshotPolicy> {
  static constexpr std::array<std::string_view, 2> kNames = {"Fail", "Continue"};
};

struct FromConfig {
  std::string name;
  std::optional<std::string> namespace_;
  std::optional<std::string> as_of;
  std::optional<std::int64_t> offset;
  static constexpr auto fields() {
    return std::tuple{
        field("name", &FromConfig::name, "BackupConfig whose snapshots to pick from."),
        field("namespace", &FromConfig::namespace_, "Its namespace; defaults to the Restore's."),
        field("asOf", &FromConfig::as_of, "Newest snapshot not after this time (RFC 3339)."),
        field("offset", &FromConfig::offset, "Skip this many newer snapshots.", at_least(0)),
    };
  }
};

// SnapshotSource: a kopia snapshot named by its ID in a repository, for snapshots no Backup
// object tracks (made by hand, by another cluster, before kopiur). The ID is either the snapshot
// manifest ID (`kopia snapshot list --json`, "id": 32 hex digits) or the root object ID that
// `kopia snapshot list` prints ("k" and hex digits, "I" prefixes for an indirect object).
struct SnapshotSource {
  std::string id;
  RepositoryRef repository;
  static constexpr auto fields() {
    return std::tuple{
        field("id", &SnapshotSource::id,
              "kopia snapshot ID: the manifest ID (32 hex digits) or the root object ID "
              "(k<hex>) as kopia snapshot list prints them."),
        field("repository", &SnapshotSource::repository,
              "Repository or ClusterRepository holding the snapshot."),
    };
  }
  static void validate(const SnapshotSource& source, const std::string& path, FieldErrors& errors);
};

// True for a snapshot ID in one of the two forms kopia prints (see SnapshotSource).
bool is_kopia_snapshot_id(std::string_view id);

struct RestoreSource {
  std::optional<FromConfig> from_config;
  std::optional<LocalObjectRef> backup_ref;
  std::optional<SnapshotSource> snapshot;
  std::optional<SnapshotIdentity> identity;
  static constexpr std::array<std::string_view, 3> kExactlyOne = {"fromConfig", "backupRef",
                                                                  "snapshot"};
  static constexpr auto fields() {
    return std::tuple{
        field("fromConfig", &RestoreSource::from_config, "Pick a snapshot of a BackupConfig."),
        field("backupRef", &RestoreSource::backup_ref, "Restore this Backup."),
        field("snapshot", &RestoreSource::snapshot,
              "Restore a kopia snapshot by its ID, from a repository named here."),
        field("identity", &RestoreSource::identity, "Override the snapshot source identity."),
    };
  }
};

struct NewClaim {
  std::string name;
  std::optional<std::string> storage_class_name;
  std::optional<std::string> size;
  std::vector<std::string> access_modes;
  static constexpr auto fields() {
    return std::tuple{
        field("name", &NewClaim::name, "Name of the claim to create."),
        field("storageClassName", &NewClaim::storage_class_name, "Its StorageClass."),
        field("size", &NewClaim::size, "Requested size, e.g. 10Gi."),
        field("accessModes", &NewClaim::access_modes, "Access modes; ReadWriteOnce by default."),
    };
  }
};

struct RestoreTarget {
  std::optional<NewClaim> pvc;
  std::optional<LocalObjectRef> pvc_ref;
  static constexpr std::array<std::string_view, 2> kExactlyOne = {"pvc", "pvcRef"};
  static constexpr auto fields() {
    return std::tuple{
        field("pvc", &RestoreTarget::pvc, "Create a new claim and restore into it."),
        field("pvcRef", &RestoreTarget::pvc_ref, "Restore into an existing claim."),
    };
  }
};

struct RestorePolicy {
  std::optional<MissingSnapshotPolicy> on_missing_snapshot;
  std::optional<std::string> wait_timeout;
  static constexpr auto fields() {
    return std::tuple{
        field("onMissingSnapshot", &RestorePolicy::on_missing_snapshot, "Fail or Continue."),
        field("waitTimeout", &RestorePolicy::wait_timeout, "How long to wait for a snapshot."),
    };
  }
};

// RestoreOptions: how kopia writes the restored files.
struct RestoreOptions {
  bool enable_file_deletion = false;
  std::optional<bool> ignore_permission_errors;
  std::optional<bool> write_files_atomically;
  static constexpr auto fields() {
    return std::tuple{
        field("enableFileDeletion", &RestoreOptions::enable_file_deletion,
              "Delete files of the target that the snapshot lacks, making the target an exact "
              "copy (default false: the restore only adds and overwrites).",
              omit_empty()),
        field("ignorePermissionErrors", &RestoreOptions::ignore_permission_errors,
              "Carry on past permission errors, reported in a condition (default true).",
              with_default("true")),
        field("writeFilesAtomically", &RestoreOptions::write_files_atomically,
              "Write each file to a temporary name and rename it (default true).",
              with_default("true")),
    };
  }
};

struct RestoreSpec {
  RestoreSource source;
  RestoreTarget target;
  std::optional<RepositoryRef> repository;
  std::optional<RestoreOptions> options;
  std::optional<RestorePolicy> policy;
  std::optional<FailurePolicy> failure_policy;
  std::optional<nlohmann::json> mover;
  std::optional<CredentialProjection> credential_projection;
  static constexpr auto fields() {
    return std::tuple{
        field("source", &RestoreSpec::source, "Which snapshot."),
        field("target", &RestoreSpec::target, "Where to restore it."),
        field("repository", &RestoreSpec::repository,
              "Repository; defaults to the source Backup's. Unset with source.snapshot, which "
              "names its own."),
        field("options", &RestoreSpec::options, "How the files are written."),
        field("policy", &RestoreSpec::policy, "Waiting and missing-snapshot behaviour."),
        field("failurePolicy", &RestoreSpec::failure_policy, "Mover Job limits."),
        field("mover", &RestoreSpec::mover, "Mover Job overrides."),
        field("credentialProjection", &RestoreSpec::credential_projection,
              "Copy the repository's credential Secrets into this namespace for the mover."),
    };
  }
  static void validate(const RestoreSpec& spec, const std::string& path, FieldErrors& errors);
};

struct RestoreProgress {
  std::optional<std::int64_t> bytes_restored;
  std::optional<std::int64_t> files_restored;
  static constexpr auto fields() {
    return std::tuple{field("bytesRestored", &RestoreProgress::bytes_restored, "Bytes written."),
                      field("filesRestored", &RestoreProgress::files_restored, "Files written.")};
  }
};

struct RestoreStatus {
  std::optional<RestorePhase> phase;
  std::optional<RestoreProgress> progress;
  std::optional<Timing> timing;
  std::optional<std::string> resolved_snapshot_id;
  std::optional<std::string> log_tail;
  std::vector<Condition> conditions;
  std::optional<std::int64_t> observed_generation;
  static constexpr auto fields() {
    return std::tuple{
        field("phase", &RestoreStatus::phase, "Lifecycle phase."),
        field("progress", &RestoreStatus::progress, "Bytes and files restored."),
        field("timing", &RestoreStatus::timing,
              "Start, completion and duration (kopiur_restore_duration_seconds)."),
        field("resolvedSnapshotID", &RestoreStatus::resolved_snapshot_id,
              "The kopia snapshot chosen."),
        field("logTail", &RestoreStatus::log_tail, "Last lines of the mover log on failure."),
        field("conditions", &RestoreStatus::conditions, "Ready, ..."),
        field("observedGeneration", &RestoreStatus::observed_generation,
              "metadata.generation last reconciled."),
    };
  }
};

struct Restore {
  static constexpr std::string_view kKind = "Restore";
  ObjectMeta metadata;
  RestoreSpec spec;
  std::optional<RestoreStatus> status;
  static constexpr auto fields() {
    return std::tuple{field("metadata", &Restore::metadata, ""),
                      field("spec", &Restore::spec, "Desired state."),
                      field("status", &Restore::status, "Observed state.")};
  }
};

}  // namespace kopiur::api
