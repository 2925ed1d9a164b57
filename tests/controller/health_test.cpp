// /readyz and /healthz transitions with a ManualClock: not ready until synced, not ready when the
// API server stops answering for 30 s; unhealthy when a leader's work makes no progress for the
// stall timeout, healthy again once it moves.
#include "kopiur/controller/health.hpp"

#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>
#include <httplib.h>

#include "kopiur/localkube/server.hpp"

#include "kube/test_util.hpp"
#include "support/wait.hpp"

namespace kopiur::controller {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::wait_until;

TEST(Health, ReadyzFollowsCacheSyncAndApiReplies) {
  auto server = kube::testing::start_server();
  ASSERT_NE(server, nullptr);
  kube::Client client(kube::testing::config_for(*server));
  ManualClock clock;
  telemetry::metrics::MeterProvider provider;
  Runtime runtime(client, provider.meter(), {.clock = &clock});
  runtime.add_kind({"Widget",
                    kube::resources::kConfigMaps,
                    {},
                    [](ReconcileContext&) -> ReconcileResult { return Action::done(); },
                    {}});
  const HealthOptions options;
  auto before = readiness(runtime, options);
  EXPECT_FALSE(before.ok);
  EXPECT_NE(before.reason.find("waiting for the first list of Widget"), std::string::npos);

  telemetry::http::ServerOptions http_options;
  http_options.address = "127.0.0.1:0";
  telemetry::http::HttpServer http(http_options);
  add_health_routes(http, runtime, options);
  ASSERT_EQ(http.start(), "");
  httplib::Client probe("127.0.0.1", http.port());
  EXPECT_EQ(probe.Get("/readyz")->status, 503);

  runtime.start();
  ASSERT_TRUE(wait_until([&] { return readiness(runtime, options).ok; }, 10s));
  EXPECT_EQ(probe.Get("/readyz")->status, 200);
  EXPECT_EQ(probe.Get("/healthz")->status, 200);

  // The API server goes away: 30 s later (on the runtime's clock) the controller is not ready.
  server->stop();
  clock.advance(31s);
  ASSERT_TRUE(wait_until([&] { return !readiness(runtime, options).ok; }, 10s));
  const auto res = probe.Get("/readyz");
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("has not answered"), std::string::npos) << res->body;
  runtime.stop();
  http.stop();
}

TEST(Health, HealthzFailsWhenQueuedWorkMakesNoProgress) {
  auto server = kube::testing::start_server();
  ASSERT_NE(server, nullptr);
  kube::Client client(kube::testing::config_for(*server));
  ManualClock clock;
  telemetry::metrics::MeterProvider provider;
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  bool entered = false;
  Runtime runtime(client, provider.meter(), {.workers = 1, .clock = &clock});
  runtime.add_kind({"Widget",
                    kube::resources::kConfigMaps,
                    {},
                    [&](ReconcileContext&) -> ReconcileResult {
                      std::unique_lock lock(mu);
                      entered = true;
                      cv.wait(lock, [&] { return open; });  // a wedged reconcile
                      return Action::done();
                    },
                    {}});
  auto release = [&] {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  };
  const std::unique_ptr<void, std::function<void(void*)>> guard(&mu, [&](void*) { release(); });
  const HealthOptions options{.stall_timeout = 5min};
  EXPECT_TRUE(liveness(runtime, options).ok);
  runtime.start();
  ASSERT_TRUE(client
                  .create(kube::resources::kConfigMaps, "default",
                          {{"apiVersion", "v1"},
                           {"kind", "ConfigMap"},
                           {"metadata", {{"name", "w"}, {"namespace", "default"}}}})
                  .ok());
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(mu);
        return entered;
      },
      10s));
  clock.advance(4min);
  EXPECT_TRUE(liveness(runtime, options).ok);
  clock.advance(2min);
  const auto stuck = liveness(runtime, options);
  EXPECT_FALSE(stuck.ok);
  EXPECT_NE(stuck.reason.find("no reconcile has started or finished"), std::string::npos);
  // A follower is never unhealthy for work it does not do.
  runtime.set_leading(false);
  EXPECT_TRUE(liveness(runtime, options).ok);
  runtime.set_leading(true);
  release();
  ASSERT_TRUE(wait_until([&] { return runtime.progress().queue.processing == 0; }, 10s));
  EXPECT_TRUE(liveness(runtime, options).ok);
  runtime.stop();
}

}  // namespace
}  // namespace kopiur::controller
