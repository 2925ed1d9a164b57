// The rules and the dashboard's queries against the real Prometheus tooling (Debian package
// `prometheus`): `promtool check rules` on the generated rule files, `promtool test rules` on
// deploy/prometheus/tests/*.yaml, and every dashboard expression parsed by promtool (as a
// recording rule, with the Grafana variables substituted).
#include <gtest/gtest.h>

#include "kopiur/process/process.hpp"

#include "deploy/artifacts.hpp"
#include "support/temp_dir.hpp"

namespace kopiur::deploy_test {
namespace {

std::string promtool() {
  std::string error;
  const char* path = std::getenv("PATH");
  const std::string found = process::resolve_executable("promtool", path ? path : "", &error);
  return found;
}

class Promtool : public ::testing::Test {
 protected:
  void SetUp() override {
    tool_ = promtool();
    ASSERT_FALSE(tool_.empty())
        << "promtool is not installed: apt-get install prometheus (it provides promtool)";
  }
  std::string tool_;
};

TEST_F(Promtool, ChecksBothRuleFiles) {
  for (const char* file : {"deploy/prometheus/kopiur-rules.yaml",
                           "deploy/helm/kopiur/files/prometheus/kopiur-rules.yaml"}) {
    const RunResult r = run_program({tool_, "check", "rules", (source_dir() / file).string()});
    EXPECT_EQ(r.exit_code, 0) << file << ":\n" << r.output;
    EXPECT_NE(r.output.find("SUCCESS: 12 rules found"), std::string::npos) << r.output;
  }
}

TEST_F(Promtool, RuleUnitTestsPass) {
  std::vector<std::string> argv = {tool_, "test", "rules"};
  for (const auto& e :
       std::filesystem::directory_iterator(source_dir() / "deploy/prometheus/tests")) {
    if (e.path().extension() == ".yaml") argv.push_back(e.path().string());
  }
  ASSERT_GE(argv.size(), 5u);
  const RunResult r = run_program(argv);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("FAILED"), std::string::npos) << r.output;
}

TEST_F(Promtool, EveryDashboardExpressionParses) {
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  int n = 0;
  for (const Query& q : dashboard_queries()) {
    std::string expr = q.expr;
    for (std::size_t at; (at = expr.find("$namespace")) != std::string::npos;) {
      expr.replace(at, 10, ".*");
    }
    std::string quoted = "\"";
    for (char c : expr)
      quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    quoted += "\"";
    rules += "      - record: kopiur:dashboard:" + std::to_string(++n) +
             "\n        expr: " + quoted + "\n";
  }
  test::TempDir dir("kopiur-dashboard-rules-");
  test::write_file_atomically(dir.file("dashboard.yaml"), rules);
  const RunResult r = run_program({tool_, "check", "rules", dir.file("dashboard.yaml")});
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n" << rules;
  EXPECT_NE(r.output.find("SUCCESS: " + std::to_string(n) + " rules found"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace kopiur::deploy_test
