// Every PromQL expression of the dashboard and the alert rules names only what the controller,
// webhook and mover emit: metrics of the catalog (src/telemetry/metrics/catalog.cpp), their
// labels, kind strings and phases of the kinds table (include/kopiur/api/kinds.hpp). Also: the
// dashboard shows every catalog metric, each alert has a runbook section and promtool unit
// tests that see it both fire and stay silent.
#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "kopiur/api/kinds.hpp"
#include "kopiur/telemetry/catalog.hpp"

#include "deploy/artifacts.hpp"
#include "deploy/promql_scan.hpp"

namespace kopiur::deploy_test {
namespace {

using telemetry::MetricDefinition;

// Label values that have no table in the code yet, as the observability contract and the
// mover/webhook issues define them.
const std::map<std::string, std::set<std::string>>& fixed_label_values() {
  static const std::map<std::string, std::set<std::string>> v = {
      {"class", {"transient", "structural"}},
      {"decision", {"allowed", "denied"}},
      {"result", {"succeeded", "failed", "cancelled"}},
      {"operation", {"connect", "catalog", "backup", "snapshot-delete", "restore", "maintenance"}},
  };
  return v;
}

// The catalog metric a series name belongs to (a histogram's _bucket/_sum/_count included), and
// the labels its series carry.
const MetricDefinition* metric_of(const std::string& series, std::set<std::string>& labels) {
  if (const MetricDefinition* d = telemetry::find_metric(series)) {
    labels.insert(d->labels.begin(), d->labels.end());
    return d;
  }
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (series.size() <= suffix.size() ||
        series.compare(series.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const MetricDefinition* d =
        telemetry::find_metric(series.substr(0, series.size() - suffix.size()));
    if (d == nullptr || d->kind != telemetry::metrics::InstrumentKind::Histogram) continue;
    labels.insert(d->labels.begin(), d->labels.end());
    if (suffix == "_bucket") labels.insert("le");
    return d;
  }
  return nullptr;
}

std::set<std::string> all_kinds() {
  std::set<std::string> out;
  for (const auto& k : api::kinds()) out.insert(k.kind);
  return out;
}

// Checks one query; returns every problem found, each naming where it is.
std::vector<std::string> check_query(const Query& q) {
  std::vector<std::string> problems;
  auto problem = [&](const std::string& what) { problems.push_back(q.where + ": " + what); };
  const ScannedExpr scanned = scan_promql(q.expr);
  if (!scanned.error.empty()) problem("cannot scan `" + q.expr + "`: " + scanned.error);
  std::set<std::string> available;  // labels of every kopiur series in the expression
  bool only_up = true;
  for (const Selector& sel : scanned.selectors) {
    if (sel.metric == "up") continue;  // scrape health (KopiurControllerDown/WebhookDown)
    only_up = false;
    std::set<std::string> labels;
    if (metric_of(sel.metric, labels) == nullptr) {
      problem("metric " + sel.metric + " is not in the metric catalog");
      continue;
    }
    available.insert(labels.begin(), labels.end());
    std::set<std::string> kinds_named;
    for (const Matcher& m : sel.matchers) {
      if (labels.count(m.label) == 0) problem(sel.metric + " has no label " + m.label);
      for (const std::string& v : literal_alternatives(m)) {
        if (m.label == "kind") {
          const api::KindInfo* k = api::find_kind(v);
          if (k == nullptr) problem("kind \"" + v + "\" is not a kopiur kind");
          if (k != nullptr && sel.metric == "kopiur_resource_phase" && k->phases.empty()) {
            problem("kind " + v + " has no phase, so kopiur_resource_phase never has it");
          }
          if (k != nullptr) kinds_named.insert(v);
        } else if (auto it = fixed_label_values().find(m.label); it != fixed_label_values().end()) {
          if (it->second.count(v) == 0) problem(m.label + " value \"" + v + "\" is never written");
        }
      }
    }
    if (kinds_named.empty()) kinds_named = all_kinds();
    for (const Matcher& m : sel.matchers) {
      if (m.label != "phase") continue;
      for (const std::string& v : literal_alternatives(m)) {
        bool found = false;
        for (const std::string& kind : kinds_named) {
          const api::KindInfo* k = api::find_kind(kind);
          for (const std::string& p : k != nullptr ? k->phases : std::vector<std::string>{}) {
            found = found || p == v;
          }
        }
        if (!found) problem("phase \"" + v + "\" is not a phase of the kinds it selects");
      }
    }
  }
  if (only_up) return problems;
  for (const std::string& g : scanned.grouping) {
    if (available.count(g) == 0) problem("groups by " + g + ", which its metrics do not carry");
  }
  // Labels the result carries: the grouping labels when it aggregates, else the series' labels.
  const std::set<std::string> output =
      scanned.grouping.empty()
          ? available
          : std::set<std::string>(scanned.grouping.begin(), scanned.grouping.end());
  static const std::regex legend_ref(R"(\{\{\s*(\w+)\s*\}\})");
  static const std::regex label_ref(R"(\$labels\.(\w+))");
  auto check_refs = [&](const std::string& text, const std::regex& re) {
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
      if (output.count((*it)[1]) == 0)
        problem("refers to label " + (*it)[1].str() + ", absent from the result");
    }
  };
  check_refs(q.legend, legend_ref);
  for (const auto& [name, text] : q.templates) check_refs(text, label_ref);
  return problems;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += "  " + l + "\n";
  return out;
}

TEST(DeployQueries, DashboardNamesOnlyWhatIsEmitted) {
  const auto queries = dashboard_queries();
  ASSERT_GT(queries.size(), 20u);
  std::vector<std::string> problems;
  for (const Query& q : queries) {
    ASSERT_FALSE(q.expr.empty()) << q.where << " has no expression";
    for (auto& p : check_query(q)) problems.push_back(p);
  }
  for (const std::string& m : dashboard_variable_metrics()) {
    std::set<std::string> labels;
    if (metric_of(m, labels) == nullptr)
      problems.push_back("variable queries unknown " + m);
    else if (labels.count("namespace") == 0)
      problems.push_back("variable metric " + m + " has no namespace");
  }
  EXPECT_TRUE(problems.empty()) << join(problems);
}

TEST(DeployQueries, DashboardShowsEveryCatalogMetric) {
  std::set<std::string> shown;
  for (const Query& q : dashboard_queries()) {
    for (const Selector& s : scan_promql(q.expr).selectors) {
      std::set<std::string> labels;
      if (const MetricDefinition* d = metric_of(s.metric, labels))
        shown.insert(std::string(d->exported_name));
    }
  }
  std::vector<std::string> missing;
  for (const MetricDefinition& d : telemetry::kopiur_metric_catalog()) {
    if (shown.count(std::string(d.exported_name)) == 0) missing.emplace_back(d.exported_name);
  }
  EXPECT_TRUE(missing.empty()) << "no dashboard panel shows:\n" << join(missing);
}

TEST(DeployQueries, RulesNameOnlyWhatIsEmitted) {
  const auto alerts = alert_queries();
  ASSERT_GE(alerts.size(), 12u);
  std::vector<std::string> problems;
  for (const Query& q : alerts) {
    for (auto& p : check_query(q)) problems.push_back(p);
    for (const char* key : {"summary", "description", "runbook_url"}) {
      if (q.templates.count(key) == 0) problems.push_back(q.where + " has no " + key);
    }
  }
  EXPECT_TRUE(problems.empty()) << join(problems);
}

// The checker itself: a query naming a kind, phase, metric or label that does not exist fails.
TEST(DeployQueries, CheckerCatchesDrift) {
  auto problems_of = [](const std::string& expr, const std::string& legend = "") {
    return check_query(Query{"test", expr, legend, {}}).size();
  };
  EXPECT_EQ(problems_of(R"(kopiur_resource_phase{kind="Backup",phase="Failed"})"), 0u);
  EXPECT_EQ(problems_of(R"(kopiur_resource_phase{kind="Snapshot",phase="Failed"})"), 1u);
  EXPECT_EQ(problems_of(R"(kopiur_resource_phase{kind="Restore",phase="Succeeded"})"), 1u);
  EXPECT_EQ(problems_of(R"(kopiur_resource_phase{kind="Maintenance"})"), 1u);
  EXPECT_EQ(problems_of(R"(kopiur_snapshot_last_success_timestamp_seconds)"), 1u);
  EXPECT_EQ(problems_of(R"(kopiur_backup_size_bytes{exported_namespace="a"})"), 1u);
  EXPECT_EQ(problems_of(R"(sum by (kind) (kopiur_backup_size_bytes))"), 1u);
  EXPECT_EQ(problems_of(R"(kopiur_webhook_admission_total{decision="rejected"})"), 1u);
  EXPECT_EQ(problems_of(R"(sum by (namespace) (kopiur_backup_size_bytes))", "{{name}}"), 1u);
  EXPECT_EQ(
      problems_of(
          R"(histogram_quantile(0.9, sum by (le, kind) (rate(kopiur_controller_reconcile_duration_seconds_bucket[5m]))))"),
      0u);
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(DeployRules, EveryAlertHasARunbookSection) {
  const std::string runbooks = read(source_dir() / "docs/runbooks.md");
  ASSERT_FALSE(runbooks.empty()) << "docs/runbooks.md is missing";
  std::set<std::string> alerts;
  for (const Query& q : alert_queries()) {
    const std::string name = q.where.substr(6);
    alerts.insert(name);
    EXPECT_NE(runbooks.find("\n## " + name + "\n"), std::string::npos)
        << "docs/runbooks.md has no section \"## " << name << "\"";
    EXPECT_EQ(
        q.templates.at("runbook_url"), "docs/runbooks.md#" + [&] {
          std::string lower;
          for (char c : name)
            lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          return lower;
        }());
  }
  static const std::regex heading(R"(\n## (Kopiur\w+)\n)");
  for (std::sregex_iterator it(runbooks.begin(), runbooks.end(), heading), end; it != end; ++it) {
    EXPECT_EQ(alerts.count((*it)[1]), 1u)
        << "runbook for an alert that does not exist: " << (*it)[1];
  }
}

TEST(DeployRules, UnitTestsSeeEveryAlertFireAndStaySilent) {
  std::map<std::string, std::pair<bool, bool>> seen;  // alert → (fires, silent)
  const auto dir = source_dir() / "deploy/prometheus/tests";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    const YAML::Node file = YAML::LoadFile(entry.path().string());
    for (const auto& t : file["tests"]) {
      for (const auto& a : t["alert_rule_test"]) {
        auto& s = seen[a["alertname"].as<std::string>()];
        (a["exp_alerts"] && a["exp_alerts"].size() > 0 ? s.first : s.second) = true;
      }
    }
  }
  for (const Query& q : alert_queries()) {
    const std::string name = q.where.substr(6);
    EXPECT_TRUE(seen[name].first) << name << ": no promtool test expects it to fire";
    EXPECT_TRUE(seen[name].second) << name << ": no promtool test expects it to stay silent";
  }
}

}  // namespace
}  // namespace kopiur::deploy_test
