// The kopiur_ metric catalog, in the observability contract's table order.
#include "kopiur/telemetry/catalog.hpp"

#include <stdexcept>
#include <string>

namespace kopiur::telemetry {
namespace {

using metrics::InstrumentKind;
using metrics::ValueType;

constexpr InstrumentKind kCounter = InstrumentKind::Counter;
constexpr InstrumentKind kGauge = InstrumentKind::Gauge;
constexpr InstrumentKind kHistogram = InstrumentKind::Histogram;

std::vector<MetricDefinition> build_contract_catalog() {
  return {
      {"kopiur_controller_reconciliations_total",
       "kopiur_controller_reconciliations",
       kCounter,
       ValueType::Int64,
       "",
       {"kind"},
       "Reconcile calls, successful or not, by resource kind.",
       "every reconcile",
       "controller",
       {}},
      {"kopiur_controller_reconcile_errors_total",
       "kopiur_controller_reconcile_errors",
       kCounter,
       ValueType::Int64,
       "",
       {"kind", "class"},
       "Reconcile errors by resource kind and error class (transient or structural).",
       "error_policy",
       "controller",
       {}},
      {"kopiur_controller_reconcile_duration_seconds",
       "kopiur_controller_reconcile_duration",
       kHistogram,
       ValueType::Double,
       "s",
       {"kind"},
       "Wall time of one reconcile, including in-process kopia calls, by resource kind.",
       "every reconcile",
       "controller",
       {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}},
      {"kopiur_resource_phase",
       "kopiur_resource_phase",
       kGauge,
       ValueType::Int64,
       "",
       {"kind", "namespace", "name", "phase"},
       "1 for the phase a resource is in, 0 for its other phases; every phase is zeroed when the "
       "resource is deleted.",
       "CR status; zeroed on deletion",
       "controller",
       {}},
      {"kopiur_backup_last_success_timestamp_seconds",
       "kopiur_backup_last_success_timestamp_seconds",
       kGauge,
       ValueType::Int64,
       "s",
       {"namespace", "name"},
       "Unix time (kopia's end time) of the newest Succeeded Backup of a BackupConfig; name = "
       "the BackupConfig (a Backup without one: its own name).",
       "BackupConfig reconcile, from its newest Succeeded Backup",
       "controller",
       {}},
      {"kopiur_backup_consecutive_failures",
       "kopiur_backup_consecutive_failures",
       kGauge,
       ValueType::Int64,
       "{failure}",
       {"namespace", "name"},
       "Failed backups of a BackupConfig since (newest first, before) its latest success.",
       "BackupConfig reconcile",
       "controller",
       {}},
      {"kopiur_backup_size_bytes",
       "kopiur_backup_size_bytes",
       kGauge,
       ValueType::Int64,
       "By",
       {"namespace", "name"},
       "Snapshot size in bytes of the newest Succeeded Backup of a BackupConfig "
       "(status.stats.sizeBytes).",
       "BackupConfig reconcile, from its newest Succeeded Backup",
       "controller",
       {}},
      {"kopiur_backup_files",
       "kopiur_backup_files",
       kGauge,
       ValueType::Int64,
       "{file}",
       {"namespace", "name"},
       "Files in the newest Succeeded Backup of a BackupConfig (new + modified + unchanged); "
       "absent when unknown.",
       "BackupConfig reconcile, from its newest Succeeded Backup",
       "controller",
       {}},
      {"kopiur_backup_duration_seconds",
       "kopiur_backup_duration_seconds",
       kGauge,
       ValueType::Int64,
       "s",
       {"namespace", "name"},
       "Seconds the newest Succeeded Backup of a BackupConfig took "
       "(status.timing.durationSeconds).",
       "BackupConfig reconcile, from its newest Succeeded Backup",
       "controller",
       {}},
      {"kopiur_orphaned_snapshots_total",
       "kopiur_orphaned_snapshots",
       kCounter,
       ValueType::Int64,
       "{snapshot}",
       {"namespace"},
       "Snapshots left in the repository by the Orphan policy or the skip-cleanup annotation.",
       "Orphan policy / skip-cleanup escape hatch",
       "controller",
       {}},
      {"kopiur_snapshot_deletion_failures_total",
       "kopiur_snapshot_deletion_failures",
       kCounter,
       ValueType::Int64,
       "{failure}",
       {"namespace"},
       "Kopia snapshot deletions that failed in a finalizer.",
       "finalizer snapshot-delete failures",
       "controller",
       {}},
      {"kopiur_schedule_backups_created_total",
       "kopiur_schedule_backups_created",
       kCounter,
       ValueType::Int64,
       "{backup}",
       {"namespace", "name"},
       "Backups created by a BackupSchedule.",
       "BackupSchedule fires",
       "controller",
       {}},
      {"kopiur_repo_size_bytes",
       "kopiur_repo_size_bytes",
       kGauge,
       ValueType::Int64,
       "By",
       {"namespace", "name"},
       "Logical bytes under management: the newest snapshot of each source, summed.",
       "repository catalog scan",
       "controller",
       {}},
      {"kopiur_repo_snapshot_count",
       "kopiur_repo_snapshot_count",
       kGauge,
       ValueType::Int64,
       "{snapshot}",
       {"namespace", "name"},
       "Snapshots in the repository.",
       "repository catalog scan",
       "controller",
       {}},
      {"kopiur_repo_discovered_backups",
       "kopiur_repo_discovered_backups",
       kGauge,
       ValueType::Int64,
       "{backup}",
       {"namespace", "name"},
       "Backups discovered in the repository catalog.",
       "repository catalog scan",
       "controller",
       {}},
      {"kopiur_repository_maintenance_configured",
       "kopiur_repository_maintenance_configured",
       kGauge,
       ValueType::Int64,
       "",
       {"kind", "namespace", "name"},
       "1 when a Maintenance references the (Cluster)Repository, 0 when none does.",
       "Repository/ClusterRepository reconcile once Ready",
       "controller",
       {}},
      {"kopiur_restore_duration_seconds",
       "kopiur_restore_duration_seconds",
       kGauge,
       ValueType::Int64,
       "s",
       {"namespace", "name"},
       "How long the restore Job ran (completion minus start).",
       "restore Job completion",
       "controller",
       {}},
      {"kopiur_maintenance_last_reclaimed_bytes",
       "kopiur_maintenance_last_reclaimed_bytes",
       kGauge,
       ValueType::Int64,
       "By",
       {"namespace", "name"},
       "Bytes reclaimed by the latest full maintenance run.",
       "full maintenance run",
       "controller",
       {}},
      {"kopiur_webhook_admission_total",
       "kopiur_webhook_admission",
       kCounter,
       ValueType::Int64,
       "{request}",
       {"kind", "decision"},
       "Admission reviews answered, by kind and decision (allowed or denied).",
       "admission webhook",
       "webhook",
       {}},
      {"kopiur_mover_operations_total",
       "kopiur_mover_operations",
       kCounter,
       ValueType::Int64,
       "{operation}",
       {"operation", "result"},
       "Mover Job operations by operation and result (succeeded or failed).",
       "mover Job (OTLP push)",
       "mover",
       {}},
      {"kopiur_mover_operation_duration_seconds",
       "kopiur_mover_operation_duration",
       kHistogram,
       ValueType::Double,
       "s",
       {"operation", "result"},
       "Wall time of a whole mover run, by operation and result.",
       "mover Job (OTLP push)",
       "mover",
       {}},
  };
}

const MetricDefinition& catalog_require(std::string_view instrument_name) {
  const MetricDefinition* d = find_metric(instrument_name);
  if (d == nullptr) {
    throw std::logic_error("metric catalog has no " + std::string(instrument_name));
  }
  return *d;
}

metrics::Counter<std::uint64_t> catalog_counter(metrics::Meter& m, std::string_view name) {
  const MetricDefinition& d = catalog_require(name);
  return m.create_counter_u64(d.instrument_name, d.unit, d.description);
}

metrics::Gauge<std::int64_t> catalog_gauge(metrics::Meter& m, std::string_view name) {
  const MetricDefinition& d = catalog_require(name);
  return m.create_gauge_i64(d.instrument_name, d.unit, d.description);
}

metrics::Histogram catalog_histogram(metrics::Meter& m, std::string_view name) {
  const MetricDefinition& d = catalog_require(name);
  return m.create_histogram(d.instrument_name, d.unit, d.description, d.bounds);
}

}  // namespace

const std::vector<MetricDefinition>& kopiur_metric_catalog() {
  static const std::vector<MetricDefinition> kCatalog = build_contract_catalog();
  return kCatalog;
}

const std::vector<MetricDefinition>& kopiur_runtime_metric_catalog() {
  static const std::vector<MetricDefinition> kCatalog = {
      {"kopiur_controller_workqueue_depth",
       "kopiur_controller_workqueue_depth",
       kGauge,
       ValueType::Int64,
       "{object}",
       {"kind"},
       "Objects waiting for a worker (ready now), by resource kind. Beyond the contract's 21.",
       "controller work queue, at scrape time",
       "controller",
       {}},
      {"kopiur_controller_workqueue_retries_total",
       "kopiur_controller_workqueue_retries",
       kCounter,
       ValueType::Int64,
       "{retry}",
       {"kind"},
       "Objects requeued with backoff after a failed reconcile, by resource kind. Beyond the "
       "contract's 21.",
       "controller error policy",
       "controller",
       {}},
      {"kopiur_kube_client_requests_total",
       "kopiur_kube_client_requests",
       kCounter,
       ValueType::Int64,
       "{request}",
       {"verb", "code"},
       "Kubernetes API requests (watches excluded) by HTTP method and status code (0 = no "
       "answer). Beyond the contract's 21.",
       "controller API client",
       "controller",
       {}},
      {"kopiur_kube_client_request_duration_seconds",
       "kopiur_kube_client_request_duration",
       kHistogram,
       ValueType::Double,
       "s",
       {"verb"},
       "Latency of Kubernetes API requests (watches excluded) by HTTP method. Beyond the "
       "contract's 21.",
       "controller API client",
       "controller",
       {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}},
      {"kopiur_webhook_admission_duration_seconds",
       "kopiur_webhook_admission_duration",
       kHistogram,
       ValueType::Double,
       "s",
       {"kind"},
       "Time from a decoded AdmissionReview to its answer (validation and reference lookups), "
       "by resource kind. Beyond the contract's 21.",
       "admission webhook",
       "webhook",
       {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}},
      {"kopiur_webhook_malformed_requests_total",
       "kopiur_webhook_malformed_requests",
       kCounter,
       ValueType::Int64,
       "{request}",
       {"reason"},
       "Admission requests that were not a usable review of a kopiur kind, by reason "
       "(not_json, not_admission_review, missing_uid, missing_object, unknown_kind, "
       "kind_mismatch, too_large); never allowed. Beyond the contract's 21.",
       "admission webhook",
       "webhook",
       {}},
  };
  return kCatalog;
}

const MetricDefinition* find_metric(std::string_view name) {
  for (const MetricDefinition& d : kopiur_metric_catalog()) {
    if (d.instrument_name == name || d.exported_name == name) return &d;
  }
  return nullptr;
}

const MetricDefinition* find_runtime_metric(std::string_view name) {
  for (const MetricDefinition& d : kopiur_runtime_metric_catalog()) {
    if (d.instrument_name == name) return &d;
  }
  return nullptr;
}

KopiurMetrics::KopiurMetrics(metrics::Meter& meter)
    : controller_reconciliations(catalog_counter(meter, "kopiur_controller_reconciliations")),
      controller_reconcile_errors(catalog_counter(meter, "kopiur_controller_reconcile_errors")),
      controller_reconcile_duration_seconds(
          catalog_histogram(meter, "kopiur_controller_reconcile_duration")),
      resource_phase(catalog_gauge(meter, "kopiur_resource_phase")),
      backup_last_success_timestamp_seconds(
          catalog_gauge(meter, "kopiur_backup_last_success_timestamp_seconds")),
      backup_consecutive_failures(catalog_gauge(meter, "kopiur_backup_consecutive_failures")),
      backup_size_bytes(catalog_gauge(meter, "kopiur_backup_size_bytes")),
      backup_files(catalog_gauge(meter, "kopiur_backup_files")),
      backup_duration_seconds(catalog_gauge(meter, "kopiur_backup_duration_seconds")),
      orphaned_snapshots(catalog_counter(meter, "kopiur_orphaned_snapshots")),
      snapshot_deletion_failures(catalog_counter(meter, "kopiur_snapshot_deletion_failures")),
      schedule_backups_created(catalog_counter(meter, "kopiur_schedule_backups_created")),
      repo_size_bytes(catalog_gauge(meter, "kopiur_repo_size_bytes")),
      repo_snapshot_count(catalog_gauge(meter, "kopiur_repo_snapshot_count")),
      repo_discovered_backups(catalog_gauge(meter, "kopiur_repo_discovered_backups")),
      repository_maintenance_configured(
          catalog_gauge(meter, "kopiur_repository_maintenance_configured")),
      restore_duration_seconds(catalog_gauge(meter, "kopiur_restore_duration_seconds")),
      maintenance_last_reclaimed_bytes(
          catalog_gauge(meter, "kopiur_maintenance_last_reclaimed_bytes")),
      webhook_admission(catalog_counter(meter, "kopiur_webhook_admission")),
      mover_operations(catalog_counter(meter, "kopiur_mover_operations")),
      mover_operation_duration_seconds(
          catalog_histogram(meter, "kopiur_mover_operation_duration")) {}

}  // namespace kopiur::telemetry
