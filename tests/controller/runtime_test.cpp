// The runtime against the local API server (in process): ConfigMaps stand in for a kind, Jobs for
// its owned objects. Deduplication and exclusion per object, backoff per error class with a
// ManualClock, owned-object requeues, the phase gauge, metrics and Warning Events.
#include "kopiur/controller/runtime.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "kopiur/localkube/server.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"
#include "kopiur/telemetry/resource.hpp"

#include "kube/test_util.hpp"
#include "support/wait.hpp"

namespace kopiur::controller {
namespace {

using namespace std::chrono_literals;
using kube::testing::config_for;
using nlohmann::json;
using test::wait_until;

json config_map(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"data", {{"v", value}}}};
}

// Per-object reconcile bookkeeping shared with the test body.
struct Recorder {
  std::mutex mu;
  std::map<std::string, int> calls;
  std::map<std::string, int> in_flight;
  int overlaps = 0;
  int count(const std::string& name) {
    std::lock_guard lock(mu);
    return calls[name];
  }
  void enter(const std::string& name) {
    std::lock_guard lock(mu);
    ++calls[name];
    if (++in_flight[name] > 1) ++overlaps;
  }
  void leave(const std::string& name) {
    std::lock_guard lock(mu);
    --in_flight[name];
  }
};

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = kube::testing::start_server();
    ASSERT_NE(server_, nullptr);
    client_.emplace(config_for(*server_));
  }
  std::unique_ptr<Runtime> make(ReconcileFn reconcile, RuntimeOptions options = {},
                                std::vector<RelatedWatch> related = {}) {
    options.clock = &clock_;
    auto runtime = std::make_unique<Runtime>(*client_, provider_.meter(), std::move(options));
    runtime->add_kind({"Widget",
                       kube::resources::kConfigMaps,
                       {"Pending", "Ready", "Failed"},
                       std::move(reconcile),
                       std::move(related)});
    return runtime;
  }
  std::string scrape() { return reader_.scrape("").body; }
  std::string name_of(const ReconcileContext& ctx) {
    return ctx.object()["metadata"]["name"].get<std::string>();
  }

  std::unique_ptr<localkube::LocalApiServer> server_;
  std::optional<kube::Client> client_;
  ManualClock clock_;
  telemetry::metrics::MeterProvider provider_;
  telemetry::metrics::PrometheusReader reader_{
      provider_, telemetry::Resource(telemetry::Resource::Attributes{{"service.name", "t"}})};
  Recorder rec_;
};

TEST_F(RuntimeTest, ChangesDuringAReconcileAreSeenOnceAfterItAndNeverConcurrently) {
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool open = false;
  auto release = [&] {
    {
      std::lock_guard lock(gate_mu);
      open = true;
    }
    gate_cv.notify_all();
  };
  // Opens the gate on every exit, so a failed assertion does not leave a worker blocked.
  const std::unique_ptr<void, std::function<void(void*)>> guard(&gate_mu,
                                                                [&](void*) { release(); });
  auto runtime = make(
      [&](ReconcileContext& ctx) -> ReconcileResult {
        const auto name = name_of(ctx);
        rec_.enter(name);
        if (name == "a") {
          std::unique_lock lock(gate_mu);
          gate_cv.wait(lock, [&] { return open; });
        }
        rec_.leave(name);
        return Action::done();
      },
      {.workers = 4});
  ASSERT_TRUE(client_->create(kube::resources::kConfigMaps, "default", config_map("a", "0")).ok());
  runtime->start();
  ASSERT_TRUE(wait_until([&] { return rec_.count("a") == 1; }, 10s));
  // Five changes while the first reconcile of "a" is held: queued once, not run alongside.
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(
        client_
            ->replace(kube::resources::kConfigMaps, "default", config_map("a", std::to_string(i)))
            .ok());
  }
  ASSERT_TRUE(client_->create(kube::resources::kConfigMaps, "default", config_map("b", "0")).ok());
  ASSERT_TRUE(wait_until([&] { return rec_.count("b") == 1; }, 10s));  // other objects proceed
  ASSERT_TRUE(wait_until(
      [&] {
        const auto p = runtime->progress();
        return runtime->cache("Widget")->get("default", "a")->at("data").at("v") == "5" &&
               p.queue.requeued == 1 && p.queue.ready == 0;
      },
      10s));
  release();
  ASSERT_TRUE(wait_until([&] { return rec_.count("a") == 2; }, 10s));
  ASSERT_TRUE(wait_until(
      [&] {
        const auto p = runtime->progress();
        return p.queue.ready == 0 && p.queue.processing == 0;
      },
      10s));
  EXPECT_EQ(rec_.count("a"), 2);
  EXPECT_EQ(rec_.overlaps, 0);
  const auto text = scrape();
  EXPECT_NE(text.find("kopiur_controller_reconciliations_total{kind=\"Widget\"} 3"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("kopiur_controller_reconcile_duration_seconds_count{kind=\"Widget\"} 3"),
            std::string::npos)
      << text;
}

