// FlowTest: the controller's flows against the local API server running Jobs as local processes
// (kopiur-mover with the kopia stand-in as kopia), in process: the Runtime with every kind
// registered, a ManualClock for requeue timers and a ManualWallClock for schedules and
// timestamps, a Prometheus reader to read the exact metric values, Events recorded.
//
//   TEST_F(FlowTest, X) {
//     start();                                      // CRDs are installed by SetUp
//     create_password_secret("team-a", "repo-pass");
//     create(repository("team-a", "repo", repo_dir()));
//     auto repo = wait_for("Repository", "team-a", "repo", phase_is("Ready"));
//     EXPECT_EQ(metric("kopiur_repo_snapshot_count", {{"namespace", "team-a"}, {"name", "repo"}}),
//     0);
//   }
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "kopiur/controller/flow_env.hpp"
#include "kopiur/controller/runtime.hpp"
#include "kopiur/kube/events.hpp"
#include "kopiur/localkube/server.hpp"
#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"

#include "support/temp_dir.hpp"

namespace kopiur::controller::testing {

// The API version of kopiur's kinds, and the namespace the flow tests' objects live in.
inline constexpr const char* kApi = "kopiur.home-operations.com/v1alpha1";
inline constexpr const char* kNs = "team-a";

using Predicate = std::function<bool(const nlohmann::json&)>;
Predicate phase_is(const std::string& phase);
Predicate condition_is(const std::string& type, const std::string& status);
// One field ("status", "reason", "message") of the condition `type` of `object`; "" if absent.
std::string condition(const nlohmann::json& object, const std::string& type,
                      const std::string& field);

class FlowTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The local API server's options before SetUp starts it: a fixture adds faults here.
  virtual void server_options(localkube::LocalApiServer::Options& /*options*/) {}

  // Registers the seven kinds and starts the runtime; waits until every cache is synced.
  void start();
  // Stops the runtime (as a controller exit would) and builds a fresh one on the same server.
  void restart();

  // API helpers (they ADD_FAILURE and return null on errors).
  nlohmann::json create(const nlohmann::json& object);
  nlohmann::json get(const std::string& kind, const std::string& ns, const std::string& name);
  bool remove(const std::string& kind, const std::string& ns, const std::string& name);
  nlohmann::json patch(const std::string& kind, const std::string& ns, const std::string& name,
                       const nlohmann::json& merge_patch);
  nlohmann::json list(const std::string& kind, const std::string& ns,
                      const std::string& label_selector = "");
  // Waits (default 60 s) until the object satisfies `until`; returns it, or null on timeout
  // (with a failure naming the object and its last state).
  nlohmann::json wait_for(const std::string& kind, const std::string& ns, const std::string& name,
                          const Predicate& until,
                          std::chrono::seconds timeout = std::chrono::seconds(60));
  bool wait_gone(const std::string& kind, const std::string& ns, const std::string& name,
                 std::chrono::seconds timeout = std::chrono::seconds(60));

  // Objects.
  void create_namespace(const std::string& ns);
  void create_password_secret(const std::string& ns, const std::string& name,
                              const std::string& password = "s3cret-pass");
  // A directory under the test's volumes dir, created; e.g. a filesystem repository's path.
  std::string dir(const std::string& name);
  // A claim's data directory as the local kubelet mounts it (<volumes>/<ns>/<claim>), created,
  // and the PersistentVolumeClaim object.
  std::string create_claim(const std::string& ns, const std::string& claim);
  static nlohmann::json repository(const std::string& ns, const std::string& name,
                                   const std::string& path, bool create_repo = true,
                                   const std::string& secret = "repo-pass");

  // Metrics: the value of the series with exactly these labels, nullopt when absent.
  std::optional<double> metric(const std::string& name,
                               const std::map<std::string, std::string>& labels);
  std::string scrape();
  // Events about an object (core/v1), newest last.
  nlohmann::json events_for(const std::string& ns, const std::string& name);
  bool has_event(const std::string& ns, const std::string& name, const std::string& reason);

  // What the environment looks like to tests.
  ManualClock clock_;
  ManualWallClock wall_{std::chrono::system_clock::now()};
  std::unique_ptr<localkube::LocalApiServer> server_;
  std::optional<kube::Client> client_;
  std::unique_ptr<telemetry::metrics::MeterProvider> provider_;
  std::unique_ptr<telemetry::metrics::PrometheusReader> reader_;
  std::unique_ptr<kube::EventRecorder> events_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<FlowEnv> env_;
  test::TempDir tmp_{"kopiur-flow-"};
  std::string volumes_dir_;
};

}  // namespace kopiur::controller::testing
