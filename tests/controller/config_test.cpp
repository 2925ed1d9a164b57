// controller_config(): comma-separated namespaces, the chart's environment fallbacks, durations.
#include "kopiur/controller/config.hpp"

#include <map>

#include <gtest/gtest.h>

namespace kopiur::controller {
namespace {

using namespace std::chrono_literals;

ConfigResult parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  app::ProgramSpec spec;
  spec.name = "kopiur-controller";
  spec.flags = controller_flags();
  auto parsed = app::parse_command_line(spec, args);
  EXPECT_EQ(parsed.action, app::ParseResult::Action::Run) << parsed.output;
  return controller_config(parsed.flags,
                           [env](std::string_view name) -> std::optional<std::string> {
                             const auto it = env.find(std::string(name));
                             if (it == env.end()) return std::nullopt;
                             return it->second;
                           });
}

TEST(ControllerConfig, DefaultsAreClientGosAndClusterWide) {
  const auto r = parse({});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_TRUE(r.config->namespaces.empty());
  EXPECT_EQ(r.config->workers, 4U);
  EXPECT_FALSE(r.config->leader_elect);
  EXPECT_EQ(r.config->leader.lease_duration, 15s);
  EXPECT_EQ(r.config->leader.renew_deadline, 10s);
  EXPECT_EQ(r.config->leader.retry_period, 2s);
  EXPECT_EQ(r.config->leader.lease_namespace, "kopiur-system");
  EXPECT_EQ(r.config->phase_grace, 10min);
  EXPECT_EQ(r.config->health.stall_timeout, 5min);
}

TEST(ControllerConfig, NamespacesAreACommaListAndEnvFillsWhatFlagsLeaveOut) {
  const auto r = parse({"--namespace", "apps, db", "--leader-elect=true"},
                       {{"KOPIUR_WORKER_THREADS", "2"},
                        {"KOPIUR_MOVER_IMAGE", "registry.example/kopiur:1"},
                        {"KOPIUR_NAMESPACE", "backup-system"},
                        {"KOPIUR_POD_NAME", "kopiur-controller-0"}});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->namespaces, (std::vector<std::string>{"apps", "db"}));
  EXPECT_EQ(r.config->workers, 2U);
  EXPECT_TRUE(r.config->leader_elect);
  EXPECT_EQ(r.config->mover_image, "registry.example/kopiur:1");
  EXPECT_EQ(r.config->leader.lease_namespace, "backup-system");
  EXPECT_EQ(r.config->leader.identity, "kopiur-controller-0");
  const auto repeated = parse({"--namespace", "apps", "--namespace=db,web"});
  ASSERT_TRUE(repeated.config) << repeated.error;
  EXPECT_EQ(repeated.config->namespaces, (std::vector<std::string>{"apps", "db", "web"}));
  // A flag wins over its variable.
  const auto flag = parse({"--workers", "8"}, {{"KOPIUR_WORKER_THREADS", "2"}});
  ASSERT_TRUE(flag.config) << flag.error;
  EXPECT_EQ(flag.config->workers, 8U);
}

TEST(ControllerConfig, BadValuesNameTheFlag) {
  EXPECT_NE(parse({}, {{"KOPIUR_WORKER_THREADS", "lots"}}).error.find("--workers"),
            std::string::npos);
  EXPECT_NE(parse({"--phase-series-grace", "10"}).error.find("--phase-series-grace"),
            std::string::npos);
  EXPECT_NE(parse({"--leader-elect", "--leader-elect-retry-period", "10s"})
                .error.find("--leader-elect-renew-deadline"),
            std::string::npos);
}

TEST(ParseDuration, WholeNumbersWithAUnit) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("15s"), 15s);
  EXPECT_EQ(parse_duration("10m"), 10min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("1.5s"), std::nullopt);
  EXPECT_EQ(parse_duration("s"), std::nullopt);
  EXPECT_EQ(parse_duration("10"), std::nullopt);
}

}  // namespace
}  // namespace kopiur::controller
