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
  static void validate(const Backend& backend, const std::string& path, FieldErrors& errors);
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

struct CreateSpec {
  std::optional<bool> enabled;
  std::optional<std::string> hash;
  std::optional<std::string> encryption;
  std::optional<std::string> splitter;
  static constexpr auto fields() {
    return std::tuple{
        field("enabled", &CreateSpec::enabled, "Initialise the repository when it is missing."),
        field("hash", &CreateSpec::hash, "Hash algorithm for a new repository."),
        field("encryption", &CreateSpec::encryption, "Encryption algorithm for a new repository."),
        field("splitter", &CreateSpec::splitter, "Splitter for a new repository."),
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
  std::optional<CatalogSpec> catalog;
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
        field("catalog", &RepositorySpec::catalog, "Catalog scan of existing snapshots."),
        field("mode", &RepositorySpec::mode, "ReadWrite (default) or ReadOnly."),
        field("suspend", &RepositorySpec::suspend, "Stop reconciling this repository."),
    };
  }

 public:
  static constexpr auto fields() { return std::tuple_cat(storage_fields(), behaviour_fields()); }
};

// ClusterRepositorySpec: a RepositorySpec plus the namespaces allowed to use it (required).
struct ClusterRepositorySpec : RepositorySpec {
  std::vector<std::string> allowed_namespaces;
  static constexpr auto fields() {
    return std::tuple_cat(
        storage_fields(),
        std::tuple{field("allowedNamespaces", &ClusterRepositorySpec::allowed_namespaces,
                         "Namespaces that may use this repository; \"*\" allows all.")},
        behaviour_fields());
  }
  static void validate(const ClusterRepositorySpec& spec, const std::string& path,
                       FieldErrors& errors);
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
  std::optional<std::int64_t> allowed_namespace_count;  // ClusterRepository only
  std::vector<Condition> conditions;
  std::optional<std::int64_t> observed_generation;
  static constexpr auto fields() {
    return std::tuple{
        field("phase", &RepositoryStatus::phase, "Lifecycle phase."),
        field("backend", &RepositoryStatus::backend, "Configured backend (s3, filesystem, ...)."),
        field("uniqueId", &RepositoryStatus::unique_id, "kopia repository unique ID."),
        field("storageStats", &RepositoryStatus::storage_stats, "Stored-size figures."),
        field("catalog", &RepositoryStatus::catalog, "Catalog scan figures."),
        field("allowedNamespaceCount", &RepositoryStatus::allowed_namespace_count,
              "ClusterRepository: number of allowed namespaces."),
        field("conditions", &RepositoryStatus::conditions,
              "Ready, Connected, MaintenanceConfigured, ..."),
        field("observedGeneration", &RepositoryStatus::observed_generation,
              "metadata.generation last reconciled."),
    };
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
  std::optional<RepositoryStatus> status;
  static constexpr auto fields() {
    return std::tuple{field("metadata", &ClusterRepository::metadata, ""),
                      field("spec", &ClusterRepository::spec, "Desired state."),
                      field("status", &ClusterRepository::status, "Observed state.")};
  }
};

}  // namespace kopiur::api
