// kopiur-controller against kopiur-localkube, driven by the real kubectl: readiness waits for the
// caches, and every change shows up in the controller's log, attributed to its resource.
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <unistd.h>

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

int http_status(int port, const std::string& path, std::string* body = nullptr) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get(path);
  if (!res) return 0;
  if (body != nullptr) *body = res->body;
  return res->status;
}

// JSON log lines of the controller whose message is `message`.
std::vector<nlohmann::json> log_lines(const std::string& out, const std::string& message) {
  std::vector<nlohmann::json> found;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j["fields"]["message"] == message) found.push_back(j);
  }
  return found;
}

TEST(ControllerWatch, ReadyOnlyOnceEveryKindIsListedAndLogsEveryChange) {
  if (access("/usr/bin/kubectl", X_OK) != 0) GTEST_SKIP() << "kubectl is not installed";
  const fs::path dir = fs::temp_directory_path() / ("kopiur-watch-" + std::to_string(getpid()));
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

  // The controller starts before the CRDs exist: it must not claim readiness.
  const int port = free_tcp_port();
  ChildProcess controller(
      program_path("kopiur-controller"),
      {"--kubeconfig", kubeconfig, "--http-addr", "127.0.0.1:" + std::to_string(port)},
      {{"KOPIUR_LOG_FORMAT", "json"}});
  ASSERT_TRUE(controller.wait_for_stdout(
      [](const std::string& out) {
        return out.find("watching kopiur resources") != std::string::npos;
      },
      20s))
      << controller.out() << controller.err();
  std::string reason;
  EXPECT_EQ(http_status(port, "/readyz", &reason), 503);
  EXPECT_NE(reason.find("waiting"), std::string::npos) << reason;
  EXPECT_EQ(http_status(port, "/healthz"), 200);

  auto crds = kubectl({"apply", "-f", source + "/deploy/crds/"});
  ASSERT_EQ(crds.exit_code, 0) << crds.err;
  auto examples = kubectl({"apply", "-f", source + "/deploy/examples/"});
  ASSERT_EQ(examples.exit_code, 0) << examples.err;

  // The watchers retry with backoff until the kinds exist, then list: ready.
  bool ready = false;
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       !ready && std::chrono::steady_clock::now() < deadline;) {
    ready = http_status(port, "/readyz") == 200;
    if (!ready) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(ready) << controller.out();
  std::set<std::string> listed;
  for (const auto& line : log_lines(controller.out(), "listed")) {
    listed.insert(line["fields"]["kind"].get<std::string>());
  }
  EXPECT_EQ(listed, (std::set<std::string>{"Repository", "ClusterRepository", "BackupConfig",
                                           "BackupSchedule", "Backup", "Restore", "Maintenance"}));

  // A status change is logged inside a span naming the resource.
  auto patched = kubectl({"patch", "backup", "app-data-manual", "--subresource=status",
                          "--type=merge", "-p", R"({"status":{"phase":"Running"}})"});
  ASSERT_EQ(patched.exit_code, 0) << patched.err;
  ASSERT_TRUE(controller.wait_for_stdout(
      [](const std::string& out) {
        for (const auto& line : log_lines(out, "observed")) {
          if (line["fields"]["phase"] == "Running") return true;
        }
        return false;
      },
      20s))
      << controller.out();
  for (const auto& line : log_lines(controller.out(), "observed")) {
    if (line["fields"]["phase"] != "Running") continue;
    EXPECT_EQ(line["span"]["name"], "observe");
    EXPECT_EQ(line["span"]["kind"], "Backup");
    EXPECT_EQ(line["span"]["namespace"], "default");
    EXPECT_EQ(line["span"]["name"], "observe");
    EXPECT_TRUE(line.contains("trace_id"));
  }

  controller.signal(SIGTERM);
  EXPECT_EQ(controller.wait(15s), std::optional<int>(0)) << controller.err();
  localkube.signal(SIGTERM);
  EXPECT_EQ(localkube.wait(15s), std::optional<int>(0));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kopiur::test
