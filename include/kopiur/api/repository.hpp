// File: kopiur/api/repository.hpp
//
// Repository (namespaced) and ClusterRepository (cluster-scoped): where kopia stores snapshots.
// Their status carries what the metrics read: phase (kopiur_resource_phase), the catalog figures
// (kopiur_repo_size_bytes, kopiur_repo_snapshot_count, kopiur_repo_discovered_backups) and the
// MaintenanceConfigured condition (kopiur_repository_maintenance_configured).
//
// Thread-safety: plain values. Failure: decode() reports FieldErrors, including "exactly one
// backend" violations, with the JSON path of the offending field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "kopiur/api/codec.hpp"
#include "kopiur/api/maintenance.hpp"
#include "kopiur/api/meta.hpp"

namespace kopiur::api {

// Phase names are those of the original operator, so existing alerts keep matching.
enum class RepositoryPhase { kPending, kInitializing, kReady, kDegraded, kFailed };
template <>
struct EnumTraits<RepositoryPhase> {
  static constexpr std::array<std::string_view, 5> kNames = {"Pending", "Initializing", "Ready",
                                                             "Degraded", "Failed"};
};

enum class RepositoryMode { kReadWrite, kReadOnly };
template <>
struct EnumTraits<RepositoryMode> {
  static constexpr std::array<std::string_view, 2> kNames = {"ReadWrite", "ReadOnly"};
};

struct S3Backend {
  std::string bucket;
  std::optional<std::string> prefix;
  std::optional<std::string> endpoint;
  std::optional<std::string> region;
  std::optional<bool> disable_tls;
  std::optional<LocalObjectRef> credentials_secret_ref;
  static constexpr auto fields() {
    return std::tuple{
        field("bucket", &S3Backend::bucket, "Bucket name."),
        field("prefix", &S3Backend::prefix, "Object key prefix inside the bucket."),
        field("endpoint", &S3Backend::endpoint, "S3 endpoint host[:port]."),
        field("region", &S3Backend::region, "Bucket region."),
        field("disableTLS", &S3Backend::disable_tls, "Talk plain HTTP to the endpoint."),
        field("credentialsSecretRef", &S3Backend::credentials_secret_ref,
              "Secret holding AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."),
    };
  }
};

struct FilesystemBackend {
  std::string path;
  std::optional<std::string> claim_name;
  static constexpr auto fields() {
    return std::tuple{
        field("path", &FilesystemBackend::path, "Directory of the repository inside the volume."),
        field("claimName", &FilesystemBackend::claim_name,
              "PersistentVolumeClaim mounted to reach the path."),
    };
  }
};

// Backend: exactly one member is set. The less common stores keep their settings verbatim.
struct Backend {
  std::optional<S3Backend> s3;
  std::optional<nlohmann::json> gcs;
  std::optional<nlohmann::json> azure;
  std::optional<nlohmann::json> b2;
  std::optional<FilesystemBackend> filesystem;
  std::optional<nlohmann::json> sftp;
  std::optional<nlohmann::json> web_dav;
  std::optional<nlohmann::json> rclone;
  static constexpr std::array<std::string_view, 8> kExactlyOne = {
      "s3", "gcs", "azure", "b2", "filesystem", "sftp", "webDav", "rclone"};
  static constexpr auto fields() {
    return std::tuple{
        field("s3", &Backend::s3, "S3-compatible object store."),
        field("gcs", &Backend::gcs, "Google Cloud Storage."),
        field("azure", &Backend::azure, "Azure Blob Storage."),
        field("b2", &Backend::b2, "Backblaze B2."),
        field("filesystem", &Backend::filesystem, "A directory on a volume."),
        field("sftp", &Backend::sftp, "SFTP server."),
        field("webDav", &Backend::web_dav, "WebDAV server."),
        field("rclone", &Backend::rclone, "Any rclone remote."),
    };
  }
  // name(): the wire name of the configured backend ("s3", ...), or "" when none is set.
  std::string name() const;
};

struct Encryption {
  SecretKeyRef password_secret_ref;
  static constexpr auto fields() {
    return std::tuple{field("passwordSecretRef", &Encryption::password_secret_ref,
                            "Secret key holding the repository password.")};
  }
};

struct CatalogSpec {
  std::optional<bool> enabled;
  std::optional<std::string> refresh_interval;
  static constexpr auto fields() {
    return std::tuple{
        field("enabled", &CatalogSpec::enabled, "Scan the repository for existing snapshots."),
        field("refreshInterval", &CatalogSpec::refresh_interval, "How often to rescan, e.g. 1h."),
    };
  }
};

// EccSpec: Reed-Solomon parity kopia adds to every blob of a new repository, against bit rot in
// the store (`kopia repository create --ecc --ecc-overhead-percent`). Creation time only.
struct EccSpec {
  std::optional<std::string> algorithm;
  std::optional<std::int64_t> overhead_percent;
  static constexpr auto fields() {
    return std::tuple{
        field("algorithm", &EccSpec::algorithm, "ECC algorithm, e.g. REED-SOLOMON-CRC32 (--ecc)."),
        field("overheadPercent", &EccSpec::overhead_percent,
              "Parity overhead in percent (--ecc-overhead-percent).", at_least(0)),
    };
  }
};

struct CreateSpec {
  std::optional<bool> enabled;
  std::optional<std::string> hash;
  std::optional<std::string> encryption;
  std::optional<std::string> splitter;
  std::optional<EccSpec> ecc;
  static constexpr auto fields() {
    return std::tuple{
        field("enabled", &CreateSpec::enabled, "Initialise the repository when it is missing."),
        field("hash", &CreateSpec::hash, "Hash algorithm for a new repository."),
        field("encryption", &CreateSpec::encryption, "Encryption algorithm for a new repository."),
        field("splitter", &CreateSpec::splitter, "Splitter for a new repository."),
        field("ecc", &CreateSpec::ecc, "Error-correction parity for a new repository."),
    };
  }
};

enum class CacheVolumeMode { kEphemeral, kPersistent };
template <>
struct EnumTraits<CacheVolumeMode> {
  static constexpr std::array<std::string_view, 2> kNames = {"Ephemeral", "Persistent"};
};

// CacheDefaults: the kopia cache of the movers that use this repository, unless a BackupConfig,
// Restore or Maintenance overrides it in its `mover`.
struct CacheDefaults {
  std::optional<std::string> capacity;
  std::optional<std::string> storage_class_name;
  std::optional<std::int64_t> metadata_cache_size_mb;
  std::optional<std::int64_t> content_cache_size_mb;
  std::optional<CacheVolumeMode> mode;
  static constexpr auto fields() {
    return std::tuple{
        field("capacity", &CacheDefaults::capacity, "Size of the cache volume, e.g. 10Gi."),
        field("storageClassName", &CacheDefaults::storage_class_name,
              "StorageClass of the cache volume; the cluster default when unset."),
        field("metadataCacheSizeMb", &CacheDefaults::metadata_cache_size_mb,
              "kopia metadata cache budget in MiB (--metadata-cache-size-mb).", at_least(0)),
        field("contentCacheSizeMb", &CacheDefaults::content_cache_size_mb,
              "kopia content cache budget in MiB (--content-cache-size-mb).", at_least(0)),
        field("mode", &CacheDefaults::mode,
              "Ephemeral (default: fresh per run) or Persistent (a claim reused across runs)."),
    };
  }
};

// RepositoryMaintenance: the Maintenance object the repository manages for itself
// (<name>-maintenance, cluster-<name>-maintenance for a ClusterRepository). Set and enabled means
// managed; absent or `enabled: false` leaves maintenance to a Maintenance written by hand.
struct RepositoryMaintenance {
  std::optional<bool> enabled;
  std::optional<MaintenanceSchedule> schedule;
  std::optional<nlohmann::json> mover;
  std::optional<FailurePolicy> failure_policy;
  std::optional<TakeoverPolicy> takeover_policy;
  std::optional<std::string> namespace_;
  static constexpr auto fields() {
    return std::tuple{
        field("enabled", &RepositoryMaintenance::enabled,
              "Create and own a Maintenance for this repository while spec.maintenance is set "
              "(default true).",
              with_default("true")),
        field("schedule", &RepositoryMaintenance::schedule,
              "Quick and full schedules of that Maintenance (default @hourly and @daily)."),
        field("mover", &RepositoryMaintenance::mover, "Its mover Job overrides."),
        field("failurePolicy", &RepositoryMaintenance::failure_policy, "Its mover Job limits."),
        field("takeoverPolicy", &RepositoryMaintenance::takeover_policy,
              "Never, PromptCondition or Force, when another owner holds maintenance."),
        field("namespace", &RepositoryMaintenance::namespace_,
              "ClusterRepository: namespace of the Maintenance (the operator's by default)."),
    };
  }
};

// IdentityTemplate: how consumers of a ClusterRepository name their snapshots when they do not
// set spec.identity. Templates see {{ .Namespace }} and {{ .ConfigName }}.
struct IdentityTemplate {
  std::optional<std::string> hostname_template;
  std::optional<std::string> username_template;
  static constexpr auto fields() {
    return std::tuple{
        field("hostnameTemplate", &IdentityTemplate::hostname_template,
              "Template of the kopia host name, e.g. {{ .Namespace }}."),
        field("usernameTemplate", &IdentityTemplate::username_template,
              "Template of the kopia user name, e.g. {{ .Namespace }}-{{ .ConfigName }}."),
    };
  }
};

// RepositorySpec: the settings of a repository of either scope. ClusterRepositorySpec adds
// allowedNamespaces between encryption and create; the two halves below let both kinds list their
// fields in that wire order from one set of names and descriptions.
struct RepositorySpec {
  Backend backend;
  Encryption encryption;
  std::optional<CreateSpec> create;
  std::optional<CacheDefaults> cache_defaults;
  std::optional<CatalogSpec> catalog;
  std::optional<RepositoryMaintenance> maintenance;
  std::optional<RepositoryMode> mode;
  std::optional<bool> suspend;

