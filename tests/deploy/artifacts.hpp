// File: deploy/artifacts.hpp
//
// The deploy artifacts as tests see them: every PromQL expression of the Grafana dashboard and of
// the alert rules (with where it came from), the alerts' names and annotations, and a way to run
// a peer program (promtool, the chart renderer, kopiur's own binaries) and capture its output.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kopiur::deploy_test {

std::filesystem::path source_dir();  // the source tree (KOPIUR_TEST_SOURCE_DIR)
std::filesystem::path binary_dir();  // the build tree (KOPIUR_TEST_BINARY_DIR)

struct Query {
  std::string where;  // e.g. `dashboard panel "Backup size" A` or `alert KopiurRestoreFailed`
  std::string expr;
  std::string legend;                            // dashboard legendFormat, or ""
  std::map<std::string, std::string> templates;  // alert annotations (name → text)
};

// Dashboard panel queries (from deploy/dashboards/kopiur.json) and the templating variables'
// label_values() metric names.
std::vector<Query> dashboard_queries();
std::vector<std::string> dashboard_variable_metrics();
// The alerts of deploy/prometheus/kopiur-rules.yaml.
std::vector<Query> alert_queries();

struct RunResult {
  int exit_code = -1;  // -1: could not start (output holds why)
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv (argv[0] a path or a name in PATH) with `env` added to this process's environment.
RunResult run_program(const std::vector<std::string>& argv,
                      const std::vector<std::string>& env = {});

}  // namespace kopiur::deploy_test