TEST_F(RuntimeTest, TransientErrorsBackOffExponentiallyPerObject) {
  auto runtime = make([&](ReconcileContext& ctx) -> ReconcileResult {
    rec_.enter(name_of(ctx));
    rec_.leave(name_of(ctx));
    return ReconcileError::transient("ApiUnavailable", "the API server did not answer");
  });
  ASSERT_TRUE(client_->create(kube::resources::kConfigMaps, "default", config_map("t", "0")).ok());
  runtime->start();
  ASSERT_TRUE(wait_until([&] { return rec_.count("t") == 1; }, 10s));
  // Retries at +1 s, then +2 s, then +4 s: each one only once the clock gets there.
  int expected = 1;
  for (const auto step : {1s, 2s, 4s}) {
    ASSERT_TRUE(wait_until([&] { return runtime->progress().queue.delayed == 1; }, 10s));
    clock_.advance(step - 1ms);
    EXPECT_EQ(runtime->progress().queue.ready, 0U);  // not due yet
    EXPECT_EQ(rec_.count("t"), expected);
    clock_.advance(1ms);
    ++expected;
    ASSERT_TRUE(wait_until([&] { return rec_.count("t") == expected; }, 10s)) << expected;
  }
  const auto text = scrape();
  EXPECT_NE(
      text.find("kopiur_controller_reconcile_errors_total{class=\"transient\",kind=\"Widget\"} "),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("kopiur_controller_workqueue_retries_total{kind=\"Widget\"}"),
            std::string::npos)
      << text;
}

TEST_F(RuntimeTest, StructuralErrorsWaitButAChangeRequeuesAtOnceAndAWarningEventIsAggregated) {
  kube::EventRecorder events(*client_, "kopiur-controller", "test");
  auto runtime = make(
      [&](ReconcileContext& ctx) -> ReconcileResult {
        rec_.enter(name_of(ctx));
        rec_.leave(name_of(ctx));
        if (ctx.object()["data"]["v"] == "fixed") return Action::done();
        return ReconcileError::structural(
            "SecretNotFound",
            "Secret repo-password not found in namespace default: create it, then the "
            "Widget is retried at once");
      },
      {.events = &events});
  ASSERT_TRUE(client_->create(kube::resources::kConfigMaps, "default", config_map("s", "0")).ok());
  runtime->start();
  ASSERT_TRUE(wait_until([&] { return rec_.count("s") == 1; }, 10s));
  // The retry is scheduled once the reconcile has returned: wait for it before moving the clock.
  ASSERT_TRUE(wait_until([&] { return runtime->progress().queue.delayed == 1; }, 10s));
  clock_.advance(5min);  // the slow fixed interval
  ASSERT_TRUE(wait_until([&] { return rec_.count("s") == 2; }, 10s));
  // Both failures are one Event with count 2.
  ASSERT_TRUE(wait_until(
      [&] {
        auto list = client_->list(kube::resources::kCoreEvents, "default");
        return list.ok() && (*list)["items"].size() == 1 && (*list)["items"][0]["count"] == 2;
      },
      10s));
  auto list = client_->list(kube::resources::kCoreEvents, "default");
  const auto& event = (*list)["items"][0];
  EXPECT_EQ(event["type"], "Warning");
  EXPECT_EQ(event["reason"], "SecretNotFound");
  EXPECT_EQ(event["involvedObject"]["name"], "s");
  EXPECT_NE(event["message"].get<std::string>().find("create it"), std::string::npos);
  // A change of the object: reconciled now, without waiting for the interval.
  ASSERT_TRUE(
      client_->replace(kube::resources::kConfigMaps, "default", config_map("s", "fixed")).ok());
  ASSERT_TRUE(wait_until([&] { return rec_.count("s") == 3; }, 10s));
  EXPECT_NE(scrape().find("kopiur_controller_reconcile_errors_total{class=\"structural\",kind="
                          "\"Widget\"} 2"),
            std::string::npos);
}

