// kopiur-localkube --data-dir is killed with SIGKILL at a random moment while four clients
// create ConfigMaps; after each restart every acknowledged create is there and the store loads.
#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "kopiur/kube/client.hpp"

#include "child_process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace kopiur::kube {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// A started kopiur-localkube and its URL, or a failure saying why it did not start.
struct CrashTestServer {
  explicit CrashTestServer(const std::string& data_dir)
      : child(test::program_path("localkube/kopiur-localkube"),
              {"--listen", "127.0.0.1:0", "--data-dir", data_dir}) {
    const bool up = child.wait_for_stdout(
        [](const std::string& out) { return out.find('\n') != std::string::npos; }, 20s);
    const auto out = child.out();
    const auto at = out.find("http://");
    if (!up || at == std::string::npos) {
      ADD_FAILURE() << "kopiur-localkube did not start: " << out << child.err();
      return;
    }
    url = out.substr(at, out.find('\n', at) - at);
  }
  test::ChildProcess child;
  std::string url;
};

Config crash_test_config(const std::string& url) {
  Config config;
  config.server = url;
  config.timeout = std::chrono::seconds(5);
  return config;
}

TEST(StoreCrash, EveryAcknowledgedWriteSurvivesSigkill) {
  test::TempDir dir;
  const auto data_dir = (dir.path() / "data").string();
  std::mt19937 rng{std::random_device{}()};
  std::set<std::string> acknowledged;
  for (int round = 0; round < 5; ++round) {
    CrashTestServer server(data_dir);
    ASSERT_FALSE(server.url.empty()) << "round " << round;
    {
      // The restarted store holds everything acknowledged before the last kill.
      Client client(crash_test_config(server.url));
      auto listed = client.list(resources::kConfigMaps, "default");
      ASSERT_TRUE(listed.ok()) << listed.error().to_string();
      std::set<std::string> present;
      for (const auto& item : (*listed)["items"]) present.insert(item["metadata"]["name"]);
      for (const auto& name : acknowledged) {
        EXPECT_EQ(present.count(name), 1U) << "round " << round << ": lost " << name;
      }
    }
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::atomic<int> acked_this_round{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        Client client(crash_test_config(server.url));
        for (int i = 0; !stop; ++i) {
          const auto name =
              "r" + std::to_string(round) + "-w" + std::to_string(t) + "-" + std::to_string(i);
          auto created = client.create(resources::kConfigMaps, "default",
                                       {{"metadata", {{"name", name}}}, {"data", {{"k", name}}}});
          if (!created.ok()) break;  // the server is gone
          std::lock_guard lock(mu);
          acknowledged.insert(name);
          ++acked_this_round;
        }
      });
    }
    // The random point: after 20 to 300 acknowledged creates, mid-stream.
    const int kill_after = std::uniform_int_distribution<int>(20, 300)(rng);
    const bool reached = test::wait_until([&] { return acked_this_round >= kill_after; }, 30s);
    server.child.signal(SIGKILL);
    stop = true;
    for (auto& w : writers) w.join();
    EXPECT_TRUE(reached) << "round " << round << ": only " << acked_this_round << " creates";
    EXPECT_TRUE(server.child.wait(10s).has_value());
  }
  CrashTestServer last(data_dir);
  ASSERT_FALSE(last.url.empty());
  Client client(crash_test_config(last.url));
  auto listed = client.list(resources::kConfigMaps, "default");
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  std::set<std::string> present;
  for (const auto& item : (*listed)["items"]) present.insert(item["metadata"]["name"]);
  std::size_t lost = 0;
  for (const auto& name : acknowledged) lost += present.count(name) == 0 ? 1 : 0;
  EXPECT_EQ(lost, 0U) << "of " << acknowledged.size() << " acknowledged creates";
  EXPECT_GE(acknowledged.size(), 100U);
}

}  // namespace
}  // namespace kopiur::kube
