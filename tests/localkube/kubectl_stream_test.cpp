// The real kubectl's streaming commands against the local API server, which all hang when a
// stream is buffered or compressed without flushing: get -w, wait --for=delete, delete of an
// object with a finalizer, and logs -f of a running Job. kubectl is a required peer.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include "kopiur/localkube/server.hpp"
#include "kopiur/process/process.hpp"
#include "kopiur/support/json.hpp"

#include "kube/test_util.hpp"
#include "localkube/stream_util.hpp"
#include "support/wait.hpp"
#include "telemetry/http/raw_client.hpp"

namespace kopiur::localkube {
namespace {

using namespace std::chrono_literals;
using kube::testing::TempDir;
using nlohmann::json;
namespace raw = telemetry::http::testing;
using kube::testing::start_server;
using namespace localkube::testing;  // kWait, kConfigMaps, post, config_map

// kubectl as a child process whose output is read as it comes.
class Kubectl {
 public:
  Kubectl(const std::string& kubeconfig, const std::string& cache,
          const std::vector<std::string>& args) {
    process::SpawnOptions options;
    options.argv = {"kubectl", "--kubeconfig", kubeconfig, "--cache-dir", cache};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    for (const char* name : {"PATH", "HOME"}) {
      if (const char* value = std::getenv(name))
        options.env.push_back(std::string(name) + "=" + value);
    }
    options.stdout_to = process::Redirect::pipe();
    options.stderr_to = process::Redirect::pipe();
    auto spawned = process::Process::spawn(options);
    error_ = spawned.error;
    process_ = std::move(spawned.process);
    if (process_) {
      out_ = process_->take_stdout();
      err_ = process_->take_stderr();
    }
  }
  ~Kubectl() {
    if (process_ && !process_->wait_for(0ms)) {
      process_->signal(SIGKILL);
      process_->wait();
    }
  }
  Kubectl(const Kubectl&) = delete;
  Kubectl& operator=(const Kubectl&) = delete;

  [[nodiscard]] bool started() const { return process_ != nullptr; }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] const std::string& output() const { return text_; }

  // Reads stdout and stderr until `needle` shows up, both close, or the timeout passes.
  bool read_until(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (text_.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(left)) return text_.find(needle) != std::string::npos;
    }
    return true;
  }

  // The exit code once kubectl ends within `timeout`, reading its output meanwhile.
  std::optional<int> exit_code(std::chrono::milliseconds timeout) {
    read_until("\x01never\x01", timeout);  // until both pipes close or time is up
    auto status = process_->wait_for(1s);
    if (!status) return std::nullopt;
    return status->combined();
  }

  [[nodiscard]] bool running() { return !process_->wait_for(0ms).has_value(); }

 private:
  bool read_some(std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{out_.get(), POLLIN, 0}, {err_.get(), POLLIN, 0}};
    if (!out_.valid() && !err_.valid()) return false;
    if (::poll(fds, 2, static_cast<int>(timeout.count())) <= 0) return false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      char buffer[4096];
      const auto n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        (i == 0 ? out_ : err_).reset();
      } else {
        text_.append(buffer, static_cast<std::size_t>(n));
      }
    }
    return true;
  }

  std::unique_ptr<process::Process> process_;
  process::UniqueFd out_;
  process::UniqueFd err_;
  std::string error_;
  std::string text_;
};

class LocalStreamingKubectl : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(std::system("kubectl version --client >/dev/null 2>&1"), 0)
        << "kubectl is not installed; these tests need the real client";
  }

  void serve(LocalApiServer::Options options = {}) {
    server_ = start_server(std::move(options));
    ASSERT_NE(server_, nullptr);
    kubeconfig_ = (dir_.path() / "kubeconfig").string();
    ASSERT_TRUE(server_->write_kubeconfig(kubeconfig_).ok());
  }

  std::unique_ptr<Kubectl> kubectl(const std::vector<std::string>& args) {
    auto run = std::make_unique<Kubectl>(kubeconfig_, (dir_.path() / "cache").string(), args);
    EXPECT_TRUE(run->started()) << run->error();
    return run;
  }

  json get(const std::string& path) {
    const auto answer = raw::send(static_cast<std::uint16_t>(server_->port()), "GET", path);
    return answer.status == 200 ? json::parse(answer.body, nullptr, false) : json();
  }

  int merge_patch(const std::string& path, const json& patch) {
    return raw::send(static_cast<std::uint16_t>(server_->port()), "PATCH", path,
                     "Content-Type: application/merge-patch+json\r\n", patch.dump())
        .status;
  }

  TempDir dir_;
  std::unique_ptr<LocalApiServer> server_;
  std::string kubeconfig_;
};