TEST_F(RuntimeTest, AChangedOwnedJobRequeuesItsOwner) {
  auto runtime = make(
      [&](ReconcileContext& ctx) -> ReconcileResult {
        rec_.enter(name_of(ctx));
        rec_.leave(name_of(ctx));
        return Action::done();
      },
      {}, {owned_by("ConfigMap", true, kube::resources::kJobs)});
  auto owner = client_->create(kube::resources::kConfigMaps, "default", config_map("o", "0"));
  ASSERT_TRUE(owner.ok());
  runtime->start();
  ASSERT_TRUE(wait_until([&] { return rec_.count("o") >= 1 && runtime->synced(); }, 10s));
  const int before = rec_.count("o");
  const json job = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata",
       {{"name", "o-backup"},
        {"namespace", "default"},
        {"ownerReferences",
         {{{"apiVersion", "v1"},
           {"kind", "ConfigMap"},
           {"name", "o"},
           {"uid", (*owner)["metadata"]["uid"]},
           {"controller", true}}}}}},
      {"spec",
       {{"template",
         {{"spec",
           {{"restartPolicy", "Never"},
            {"containers", {{{"name", "m"}, {"image", "x"}, {"command", {"true"}}}}}}}}}}}};
  ASSERT_TRUE(client_->create(kube::resources::kJobs, "default", job).ok());
  ASSERT_TRUE(wait_until([&] { return rec_.count("o") == before + 1; }, 10s));
}

TEST_F(RuntimeTest, PhaseGaugeFollowsTheReportedStatusAndIsDroppedAfterDeletion) {
  auto runtime = make(
      [&](ReconcileContext& ctx) -> ReconcileResult {
        rec_.enter(name_of(ctx));
        rec_.leave(name_of(ctx));
        ctx.report_status({{"phase", "Failed"}});
        return ReconcileError::transient("JobRunning", "still running");  // gauges on errors too
      },
      {.phase_grace = 10min});
  ASSERT_TRUE(client_->create(kube::resources::kConfigMaps, "default", config_map("p", "0")).ok());
  runtime->start();
  const std::string failed =
      "kopiur_resource_phase{kind=\"Widget\",name=\"p\",namespace=\"default\",phase=\"Failed\"} ";
  ASSERT_TRUE(wait_until([&] { return scrape().find(failed + "1") != std::string::npos; }, 10s))
      << scrape();
  EXPECT_NE(scrape().find("kopiur_resource_phase{kind=\"Widget\",name=\"p\",namespace=\"default\","
                          "phase=\"Ready\"} 0"),
            std::string::npos);
  ASSERT_TRUE(client_->remove(kube::resources::kConfigMaps, "default", "p").ok());
  ASSERT_TRUE(wait_until([&] { return scrape().find(failed + "0") != std::string::npos; }, 10s))
      << scrape();
  clock_.advance(10min);
  ASSERT_TRUE(wait_until([&] { return scrape().find("name=\"p\"") == std::string::npos; }, 10s))
      << scrape();
}

