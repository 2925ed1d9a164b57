// File: kopiur/telemetry/catalog.hpp
//
// The kopiur_ metric catalog: every metric of the observability contract defined once, with its
// exported Prometheus name, instrument name, kind, unit, label names, description and source.
// docs/metrics.md is generated from it (tools/xtask gen-all) and a test holds it against the
// contract's table, so names, types and label sets cannot drift.
//
//   KopiurMetrics metrics(meter);
//   metrics.backup_size_bytes.set(bytes, {{"namespace", ns}, {"name", name}});
//   metrics.controller_reconciliations.add(1, {{"kind", "Backup"}});
//
// Thread-safety: the catalog is immutable; KopiurMetrics members are instruments (see
// metrics/instruments.hpp), safe from any thread while the MeterProvider lives.
// Cost: building KopiurMetrics creates ~20 instruments (startup only); families appear in the
// exposition once their first series is recorded.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "kopiur/telemetry/metrics/meter.hpp"

namespace kopiur::telemetry {

struct MetricDefinition {
  std::string_view exported_name;    // as Prometheus shows it, e.g. kopiur_x_total
  std::string_view instrument_name;  // as created on the Meter, e.g. kopiur_x
  metrics::InstrumentKind kind;
  metrics::ValueType value_type;
  std::string_view unit;  // UCUM
  std::vector<std::string_view> labels;
  std::string_view description;
  std::string_view source;     // what records it
  std::string_view component;  // controller, webhook or mover
  std::vector<double> bounds;  // histograms; empty = OTel default bounds
};

// kopiur_metric_catalog: in the contract's table order.
const std::vector<MetricDefinition>& kopiur_metric_catalog();
// The definition with this instrument or exported name; nullptr when unknown.
const MetricDefinition* find_metric(std::string_view name);

// kopiur_runtime_metric_catalog: metrics beyond the contract's 21, exported for operating the
// programs (the controller's work queue and API client, the webhook's latency and malformed
// requests). Not part of the contract's table; find_metric() does not return them.
const std::vector<MetricDefinition>& kopiur_runtime_metric_catalog();
// The runtime metric with this instrument name; nullptr when unknown.
const MetricDefinition* find_runtime_metric(std::string_view name);

// KopiurMetrics: typed handles for every catalog metric, created on one Meter.
struct KopiurMetrics {
  explicit KopiurMetrics(metrics::Meter& meter);

  // Controller.
  metrics::Counter<std::uint64_t> controller_reconciliations;   // {kind}
  metrics::Counter<std::uint64_t> controller_reconcile_errors;  // {kind, class}
  metrics::Histogram controller_reconcile_duration_seconds;     // {kind}
  metrics::Gauge<std::int64_t> resource_phase;                  // {kind, namespace, name, phase}
  metrics::Gauge<std::int64_t> backup_last_success_timestamp_seconds;  // {namespace, name}
  metrics::Gauge<std::int64_t> backup_consecutive_failures;            // {namespace, name}
  metrics::Gauge<std::int64_t> backup_size_bytes;                      // {namespace, name}
  metrics::Gauge<std::int64_t> backup_files;                           // {namespace, name}
  metrics::Gauge<std::int64_t> backup_duration_seconds;                // {namespace, name}
  metrics::Counter<std::uint64_t> orphaned_snapshots;                  // {namespace}
  metrics::Counter<std::uint64_t> snapshot_deletion_failures;          // {namespace}
  metrics::Counter<std::uint64_t> schedule_backups_created;            // {namespace, name}
  metrics::Gauge<std::int64_t> repo_size_bytes;                        // {namespace, name}
  metrics::Gauge<std::int64_t> repo_snapshot_count;                    // {namespace, name}
  metrics::Gauge<std::int64_t> repo_discovered_backups;                // {namespace, name}
  metrics::Gauge<std::int64_t> repository_maintenance_configured;      // {kind, namespace, name}
  metrics::Gauge<std::int64_t> restore_duration_seconds;               // {namespace, name}
  metrics::Gauge<std::int64_t> maintenance_last_reclaimed_bytes;       // {namespace, name}
  // Webhook.
  metrics::Counter<std::uint64_t> webhook_admission;  // {kind, decision}
  // Mover.
  metrics::Counter<std::uint64_t> mover_operations;     // {operation, result}
  metrics::Histogram mover_operation_duration_seconds;  // {operation, result}
};

}  // namespace kopiur::telemetry