TEST_F(LocalStreamingKubectl, GetWatchSeesAChange) {
  serve();
  ASSERT_EQ(post(server_->port(), kConfigMaps, config_map("before")).status, 201);
  auto watch = kubectl({"get", "configmaps", "-w"});
  ASSERT_TRUE(watch->read_until("before", kWait)) << watch->output();
  ASSERT_EQ(post(server_->port(), kConfigMaps, config_map("during")).status, 201);
  EXPECT_TRUE(watch->read_until("during", kWait)) << watch->output();
}

TEST_F(LocalStreamingKubectl, WaitForDeleteReturnsOnceTheFinalizerIsRemoved) {
  serve();
  const auto path = std::string(kConfigMaps) + "/held";
  ASSERT_EQ(
      post(server_->port(), kConfigMaps, config_map("held", "v", {"example.com/hold"})).status,
      201);
  ASSERT_EQ(raw::send(static_cast<std::uint16_t>(server_->port()), "DELETE", path).status, 200);
  auto wait = kubectl({"wait", "--for=delete", "configmap/held", "--timeout=60s"});
  ASSERT_TRUE(get(path)["metadata"].contains("deletionTimestamp"));
  EXPECT_TRUE(wait->running()) << wait->output();
  ASSERT_EQ(merge_patch(path, {{"metadata", {{"finalizers", nullptr}}}}), 200);
  EXPECT_EQ(wait->exit_code(kWait), 0) << wait->output();
}

TEST_F(LocalStreamingKubectl, DeleteOfAnObjectWithAFinalizerReturnsOnceItIsRemoved) {
  serve();
  const auto path = std::string(kConfigMaps) + "/guarded";
  ASSERT_EQ(
      post(server_->port(), kConfigMaps, config_map("guarded", "v", {"example.com/hold"})).status,
      201);
  auto removal = kubectl({"delete", "configmap", "guarded"});
  ASSERT_TRUE(
      test::wait_until([&] { return get(path)["metadata"].contains("deletionTimestamp"); }, kWait));
  EXPECT_TRUE(removal->running()) << removal->output();
  ASSERT_EQ(merge_patch(path, {{"metadata", {{"finalizers", nullptr}}}}), 200);
  EXPECT_EQ(removal->exit_code(kWait), 0) << removal->output();
  EXPECT_NE(removal->output().find("deleted"), std::string::npos) << removal->output();
}

TEST_F(LocalStreamingKubectl, LogsFollowOfARunningJobStreamsLinesAsTheyAreWritten) {
  LocalApiServer::Options options;
  options.run_jobs = true;
  options.work_dir = (dir_.path() / "pods").string();
  serve(options);
  const auto gate = (dir_.path() / "gate").string();
  const json container = {
      {"name", "main"},
      {"image", "ghcr.io/home-operations/kopiur:test"},
      {"command",
       {"/bin/sh", "-c",
        "echo first; while [ ! -e " + gate + " ]; do sleep 0.02; done; echo second"}}};
  const json job = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata", {{"name", "talker"}}},
      {"spec",
       {{"backoffLimit", 0},
        {"template", {{"spec", {{"restartPolicy", "Never"}, {"containers", {container}}}}}}}}};
  ASSERT_EQ(post(server_->port(), "/apis/batch/v1/namespaces/default/jobs", job).status, 201);
  ASSERT_TRUE(test::wait_until(
      [&] {
        const auto pods = get("/api/v1/namespaces/default/pods?labelSelector=job-name%3Dtalker");
        return pods.is_object() && pods["items"].size() == 1 &&
               pods["items"][0]["status"].value("phase", "") == "Running";
      },
      kWait));
  auto logs = kubectl({"logs", "-f", "job/talker"});
  // The container is still waiting for the gate: "first" can only arrive through the stream.
  ASSERT_TRUE(logs->read_until("first\n", kWait)) << logs->output();
  EXPECT_EQ(logs->output().find("second"), std::string::npos);
  std::ofstream(gate) << "open";
  EXPECT_TRUE(logs->read_until("second\n", kWait)) << logs->output();
  EXPECT_EQ(logs->exit_code(kWait), 0) << logs->output();
}

}  // namespace
}  // namespace kopiur::localkube
