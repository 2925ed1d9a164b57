// check_catalog_metrics, check_promtool, check_prometheus.
#include <chrono>
#include <cmath>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/catalog.hpp"

#include "child_process.hpp"
#include "deploy/artifacts.hpp"
#include "e2e/checks.hpp"
#include "e2e/exposition.hpp"
#include "e2e/otlp_lines.hpp"
#include "support/wait.hpp"

namespace kopiur::e2e {
namespace {

using nlohmann::json;
using telemetry::MetricDefinition;
using telemetry::metrics::InstrumentKind;

std::set<std::string> keys_of(const std::map<std::string, std::string>& labels,
                              const std::string& drop = "") {
  std::set<std::string> out;
  for (const auto& [k, v] : labels) {
    if (k != drop) out.insert(k);
  }
  return out;
}

std::set<std::string> catalog_labels(const MetricDefinition& def) {
  return {def.labels.begin(), def.labels.end()};
}

// The Prometheus side of one catalog metric: its series exist with exactly the catalog's labels.
void expect_exposed(const MetricDefinition& def, const std::vector<Sample>& samples) {
  const bool histogram = def.kind == InstrumentKind::Histogram;
  const std::string name = std::string(def.exported_name) + (histogram ? "_count" : "");
  const auto found = select(samples, name);
  EXPECT_FALSE(found.empty()) << def.exported_name << " (" << def.component
                              << ") has no series on /metrics";
  for (const auto& s : found) {
    EXPECT_EQ(keys_of(s.labels), catalog_labels(def))
        << name << " has other labels than the catalog";
    EXPECT_TRUE(std::isfinite(s.value)) << name << " is not a finite number";
  }
  if (histogram) {
    for (const auto& s : select(samples, std::string(def.exported_name) + "_bucket")) {
      EXPECT_EQ(keys_of(s.labels, "le"), catalog_labels(def)) << def.exported_name << "_bucket";
    }
  }
}

// The OTLP side: the mover's metrics arrive with exactly the catalog's attributes.
void expect_pushed(const MetricDefinition& def, const OtlpCapture& otlp) {
  int points = 0;
  for (const auto& m : otlp.metrics) {
    if (m.service != "kopiur-mover" || m.name != def.instrument_name) continue;
    ++points;
    EXPECT_EQ(m.attribute_keys, catalog_labels(def)) << def.instrument_name << " from the mover";
  }
  EXPECT_GT(points, 0) << def.instrument_name << " never reached the OTLP receiver from a mover";
}

// The one value of a series, NaN when it is missing or not unique.
double value(const std::vector<Sample>& samples, const std::string& name,
             const std::map<std::string, std::string>& match) {
  const auto found = select(samples, name, match);
  return found.size() == 1 ? found.front().value : std::nan("");
}

// Values the demo scenario determines (deploy/examples/demo/, tools/demo-scenario.sh).
void expect_demo_values(const std::vector<Sample>& c, const std::vector<Sample>& w) {
  const std::map<std::string, std::string> app = {{"namespace", "demo"}, {"name", "app-data"}};
  const std::map<std::string, std::string> scratch = {{"namespace", "demo"},
                                                      {"name", "scratch-data"}};
  EXPECT_EQ(value(c, "kopiur_backup_files", app), 22) << "20 records, README and blob.bin";
  EXPECT_GE(value(c, "kopiur_backup_size_bytes", app), 65536);
  EXPECT_EQ(value(c, "kopiur_backup_consecutive_failures", app), 0);
  EXPECT_EQ(value(c, "kopiur_backup_consecutive_failures", scratch), 3);
  const double now = static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  const double last = value(c, "kopiur_backup_last_success_timestamp_seconds", app);
  EXPECT_TRUE(last <= now && last > now - 900) << "last success " << last << ", now " << now;
  // Whole seconds (the contract's Int64 gauges): a local backup of 86 KB takes less than one.
  EXPECT_GE(value(c, "kopiur_backup_duration_seconds", app), 0);
  EXPECT_GE(value(c, "kopiur_schedule_backups_created_total",
                  {{"namespace", "demo"}, {"name", "app-data-every-minute"}}),
            1);
  EXPECT_GE(value(c, "kopiur_repo_snapshot_count", {{"namespace", "demo"}, {"name", "main"}}), 1);
  EXPECT_GE(value(c, "kopiur_repo_size_bytes", {{"namespace", "demo"}, {"name", "main"}}), 65536);
  EXPECT_EQ(value(c, "kopiur_repository_maintenance_configured",
                  {{"namespace", "demo"}, {"name", "main"}}),
            1);
  EXPECT_EQ(value(c, "kopiur_repository_maintenance_configured",
                  {{"namespace", "demo"}, {"name", "scratch"}}),
            0);
  EXPECT_GE(value(c, "kopiur_orphaned_snapshots_total", {{"namespace", "demo"}}), 1);
  EXPECT_GE(value(c, "kopiur_snapshot_deletion_failures_total", {{"namespace", "demo"}}), 1);
  EXPECT_GE(value(c, "kopiur_restore_duration_seconds",
                  {{"namespace", "demo"}, {"name", "app-data-restore"}}),
            0);
  EXPECT_GE(value(c, "kopiur_maintenance_last_reclaimed_bytes",
                  {{"namespace", "demo"}, {"name", "main"}}),
            0);
  EXPECT_EQ(value(c, "kopiur_resource_phase",
                  {{"kind", "Backup"}, {"name", "scratch-broken-1"}, {"phase", "Failed"}}),
            1);
  EXPECT_GT(value(c, "kopiur_controller_reconciliations_total", {{"kind", "Backup"}}), 0);
  EXPECT_GE(
      value(w, "kopiur_webhook_admission_total", {{"kind", "Backup"}, {"decision", "denied"}}), 1);
  EXPECT_GE(
      value(w, "kopiur_webhook_admission_total", {{"kind", "Backup"}, {"decision", "allowed"}}), 6);
}

std::vector<Sample> scrape(const LocalSystem& system, const std::string& url) {
  std::string error;
  const std::string body = http_get(system, url + "/metrics", &error);
  EXPECT_TRUE(error.empty()) << error;
  auto samples = parse_exposition(body);
  for (const auto& s : samples) {
    EXPECT_EQ(s.name.rfind("<unparsed", 0), std::string::npos) << url << ": " << s.name;
  }
  return samples;
}

// Prometheus' HTTP API: the `data` of a query, or null with the error recorded.
json prometheus_query(const LocalSystem& system, const std::string& expr) {
  const auto r = test::run_program("curl", {"-fsS", "-G", system.prometheus_url() + "/api/v1/query",
                                            "--data-urlencode", "query=" + expr});
  const json answer = json::parse(r.out, nullptr, false);
  if (r.exit_code != 0 || answer.is_discarded() || answer.value("status", "") != "success") {
    ADD_FAILURE() << "query failed: " << expr << "\n" << r.out << r.err;
    return nullptr;
  }
  return answer["data"];
}

bool has_data(const json& data) {
  return data.is_object() && data.contains("result") &&
         (data["result"].is_array() ? !data["result"].empty() : !data["result"].is_null());
}

}  // namespace

void check_catalog_metrics(const LocalSystem& system) {
  const auto controller = scrape(system, system.controller_url());
  const auto webhook = scrape(system, system.webhook_url());
  const auto otlp = read_otlp_lines(system.state() + "/otlp.jsonl");
  ASSERT_EQ(telemetry::kopiur_metric_catalog().size(), 21u);
  for (const MetricDefinition& def : telemetry::kopiur_metric_catalog()) {
    if (def.component == "mover") {
      expect_pushed(def, otlp);
    } else {
      expect_exposed(def, def.component == "webhook" ? webhook : controller);
    }
  }
  expect_demo_values(controller, webhook);
}

namespace {
// promtool's linter objects to one name the contract fixes: a gauge called
// kopiur_repo_snapshot_count (it expects `_count` only on histograms and summaries). That finding,
// and only that one, is accepted; promtool's exit code 3 means "lint findings only".
bool contract_name_finding(const std::string& line) {
  return line.rfind(
             "kopiur_repo_snapshot_count non-histogram and non-summary metrics should not "
             "have \"_count\" suffix",
             0) == 0;
}
}  // namespace

void check_promtool(const LocalSystem& system) {
  for (const auto& url : {system.controller_url(), system.webhook_url()}) {
    const auto r =
        test::run_program("/bin/sh", {"-c", "curl -fsS --cacert '" + system.ca_file() + "' '" +
                                                url + "/metrics' | promtool check metrics 2>&1"});
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << url << ": " << r.out << r.err;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && !contract_name_finding(line)) {
        ADD_FAILURE() << url << ": promtool: " << line;
      }
    }
  }
}

