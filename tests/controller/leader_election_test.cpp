// Two controllers (runtime + elector) against one local API server: exactly one reconciles;
// when the leader stops, the other takes over; a leader that finds another holder in the Lease
// stops reconciling at once. Short lease durations keep the test quick; every wait is a bounded
// wait for a condition.
#include "kopiur/controller/leader_election.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "kopiur/controller/runtime.hpp"
#include "kopiur/localkube/server.hpp"

#include "kube/test_util.hpp"
#include "support/wait.hpp"

namespace kopiur::controller {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::wait_until;

json config_map(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"data", {{"v", "1"}}}};
}

LeaderElectionOptions fast(std::string identity) {
  return {.lease_namespace = "default",
          .lease_name = "kopiur-test-leader",
          .identity = std::move(identity),
          .lease_duration = 1500ms,
          .renew_deadline = 1000ms,
          .retry_period = 100ms,
          .clock = nullptr};
}

struct Shared {
  std::atomic<int> both_leading_during_reconcile{0};
  std::mutex mu;
  std::map<std::string, std::set<std::string>> reconciled_by;  // instance -> objects
};

// One controller: its own metrics, runtime and elector.
struct Controller {
  Controller(kube::Client client, std::string id, Shared& shared, const Controller*& other)
      : identity(std::move(id)) {
    RuntimeOptions options;
    options.leading = false;
    runtime = std::make_unique<Runtime>(client, provider.meter(), options);
    runtime->add_kind({"Widget",
                       kube::resources::kConfigMaps,
                       {},
                       [this, &shared, &other](ReconcileContext& ctx) -> ReconcileResult {
                         if (other != nullptr && other->elector->leading() && elector->leading()) {
                           shared.both_leading_during_reconcile.fetch_add(1);
                         }
                         std::lock_guard lock(shared.mu);
                         shared.reconciled_by[identity].insert(
                             ctx.object()["metadata"]["name"].get<std::string>());
                         return Action::done();
                       },
                       {}});
    elector = std::make_unique<LeaderElector>(
        client, fast(identity), [this](bool leading) { runtime->set_leading(leading); });
  }
  void start() {
    runtime->start();
    elector->start();
  }
  void stop() {
    elector->stop();
    runtime->stop();
  }
  std::string identity;
  telemetry::metrics::MeterProvider provider;
  std::unique_ptr<Runtime> runtime;
  std::unique_ptr<LeaderElector> elector;
};

TEST(LeaderElection, OneLeaderReconcilesAndTheOtherTakesOverWhenItStops) {
  auto server = kube::testing::start_server();
  ASSERT_NE(server, nullptr);
  kube::Client client(kube::testing::config_for(*server));
  Shared shared;
  const Controller* a_other = nullptr;
  const Controller* b_other = nullptr;
  Controller a(client, "a", shared, a_other);
  Controller b(client, "b", shared, b_other);
  a_other = &b;
  b_other = &a;
  // Both stop before either is destroyed, also when an assertion returns early.
  struct StopBoth {
    Controller& a;
    Controller& b;
    ~StopBoth() {
      a.stop();
      b.stop();
    }
  } stop_both{a, b};
  a.start();
  b.start();
  ASSERT_TRUE(wait_until([&] { return a.elector->leading() != b.elector->leading(); }, 10s));
  Controller& leader = a.elector->leading() ? a : b;
  Controller& follower = a.elector->leading() ? b : a;
  for (const char* name : {"x1", "x2", "x3"}) {
    ASSERT_TRUE(client.create(kube::resources::kConfigMaps, "default", config_map(name)).ok());
  }
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(shared.mu);
        return shared.reconciled_by[leader.identity].size() == 3;
      },
      10s));
  EXPECT_TRUE(follower.runtime->synced());  // caches warm
  // The follower's own watch delivers the three creations on its own time.
  EXPECT_TRUE(wait_until([&] { return follower.runtime->progress().queue.ready == 3U; }, 10s))
      << follower.runtime->progress().queue.ready;
  EXPECT_EQ(follower.runtime->progress().reconciles, 0U);

  // The leader stops and releases the Lease; the follower takes over and reconciles.
  leader.stop();
  ASSERT_TRUE(wait_until([&] { return follower.elector->leading(); }, 10s));
  ASSERT_TRUE(client.create(kube::resources::kConfigMaps, "default", config_map("y")).ok());
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(shared.mu);
        return shared.reconciled_by[follower.identity].count("y") == 1;
      },
      10s));
  a.stop();
  b.stop();
  EXPECT_EQ(shared.reconciled_by[leader.identity].count("y"), 0U);
  EXPECT_EQ(shared.both_leading_during_reconcile.load(), 0);
}

TEST(LeaderElection, ALeaderThatFindsAnotherHolderStopsAtOnce) {
  auto server = kube::testing::start_server();
  ASSERT_NE(server, nullptr);
  kube::Client client(kube::testing::config_for(*server));
  std::atomic<int> changes{0};
  std::atomic<bool> leading{false};
  LeaderElector elector(client, fast("a"), [&](bool l) {
    leading = l;
    changes.fetch_add(1);
  });
  elector.start();
  ASSERT_TRUE(wait_until([&] { return leading.load(); }, 10s));
  // Someone else writes itself into the Lease (as a replica with a skewed view might).
  ASSERT_TRUE(wait_until(
      [&] {
        auto lease = client.get(kLeases, "default", "kopiur-test-leader");
        if (!lease.ok()) return false;
        (*lease)["spec"]["holderIdentity"] = "intruder";
        return client.replace(kLeases, "default", *lease).ok();
      },
      10s));
  ASSERT_TRUE(wait_until([&] { return !leading.load(); }, 10s));
  EXPECT_FALSE(elector.leading());
  elector.stop();
}

TEST(LeaderElection, DurationsAreValidated) {
  EXPECT_EQ(validate_leader_election(fast("a")), "");
  auto bad = fast("a");
  bad.renew_deadline = bad.lease_duration;
  EXPECT_NE(validate_leader_election(bad).find("--leader-elect-lease-duration"), std::string::npos);
  bad = fast("a");
  bad.retry_period = 0ms;
  EXPECT_NE(validate_leader_election(bad).find("--leader-elect-retry-period"), std::string::npos);
  EXPECT_NE(validate_leader_election(fast("")).find("identity"), std::string::npos);
}

}  // namespace
}  // namespace kopiur::controller
