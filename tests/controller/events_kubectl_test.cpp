// Warning Events of failed reconciles as `kubectl get events`, `kubectl events` and
// `kubectl describe` show them: one aggregated series with its count.
#include <gtest/gtest.h>
#include <unistd.h>

#include "kopiur/controller/runtime.hpp"
#include "kopiur/localkube/server.hpp"
#include "kopiur/support/json.hpp"

#include "child_process.hpp"
#include "kube/test_util.hpp"
#include "support/wait.hpp"

namespace kopiur::controller {
namespace {

using namespace std::chrono_literals;

TEST(Events, FailedReconcilesShowInKubectlAsOneSeries) {
  ASSERT_EQ(access("/usr/bin/kubectl", X_OK), 0) << "kubectl is required for this test";
  auto server = kube::testing::start_server();
  ASSERT_NE(server, nullptr);
  kube::testing::TempDir dir;
  const std::string kubeconfig = (dir.path() / "kubeconfig").string();
  ASSERT_TRUE(server->write_kubeconfig(kubeconfig).ok());
  kube::Client client(kube::testing::config_for(*server));
  kube::EventRecorder events(client, "kopiur-controller", "ctl-0");
  ManualClock clock;
  telemetry::metrics::MeterProvider provider;
  std::atomic<int> calls{0};
  Runtime runtime(client, provider.meter(), {.clock = &clock, .events = &events});
  runtime.add_kind({"Widget",
                    kube::resources::kConfigMaps,
                    {},
                    [&](ReconcileContext&) -> ReconcileResult {
                      calls.fetch_add(1);
                      return ReconcileError::structural(
                          "RepositoryNotFound",
                          "Repository s3-repo not found in namespace default: create it or fix "
                          "spec.repository.name");
                    },
                    {}});
  ASSERT_TRUE(client
                  .create(kube::resources::kConfigMaps, "default",
                          {{"apiVersion", "v1"},
                           {"kind", "ConfigMap"},
                           {"metadata", {{"name", "widget"}, {"namespace", "default"}}}})
                  .ok());
  runtime.start();
  ASSERT_TRUE(test::wait_until([&] { return calls.load() == 1; }, 10s));
  for (int i = 2; i <= 3; ++i) {
    ASSERT_TRUE(test::wait_until([&] { return runtime.progress().queue.delayed == 1; }, 10s));
    clock.advance(5min);
    ASSERT_TRUE(test::wait_until([&] { return calls.load() == i; }, 10s));
  }
  auto kubectl = [&](std::vector<std::string> args) {
    return test::run_program("/usr/bin/kubectl", std::move(args), {{"KUBECONFIG", kubeconfig}});
  };
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto r = kubectl({"get", "events", "-n", "default", "-o", "json"});
        auto j = nlohmann::json::parse(r.out, nullptr, false);
        return r.exit_code == 0 && !j.is_discarded() && j["items"].size() == 1 &&
               j["items"][0]["count"] == 3;
      },
      10s));
  auto table = kubectl({"get", "events", "-n", "default"});
  EXPECT_NE(table.out.find("RepositoryNotFound"), std::string::npos) << table.out << table.err;
  EXPECT_NE(table.out.find("configmap/widget"), std::string::npos) << table.out;
  auto listed = kubectl({"events", "-n", "default", "--types=Warning"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("RepositoryNotFound"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("(x3 over"), std::string::npos) << listed.out;
  auto described = kubectl({"describe", "configmap", "widget", "-n", "default"});
  EXPECT_EQ(described.exit_code, 0) << described.err;
  EXPECT_NE(described.out.find("Warning  RepositoryNotFound"), std::string::npos) << described.out;
  EXPECT_NE(described.out.find("fix spec.repository.name"), std::string::npos) << described.out;
  runtime.stop();
}

}  // namespace
}  // namespace kopiur::controller