 protected:  // defined before fields(), which deduces its type from them
  static constexpr auto storage_fields() {
    return std::tuple{
        field("backend", &RepositorySpec::backend, "Where the repository lives (exactly one)."),
        field("encryption", &RepositorySpec::encryption, "Repository password."),
    };
  }
  static constexpr auto behaviour_fields() {
    return std::tuple{
        field("create", &RepositorySpec::create, "Whether and how to create a missing repository."),
        field("cacheDefaults", &RepositorySpec::cache_defaults,
              "kopia cache of the movers using this repository, unless they override it."),
        field("catalog", &RepositorySpec::catalog, "Catalog scan of existing snapshots."),
        field("maintenance", &RepositorySpec::maintenance,
              "A Maintenance this repository creates and owns (none when unset)."),
        field("mode", &RepositorySpec::mode, "ReadWrite (default) or ReadOnly."),
        field("suspend", &RepositorySpec::suspend, "Stop reconciling this repository."),
    };
  }

 public:
  static constexpr auto fields() { return std::tuple_cat(storage_fields(), behaviour_fields()); }
};

// ClusterRepositorySpec: a RepositorySpec plus the namespaces allowed to use it (required, at
// least one) and the identity defaults of its consumers.
struct ClusterRepositorySpec : RepositorySpec {
  std::vector<std::string> allowed_namespaces;
  std::optional<IdentityTemplate> identity_defaults;
  static constexpr auto fields() {
    return std::tuple_cat(
        storage_fields(),
        std::tuple{field("allowedNamespaces", &ClusterRepositorySpec::allowed_namespaces,
                         "Namespaces that may use this repository; \"*\" allows all.", non_empty()),
                   field("identityDefaults", &ClusterRepositorySpec::identity_defaults,
                         "kopia identity of consumers that do not set their own.")},
        behaviour_fields());
  }
};

struct StorageStats {
  std::optional<std::int64_t> snapshot_count;
  std::optional<std::string> total_size;
  std::optional<std::string> last_observed_at;
  static constexpr auto fields() {
    return std::tuple{
        field("snapshotCount", &StorageStats::snapshot_count, "Snapshots in the repository."),
        field("totalSize", &StorageStats::total_size, "Human-readable stored size."),
        field("lastObservedAt", &StorageStats::last_observed_at, "When measured (RFC 3339)."),
    };
  }
};

// CatalogStatus: the figures behind kopiur_repo_* gauges.
struct CatalogStatus {
  std::optional<std::int64_t> snapshot_count;
  std::optional<std::int64_t> discovered_backup_count;
  std::optional<std::int64_t> logical_size_bytes;
  std::optional<std::string> last_refresh_at;
  static constexpr auto fields() {
    return std::tuple{
        field("snapshotCount", &CatalogStatus::snapshot_count,
              "Snapshots found by the last catalog scan (kopiur_repo_snapshot_count)."),
        field("discoveredBackupCount", &CatalogStatus::discovered_backup_count,
              "Backups discovered in the repository (kopiur_repo_discovered_backups)."),
        field("logicalSizeBytes", &CatalogStatus::logical_size_bytes,
              "Newest snapshot per source, summed (kopiur_repo_size_bytes)."),
        field("lastRefreshAt", &CatalogStatus::last_refresh_at, "When scanned (RFC 3339)."),
    };
  }
};

struct RepositoryStatus {
  std::optional<RepositoryPhase> phase;
  std::optional<std::string> backend;
  std::optional<std::string> unique_id;
  std::optional<StorageStats> storage_stats;
  std::optional<CatalogStatus> catalog;
  std::vector<Condition> conditions;
  std::optional<std::int64_t> observed_generation;
  static constexpr auto fields() {
    return std::tuple{
        field("phase", &RepositoryStatus::phase, "Lifecycle phase."),
        field("backend", &RepositoryStatus::backend, "Configured backend (s3, filesystem, ...)."),
        field("uniqueId", &RepositoryStatus::unique_id, "kopia repository unique ID."),
        field("storageStats", &RepositoryStatus::storage_stats, "Stored-size figures."),
        field("catalog", &RepositoryStatus::catalog, "Catalog scan figures."),
        field("conditions", &RepositoryStatus::conditions,
              "Ready, Connected, MaintenanceConfigured, ..."),
        field("observedGeneration", &RepositoryStatus::observed_generation,
              "metadata.generation last reconciled."),
    };
  }
};

// ClusterRepositoryStatus: a RepositoryStatus plus how many namespaces may use the repository.
struct ClusterRepositoryStatus : RepositoryStatus {
  std::optional<std::int64_t> allowed_namespace_count;
  static constexpr auto fields() {
    return std::tuple_cat(
        RepositoryStatus::fields(),
        std::tuple{field("allowedNamespaceCount", &ClusterRepositoryStatus::allowed_namespace_count,
                         "Number of namespaces spec.allowedNamespaces admits.")});
  }
};

struct Repository {
  static constexpr std::string_view kKind = "Repository";
  ObjectMeta metadata;
  RepositorySpec spec;
  std::optional<RepositoryStatus> status;
  static constexpr auto fields() {
    return std::tuple{field("metadata", &Repository::metadata, ""),
                      field("spec", &Repository::spec, "Desired state."),
                      field("status", &Repository::status, "Observed state.")};
  }
};

struct ClusterRepository {
  static constexpr std::string_view kKind = "ClusterRepository";
  ObjectMeta metadata;
  ClusterRepositorySpec spec;
  std::optional<ClusterRepositoryStatus> status;
  static constexpr auto fields() {
    return std::tuple{field("metadata", &ClusterRepository::metadata, ""),
                      field("spec", &ClusterRepository::spec, "Desired state."),
                      field("status", &ClusterRepository::status, "Observed state.")};
  }
};

}  // namespace kopiur::api