TEST_F(RuntimeTest, NamespaceScopeReconcilesOnlyTheListedNamespaces) {
  for (const char* ns : {"a", "b", "c"}) {
    ASSERT_TRUE(
        client_
            ->create(kube::resources::kNamespaces, "",
                     {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}})
            .ok());
  }
  std::mutex mu;
  std::set<std::string> seen;
  auto runtime = make(
      [&](ReconcileContext& ctx) -> ReconcileResult {
        std::lock_guard lock(mu);
        seen.insert(ctx.object()["metadata"]["namespace"].get<std::string>() + "/" + name_of(ctx));
        return Action::done();
      },
      {.namespaces = {"a", "b"}});
  runtime->start();
  for (const char* ns : {"c", "a", "b"}) {  // "c" first: had it been watched, it would be seen
    auto cm = config_map("w", "0");
    cm["metadata"]["namespace"] = ns;
    ASSERT_TRUE(client_->create(kube::resources::kConfigMaps, ns, cm).ok());
  }
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(mu);
        return seen.size() == 2;
      },
      10s));
  ASSERT_TRUE(wait_until([&] { return runtime->progress().queue.processing == 0; }, 10s));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::set<std::string>{"a/w", "b/w"}));
  EXPECT_EQ(runtime->cache("Widget")->get("c", "w"), nullptr);
}

// Each namespace's watch lists its own objects: one namespace's list must not take the other's
// objects for deleted (their phase series would be zeroed and scheduled for removal).
TEST_F(RuntimeTest, OneNamespacesListLeavesTheOthersObjectsAlone) {
  for (const char* ns : {"a", "b"}) {
    ASSERT_TRUE(
        client_
            ->create(kube::resources::kNamespaces, "",
                     {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}})
            .ok());
    auto cm = config_map("w", "0");
    cm["metadata"]["namespace"] = ns;
    ASSERT_TRUE(client_->create(kube::resources::kConfigMaps, ns, cm).ok());
  }
  auto runtime = make([](ReconcileContext&) -> ReconcileResult { return Action::done(); },
                      {.namespaces = {"a", "b"}, .leading = false});
  runtime->start();
  ASSERT_TRUE(wait_until([&] { return runtime->synced(); }, 10s));
  // A cache is marked listed just before its events are handed on: the keys follow at once.
  EXPECT_TRUE(wait_until([&] { return runtime->progress().queue.ready == 2U; }, 10s))
      << runtime->progress().queue.ready;
  EXPECT_EQ(runtime->phases().pending_drops(), 0U);
}

TEST_F(RuntimeTest, AFollowerKeepsItsQueueAndReconcilesOnlyOnceLeading) {
  auto runtime = make(
      [&](ReconcileContext& ctx) -> ReconcileResult {
        rec_.enter(name_of(ctx));
        rec_.leave(name_of(ctx));
        return Action::done();
      },
      {.leading = false});
  ASSERT_TRUE(client_->create(kube::resources::kConfigMaps, "default", config_map("f", "0")).ok());
  runtime->start();
  ASSERT_TRUE(
      wait_until([&] { return runtime->synced() && runtime->progress().queue.ready == 1; }, 10s));
  EXPECT_EQ(rec_.count("f"), 0);
  EXPECT_NE(scrape().find("kopiur_controller_workqueue_depth{kind=\"Widget\"} 1"),
            std::string::npos)
      << scrape();
  runtime->set_leading(true);
  ASSERT_TRUE(wait_until([&] { return rec_.count("f") == 1; }, 10s));
  // Leading again after a pause: every cached object is reconciled once more (another leader may
  // have moved it on meanwhile).
  runtime->set_leading(false);
  runtime->set_leading(true);
  ASSERT_TRUE(wait_until([&] { return rec_.count("f") == 2; }, 10s));
}

}  // namespace
}  // namespace kopiur::controller