void check_prometheus(const LocalSystem& system) {
  for (const char* job : {"kopiur-controller", "kopiur-webhook", "kopiur-otlp"}) {
    const bool up = test::wait_until(
        [&] {
          const json data = prometheus_query(system, std::string("up{job=\"") + job + "\"} == 1");
          return has_data(data);
        },
        std::chrono::seconds(30), std::chrono::milliseconds(500));
    EXPECT_TRUE(up) << job << " is not up in Prometheus";
  }
  // Every panel returns data once Prometheus has two scrapes of everything (rates need two).
  for (const auto& q : deploy_test::dashboard_queries()) {
    std::string expr = q.expr;
    for (std::size_t at; (at = expr.find("$namespace")) != std::string::npos;) {
      expr.replace(at, 10, ".*");
    }
    const bool data = test::wait_until([&] { return has_data(prometheus_query(system, expr)); },
                                       std::chrono::seconds(30), std::chrono::seconds(1));
    EXPECT_TRUE(data) << q.where << " returns no data: " << expr;
  }
  for (const auto& q : deploy_test::alert_queries()) {
    EXPECT_FALSE(prometheus_query(system, q.expr).is_null()) << q.where;
  }
  // The failing backup's alert: three failures of scratch-data (for: shortened by the run).
  const bool firing = test::wait_until(
      [&] {
        return has_data(prometheus_query(
            system,
            "ALERTS{alertname=\"KopiurBackupConsecutiveFailures\",alertstate=\"firing\","
            "namespace=\"demo\",name=\"scratch-data\"}"));
      },
      std::chrono::seconds(90), std::chrono::seconds(1));
  EXPECT_TRUE(firing) << "KopiurBackupConsecutiveFailures did not fire for demo/scratch-data";
}

}  // namespace kopiur::e2e
