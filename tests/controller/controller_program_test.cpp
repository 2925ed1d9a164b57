// kopiur-controller against kopiur-localkube, driven by the real kubectl: readiness waits for the
// caches, the leader holds the Lease, every kind is reconciled inside a `reconcile` span naming its
// object, /metrics shows the reconcile counters and the phase gauge (1, 0 on deletion), and
// SIGTERM releases the Lease.
#include <filesystem>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include "kopiur/support/json.hpp"

#include "child_process.hpp"

namespace kopiur::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Kubectl {
  std::string kubeconfig;
  RunResult operator()(std::vector<std::string> args) const {
    return run_program("/usr/bin/kubectl", std::move(args), {{"KUBECONFIG", kubeconfig}});
  }
};

int http_get(int port, const std::string& path, std::string* body = nullptr) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get(path);
  if (!res) return 0;
  if (body != nullptr) *body = res->body;
  return res->status;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// The raw JSON log lines of the controller whose message is `message`.
std::vector<std::string> log_lines(const std::string& out, const std::string& message) {
  std::vector<std::string> found;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j["fields"]["message"] == message) found.push_back(line);
  }
  return found;
}

std::string metrics(int port) {
  std::string body;
  http_get(port, "/metrics", &body);
  return body;
}

TEST(ControllerProgram, ReconcilesEveryKindAsLeaderWithSpansMetricsAndPhases) {
  ASSERT_EQ(access("/usr/bin/kubectl", X_OK), 0) << "kubectl is required for this test";
  const fs::path dir = fs::temp_directory_path() / ("kopiur-ctl-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string kubeconfig = (dir / "kubeconfig").string();
  const std::string source = KOPIUR_TEST_SOURCE_DIR;
  ChildProcess localkube(
      program_path("localkube/kopiur-localkube"),
      {"--listen", "127.0.0.1:" + std::to_string(free_tcp_port()), "--kubeconfig-out", kubeconfig});
  ASSERT_TRUE(localkube.wait_for_stdout(
      [](const std::string& out) { return out.find("kubeconfig:") != std::string::npos; }, 20s))
      << localkube.err();
  Kubectl kubectl{kubeconfig};

  const int port = free_tcp_port();
  ChildProcess controller(
      program_path("kopiur-controller"),
      {"--kubeconfig", kubeconfig, "--http-addr", "127.0.0.1:" + std::to_string(port),
       "--leader-elect", "--leader-elect-namespace", "default", "--workers", "2"},
      // The runtime's per-reconcile "reconciled" line is DEBUG (one per reconcile is too chatty
      // for info); this test reads it to see every kind reconciled inside its span.
      {{"KOPIUR_LOG_FORMAT", "json"},
       {"KOPIUR_POD_NAME", "ctl-0"},
       {"RUST_LOG", "info,kopiur_controller::runtime=debug"}});
  ASSERT_TRUE(eventually([&] { return http_get(port, "/healthz") == 200; }))
      << controller.out() << controller.err();
  std::string reason;
  EXPECT_EQ(http_get(port, "/readyz", &reason), 503);  // no CRDs yet: nothing listed
  EXPECT_NE(reason.find("waiting for the first list"), std::string::npos) << reason;

  ASSERT_EQ(kubectl({"apply", "-f", source + "/deploy/crds/"}).exit_code, 0);
  auto examples = kubectl({"apply", "-f", source + "/deploy/examples/"});
  ASSERT_EQ(examples.exit_code, 0) << examples.err;
  ASSERT_TRUE(eventually([&] { return http_get(port, "/readyz") == 200; })) << controller.out();

  // The Lease names this replica.
  ASSERT_TRUE(eventually([&] {
    auto lease = kubectl({"get", "lease", "kopiur-controller-leader", "-n", "default", "-o",
                          "jsonpath={.spec.holderIdentity}"});
    return lease.exit_code == 0 && lease.out == "ctl-0";
  }));

  // Every kind is reconciled inside a span carrying kind, namespace and name. The examples refer
  // to objects a fresh cluster lacks (Secrets, an s3 repository), so some reconciles end in
  // "reconcile failed": that line is inside the span too.
  const std::set<std::string> all = {
      "Repository", "ClusterRepository", "BackupConfig", "BackupSchedule",
      "Backup",     "Restore",           "Maintenance"};
  ASSERT_TRUE(controller.wait_for_stdout(
      [&](const std::string& out) {
        std::set<std::string> seen;
        for (const char* message : {"reconciled", "reconcile failed"}) {
          for (const auto& line : log_lines(out, message)) {
            seen.insert(nlohmann::json::parse(line)["span"]["kind"].get<std::string>());
          }
        }
        return seen == all;
      },
      30s))
      << controller.out();
  bool backup_line = false;
  for (const auto& line : log_lines(controller.out(), "reconciled")) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j.contains("trace_id")) << line;
    if (j["span"]["kind"] != "Backup") continue;
    backup_line = true;
    EXPECT_EQ(j["span"]["namespace"], "default") << line;
    // The JSON span object carries the object's name field (and the span's name after it).
    EXPECT_NE(line.find("\"name\":\"app-data-manual\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"name\":\"reconcile\""), std::string::npos) << line;
  }
  EXPECT_TRUE(backup_line);
  const auto text = metrics(port);
  for (const auto& kind : all) {
    EXPECT_NE(text.find("kopiur_controller_reconciliations_total{kind=\"" + kind + "\"}"),
              std::string::npos)
        << kind;
  }
  EXPECT_NE(text.find("kopiur_controller_reconcile_duration_seconds_bucket{kind=\"Backup\""),
            std::string::npos);
  // Beyond the contract: the API client's requests (the readiness probe's GETs at least).
  EXPECT_NE(text.find("kopiur_kube_client_requests_total{code=\"200\",verb=\"GET\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("kopiur_kube_client_request_duration_seconds_count{verb=\"GET\"}"),
            std::string::npos);

  // The phase gauge follows the status; deletion zeroes it.
  const std::string series =
      "kopiur_resource_phase{kind=\"Backup\",name=\"app-data-manual\",namespace=\"default\",phase=";
  ASSERT_EQ(kubectl({"patch", "backup", "app-data-manual", "--subresource=status", "--type=merge",
                     "-p", R"({"status":{"phase":"Running"}})"})
                .exit_code,
            0);
  ASSERT_TRUE(eventually([&] {
    const auto m = metrics(port);
    return m.find(series + "\"Running\"} 1") != std::string::npos &&
           m.find(series + "\"Pending\"} 0") != std::string::npos;
  })) << metrics(port);
  ASSERT_EQ(kubectl({"delete", "backup", "app-data-manual", "--wait=false"}).exit_code, 0);
  ASSERT_TRUE(eventually([&] {
    return metrics(port).find(series + "\"Running\"} 0") != std::string::npos;
  })) << metrics(port);

  controller.signal(SIGTERM);
  EXPECT_EQ(controller.wait(15s), std::optional<int>(0)) << controller.err();
  auto released = kubectl({"get", "lease", "kopiur-controller-leader", "-n", "default", "-o",
                           "jsonpath={.spec.holderIdentity}"});
  EXPECT_EQ(released.out, "");  // given up on the way out
  localkube.signal(SIGTERM);
  EXPECT_EQ(localkube.wait(15s), std::optional<int>(0));
  fs::remove_all(dir);
}

TEST(ControllerProgram, BadFlagsAreRejectedWithTheFlagsName) {
  for (const auto& [args, expected] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--workers", "0"}, "--workers"},
           {{"--namespace", "Not_A_Namespace"}, "--namespace"},
           {{"--namespace", "a", "--cluster-scope"}, "--cluster-scope"},
           {{"--leader-elect", "--leader-elect-renew-deadline", "20s"},
            "--leader-elect-lease-duration"},
           {{"--stall-timeout", "soon"}, "--stall-timeout"},
           {{"--mover-pull-policy", "Sometimes"}, "--mover-pull-policy"}}) {
    auto r = run_program(program_path("kopiur-controller"), args);
    EXPECT_EQ(r.exit_code, 2) << expected;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace kopiur::test
