// The catalog against the observability contract's metrics table (a literal copy of its rows:
// name, type, labels), and the rendered exposition against both.
#include "kopiur/telemetry/catalog.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "telemetry/metrics/metrics_test_util.hpp"

namespace kopiur::telemetry {
namespace {

using metrics::InstrumentKind;

struct ContractRow {
  const char* name;
  const char* type;  // counter, gauge or histogram
  std::vector<std::string> labels;
};

// Copied from the contract's "Metrics" table; edit only together with the contract.
const std::vector<ContractRow> kContract = {
    {"kopiur_controller_reconciliations_total", "counter", {"kind"}},
    {"kopiur_controller_reconcile_errors_total", "counter", {"kind", "class"}},
    {"kopiur_controller_reconcile_duration_seconds", "histogram", {"kind"}},
    {"kopiur_resource_phase", "gauge", {"kind", "namespace", "name", "phase"}},
    {"kopiur_backup_last_success_timestamp_seconds", "gauge", {"namespace", "name"}},
    {"kopiur_backup_consecutive_failures", "gauge", {"namespace", "name"}},
    {"kopiur_backup_size_bytes", "gauge", {"namespace", "name"}},
    {"kopiur_backup_files", "gauge", {"namespace", "name"}},
    {"kopiur_backup_duration_seconds", "gauge", {"namespace", "name"}},
    {"kopiur_orphaned_snapshots_total", "counter", {"namespace"}},
    {"kopiur_snapshot_deletion_failures_total", "counter", {"namespace"}},
    {"kopiur_schedule_backups_created_total", "counter", {"namespace", "name"}},
    {"kopiur_repo_size_bytes", "gauge", {"namespace", "name"}},
    {"kopiur_repo_snapshot_count", "gauge", {"namespace", "name"}},
    {"kopiur_repo_discovered_backups", "gauge", {"namespace", "name"}},
    {"kopiur_repository_maintenance_configured", "gauge", {"kind", "namespace", "name"}},
    {"kopiur_restore_duration_seconds", "gauge", {"namespace", "name"}},
    {"kopiur_maintenance_last_reclaimed_bytes", "gauge", {"namespace", "name"}},
    {"kopiur_webhook_admission_total", "counter", {"kind", "decision"}},
    {"kopiur_mover_operations_total", "counter", {"operation", "result"}},
    {"kopiur_mover_operation_duration_seconds", "histogram", {"operation", "result"}},
};

std::string type_name(InstrumentKind kind) {
  switch (kind) {
    case InstrumentKind::Counter:
      return "counter";
    case InstrumentKind::Histogram:
      return "histogram";
    default:
      return "gauge";
  }
}

std::set<std::string> label_set(const std::vector<std::string>& labels) {
  return {labels.begin(), labels.end()};
}

metrics::InstrumentDescriptor descriptor_of(const MetricDefinition& d) {
  metrics::InstrumentDescriptor out;
  out.name = std::string(d.instrument_name);
  out.unit = std::string(d.unit);
  out.kind = d.kind;
  out.value_type = d.value_type;
  return out;
}

TEST(Catalog, MatchesTheContractTableExactly) {
  const auto& catalog = kopiur_metric_catalog();
  ASSERT_EQ(catalog.size(), kContract.size());
  for (std::size_t i = 0; i < kContract.size(); ++i) {
    const ContractRow& row = kContract[i];
    const MetricDefinition& d = catalog[i];
    EXPECT_EQ(d.exported_name, row.name);
    EXPECT_EQ(type_name(d.kind), row.type) << row.name;
    const std::vector<std::string> labels(d.labels.begin(), d.labels.end());
    EXPECT_EQ(label_set(labels), label_set(row.labels)) << row.name;
    EXPECT_EQ(labels.size(), row.labels.size()) << row.name << ": repeated label";
    // The exported name is what the naming rules make of the instrument name and unit.
    EXPECT_EQ(metrics::prometheus_metric_name(descriptor_of(d)), row.name);
    EXPECT_FALSE(d.description.empty()) << row.name;
    EXPECT_FALSE(d.source.empty()) << row.name;
    EXPECT_EQ(find_metric(row.name), &d);
    EXPECT_EQ(find_metric(d.instrument_name), &d);
  }
  EXPECT_EQ(find_metric("kopiur_nonexistent"), nullptr);
}

// Parses "name{k="v",...} value" lines into name -> label-name sets, and "# TYPE" lines.
struct ParsedExposition {
  std::map<std::string, std::string> types;
  std::map<std::string, std::vector<std::set<std::string>>> samples;
};

ParsedExposition parse(const std::string& text) {
  ParsedExposition out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream fields(line.substr(7));
      std::string name;
      std::string type;
      fields >> name >> type;
      out.types[name] = type;
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const std::size_t brace = line.find('{');
    const std::size_t space = line.find(' ');
    const std::string name = line.substr(0, std::min(brace, space));
    std::set<std::string> labels;
    if (brace != std::string::npos && brace < space) {
      std::size_t pos = brace + 1;
      while (pos < line.size() && line[pos] != '}') {
        const std::size_t eq = line.find('=', pos);
        labels.insert(line.substr(pos, eq - pos));
        std::size_t end = eq + 2;  // after ="
        while (line[end] != '"') end += line[end] == '\\' ? 2 : 1;
        pos = end + 1;
        if (line[pos] == ',') ++pos;
      }
    }
    out.samples[name].push_back(labels);
  }
  return out;
}

TEST(Catalog, ExpositionHasTheContractNamesTypesAndLabels) {
  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  KopiurMetrics typed(meter);
  // Record one series of every metric with the contract's labels, through the catalog.
  for (const ContractRow& row : kContract) {
    const MetricDefinition& d = *find_metric(row.name);
    std::vector<metrics::Attribute> attrs;
    for (const std::string& l : row.labels) attrs.push_back({l, "v"});
    switch (d.kind) {
      case InstrumentKind::Counter:
        meter.create_counter_u64(d.instrument_name, d.unit, d.description).add(1, attrs);
        break;
      case InstrumentKind::Gauge:
        meter.create_gauge_i64(d.instrument_name, d.unit, d.description).set(1, attrs);
        break;
      case InstrumentKind::Histogram:
        meter.create_histogram(d.instrument_name, d.unit, d.description, d.bounds)
            .record(0.2, attrs);
        break;
      case InstrumentKind::UpDownCounter:
        FAIL() << "no up-down counter in the contract";
    }
  }
  // Re-creating through the catalog found KopiurMetrics' instruments: no conflicts.
  EXPECT_TRUE(provider.warnings().empty());

  const ParsedExposition parsed = parse(metrics::testing::render(provider));
  std::set<std::string> kopiur_families;
  for (const auto& [name, type] : parsed.types) {
    if (name.rfind("kopiur_", 0) == 0) kopiur_families.insert(name);
  }
  EXPECT_EQ(kopiur_families.size(), kContract.size());
  for (const ContractRow& row : kContract) {
    ASSERT_TRUE(parsed.types.count(row.name)) << row.name;
    EXPECT_EQ(parsed.types.at(row.name), row.type) << row.name;
    const std::set<std::string> want = label_set(row.labels);
    if (std::string(row.type) == "histogram") {
      std::set<std::string> with_le = want;
      with_le.insert("le");
      for (const auto& labels : parsed.samples.at(std::string(row.name) + "_bucket")) {
        EXPECT_EQ(labels, with_le) << row.name;
      }
      EXPECT_EQ(parsed.samples.at(std::string(row.name) + "_sum").at(0), want);
      EXPECT_EQ(parsed.samples.at(std::string(row.name) + "_count").at(0), want);
    } else {
      ASSERT_EQ(parsed.samples.at(row.name).size(), 1U) << row.name;
      EXPECT_EQ(parsed.samples.at(row.name)[0], want) << row.name;
    }
  }
}

TEST(Catalog, TypedMembersRecordIntoTheirCatalogMetric) {
  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  KopiurMetrics m(meter);
  m.backup_size_bytes.set(1234, {{"namespace", "ns"}, {"name", "b"}});
  m.controller_reconciliations.add(2, {{"kind", "Backup"}});
  m.controller_reconcile_duration_seconds.record(0.07, {{"kind", "Backup"}});
  m.mover_operation_duration_seconds.record(42,
                                            {{"operation", "Snapshot"}, {"result", "succeeded"}});
  m.resource_phase.set(
      1, {{"kind", "Backup"}, {"namespace", "ns"}, {"name", "b"}, {"phase", "Running"}});
  const std::string text = metrics::testing::render(provider);
  EXPECT_NE(text.find("kopiur_backup_size_bytes{name=\"b\",namespace=\"ns\"} 1234\n"),
            std::string::npos);
  EXPECT_NE(text.find("kopiur_controller_reconciliations_total{kind=\"Backup\"} 2\n"),
            std::string::npos);
  EXPECT_NE(
      text.find(
          "kopiur_controller_reconcile_duration_seconds_bucket{kind=\"Backup\",le=\"0.05\"} 0\n"
          "kopiur_controller_reconcile_duration_seconds_bucket{kind=\"Backup\",le=\"0.1\"} 1\n"),
      std::string::npos);
  EXPECT_NE(text.find("kopiur_mover_operation_duration_seconds_bucket{operation=\"Snapshot\","
                      "result=\"succeeded\",le=\"50\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("kopiur_resource_phase{kind=\"Backup\",name=\"b\",namespace=\"ns\",phase="
                      "\"Running\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace kopiur::telemetry
