// The alert rules, from one table: deploy/prometheus/kopiur-rules.yaml (a plain Prometheus rule
// file for `promtool check rules` and rule_files) and deploy/helm/kopiur/files/prometheus/
// kopiur-rules.yaml (the same groups, embedded as the chart's PrometheusRule spec). Every alert
// has a section in docs/runbooks.md; tests/deploy checks names, metrics, labels, kinds and phases
// against the metric catalog and the kinds table, and promtool unit tests fire each alert.
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

#include "generator.hpp"

namespace kopiur::xtask {
namespace {

struct AlertRule {
  std::string name;
  std::string expr;
  std::string for_;
  std::string severity;
  std::string summary;
  std::string description;
};

// Thresholds and durations are chosen so a single flapping backup or a restart does not page:
// the runbook of each alert says what it means and what to do.
std::vector<AlertRule> alert_rules() {
  return {
      {"KopiurBackupConsecutiveFailures", "kopiur_backup_consecutive_failures >= 3", "15m",
       "warning", "Backups of {{ $labels.namespace }}/{{ $labels.name }} keep failing",
       "BackupConfig {{ $labels.namespace }}/{{ $labels.name }} has {{ $value }} failed backups "
       "since its latest success."},
      // The gauge is keyed by BackupConfig (namespace, name): one alert per protected source,
      // so a stale source is not hidden by a fresh one in the same namespace. `max by` only
      // drops scrape labels (job, instance, pod), so a second controller replica's series
      // cannot split or duplicate the alert.
      {"KopiurBackupNoRecentSuccess",
       "time() - max by (namespace, name) (kopiur_backup_last_success_timestamp_seconds) > 48 * "
       "3600",
       "30m", "warning",
       "No successful backup of {{ $labels.namespace }}/{{ $labels.name }} for 48 hours",
       "The newest successful Backup of BackupConfig {{ $labels.namespace }}/{{ $labels.name }} "
       "finished {{ $value | humanizeDuration }} ago."},
      {"KopiurResourceStuckFailed",
       "max by (kind, namespace, name) (kopiur_resource_phase{phase=\"Failed\", "
       "kind=~\"Repository|ClusterRepository|Backup\"}) == 1",
       "30m", "warning", "{{ $labels.kind }} {{ $labels.namespace }}/{{ $labels.name }} is Failed",
       "{{ $labels.kind }} {{ $labels.namespace }}/{{ $labels.name }} has been in phase Failed "
       "for 30 minutes."},
      {"KopiurRestoreFailed",
       "max by (namespace, name) (kopiur_resource_phase{kind=\"Restore\", phase=\"Failed\"}) == 1",
       "1m", "warning", "Restore {{ $labels.namespace }}/{{ $labels.name }} failed",
       "Restore {{ $labels.namespace }}/{{ $labels.name }} is in phase Failed; the target was "
       "not (fully) restored."},
      {"KopiurReconcileErrorRateHigh",
       "sum by (kind) (rate(kopiur_controller_reconcile_errors_total[10m])) / sum by (kind) "
       "(rate(kopiur_controller_reconciliations_total[10m])) > 0.25",
       "15m", "warning", "More than 25% of {{ $labels.kind }} reconciles fail",
       "{{ $value | humanizePercentage }} of {{ $labels.kind }} reconciles returned an error over "
       "the last 10 minutes."},
      {"KopiurSnapshotDeletionFailures",
       "sum by (namespace) (increase(kopiur_snapshot_deletion_failures_total[1h])) > 0", "0m",
       "warning", "Snapshot deletions fail in namespace {{ $labels.namespace }}",
       "{{ $value | printf \"%.0f\" }} kopia snapshot deletions failed in a finalizer in {{ "
       "$labels.namespace }} "
       "over the last hour; the snapshots stay in the repository."},
      {"KopiurRepositoryWithoutMaintenance", "kopiur_repository_maintenance_configured == 0", "6h",
       "info", "{{ $labels.kind }} {{ $labels.namespace }}/{{ $labels.name }} has no Maintenance",
       "No Maintenance refers to {{ $labels.kind }} {{ $labels.namespace }}/{{ $labels.name }}: "
       "deleted snapshots are never reclaimed and the repository only grows."},
      {"KopiurWebhookDenialSpike",
       "sum by (kind) (increase(kopiur_webhook_admission_total{decision=\"denied\"}[10m])) > 10",
       "5m", "warning", "The admission webhook denies many {{ $labels.kind }} requests",
       "{{ $value | printf \"%.0f\" }} {{ $labels.kind }} admission requests were denied in the "
       "last 10 minutes."},
      {"KopiurWebhookDown", "absent(up{job=~\".*kopiur.*-webhook\"} == 1)", "5m", "critical",
       "The kopiur admission webhook is not being scraped successfully",
       "No webhook target has been up for 5 minutes. With failurePolicy Fail, creating or "
       "changing kopiur objects is refused."},
      {"KopiurControllerDown", "absent(up{job=~\".*kopiur.*-controller-metrics\"} == 1)", "5m",
       "critical", "The kopiur controller is not being scraped successfully",
       "No controller target has been up for 5 minutes: no backup, restore or maintenance runs."},
      {"KopiurMoverFailures",
       "sum by (operation) (increase(kopiur_mover_operations_total{result=\"failed\", "
       "operation=~\"connect|catalog|backup|snapshot-delete\"}[1h])) > 0",
       "0m", "warning", "kopiur mover {{ $labels.operation }} operations fail",
       "{{ $value | printf \"%.0f\" }} mover {{ $labels.operation }} operations failed over the "
       "last hour."},
      {"KopiurMaintenanceFailures",
       "sum (increase(kopiur_mover_operations_total{operation=\"maintenance\", "
       "result=\"failed\"}[6h])) > 0",
       "0m", "warning", "kopiur repository maintenance fails",
       "{{ $value | printf \"%.0f\" }} maintenance runs failed over the last 6 hours; the "
       "repository is not being "
       "compacted."},
  };
}

std::string anchor(const std::string& name) {
  std::string out;
  for (char c : name) out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// JSON strings are YAML double-quoted scalars: one escaping rule for every text field.
std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

std::string render_groups() {
  std::string y;
  y += "groups:\n";
  y += "  - name: kopiur\n";
  y += "    rules:\n";
  for (const AlertRule& r : alert_rules()) {
    y += "      - alert: " + r.name + "\n";
    y += "        expr: " + quoted(r.expr) + "\n";
    y += "        for: " + r.for_ + "\n";
    y += "        labels:\n";
    y += "          severity: " + r.severity + "\n";
    y += "        annotations:\n";
    y += "          summary: " + quoted(r.summary) + "\n";
    y += "          description: " + quoted(r.description) + "\n";
    y += "          runbook_url: " + quoted("docs/runbooks.md#" + anchor(r.name)) + "\n";
  }
  return y;
}

}  // namespace

GeneratorOutput generate_alert_rules(const std::filesystem::path&) {
  const std::string header =
      "# GENERATED by tools/xtask gen-all from tools/xtask-src/alert_rules.cpp: do not edit.\n"
      "# Runbooks: docs/runbooks.md. Unit tests: deploy/prometheus/tests/.\n";
  const std::string body = header + render_groups();
  GeneratorOutput out;
  out.files.push_back({"deploy/prometheus/kopiur-rules.yaml", body});
  out.files.push_back({"deploy/helm/kopiur/files/prometheus/kopiur-rules.yaml", body});
  out.owned_dirs.emplace_back("deploy/helm/kopiur/files/prometheus");
  return out;
}

}  // namespace kopiur::xtask
