// BackupFlowTest: the flow tests' cluster with a Ready filesystem Repository "repo" and a claim
// "data" of three files (setup()), BackupConfig and Backup objects, and the kopiur_backup_*
// gauges; SlowBackupFlowTest makes each `snapshot create` of the kopia stand-in take 2 s so a
// Backup is seen Running.
//
//   TEST_F(BackupFlowTest, X) {
//     setup();
//     create(config("cfg"));
//     auto done = run_backup("b1", "cfg");                 // waits for Succeeded
//     EXPECT_EQ(gauge("size_bytes", "cfg"), 21);
//   }
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "kopiur/controller/flow_support.hpp"
#include "kopiur/kube/client.hpp"

#include "flow_fixture.hpp"
#include "support/wait.hpp"

namespace kopiur::controller::testing {

inline Predicate config_status(const std::string& key, const nlohmann::json& value) {
  return [key, value](const nlohmann::json& o) {
    const auto s = o.value("status", nlohmann::json::object());
    return s.contains(key) && s[key] == value;
  };
}

class BackupFlowTest : public FlowTest {
 protected:
  // A Ready filesystem Repository "repo" and a claim "data" holding three files (21 bytes).
  void setup() {
    start();
    create_password_secret(kNs, "repo-pass");
    repo_dir_ = dir("repo");
    create(repository(kNs, "repo", repo_dir_));
    make_ready("repo");
    const auto data = create_claim(kNs, "data");
    write(data + "/a.txt", "hello");
    write(data + "/b.txt", "goodbye");
    std::filesystem::create_directories(data + "/sub");
    write(data + "/sub/c.txt", "seventeen");
  }

  // The Repository flow connects and reports Ready; where it does not run (its own tests cover
  // it) the status is written here, and the backup Job creates the repository (spec.create).
  void make_ready(const std::string& name) {
    const bool reconciled =
        test::wait_until([&] { return !phase_of_status(get("Repository", kNs, name)).empty(); },
                         std::chrono::seconds(3), std::chrono::milliseconds(20));
    if (!reconciled) {
      auto done =
          client_->patch_status(kube::resource_for("Repository"), kNs, name,
                                {{"status", {{"phase", "Ready"}}}}, kube::PatchType::kMerge);
      ASSERT_TRUE(done.ok()) << done.error().to_string();
    }
    ASSERT_FALSE(wait_for("Repository", kNs, name, phase_is("Ready")).is_null());
  }

  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  }

  static nlohmann::json config(const std::string& name,
                               const nlohmann::json& spec_extra = nlohmann::json::object()) {
    nlohmann::json spec = {{"repository", {{"kind", "Repository"}, {"name", "repo"}}},
                           {"sources", {{{"pvc", "data"}}}}};
    spec.update(spec_extra);
    return {{"apiVersion", kApi},
            {"kind", "BackupConfig"},
            {"metadata", {{"name", name}, {"namespace", kNs}}},
            {"spec", spec}};
  }

  static nlohmann::json backup(const std::string& name, const std::string& config_name,
                               const nlohmann::json& spec_extra = nlohmann::json::object(),
                               const nlohmann::json& meta_extra = nlohmann::json::object()) {
    nlohmann::json spec = {{"configRef", {{"name", config_name}}}};
    spec.update(spec_extra);
    nlohmann::json meta = {{"name", name}, {"namespace", kNs}};
    meta.update(meta_extra);
    return {{"apiVersion", kApi}, {"kind", "Backup"}, {"metadata", meta}, {"spec", spec}};
  }

  // Creates a Backup and waits for its final phase.
  nlohmann::json run_backup(const std::string& name, const std::string& config_name,
                            const std::string& phase = "Succeeded",
                            const nlohmann::json& spec_extra = nlohmann::json::object(),
                            const nlohmann::json& meta_extra = nlohmann::json::object()) {
    create(backup(name, config_name, spec_extra, meta_extra));
    return wait_for("Backup", kNs, name, phase_is(phase));
  }

  std::optional<double> gauge(const std::string& which, const std::string& name) {
    return metric("kopiur_backup_" + which, {{"namespace", kNs}, {"name", name}});
  }

  // Events are published after the status write that a test waits for.
  bool event_seen(const std::string& name, const std::string& reason) {
    return test::wait_until([&] { return has_event(kNs, name, reason); }, std::chrono::seconds(10),
                            std::chrono::milliseconds(20));
  }

  // How many Events with `reason` were recorded about the Backup `name`.
  int events_with_reason(const std::string& name, const std::string& reason) {
    int n = 0;
    for (const auto& e : events_for(kNs, name)) n += e["reason"] == reason;
    return n;
  }

  // Waits (at most 10 s) until the controller's cache holds the server's current version of the
  // Backup `name`: no event about it was lost.
  bool cache_reaches_server(const std::string& name) {
    const std::string rv = get("Backup", kNs, name)["metadata"].value("resourceVersion", "");
    return test::wait_until(
        [&] {
          const auto cached = runtime_->cache("Backup")->get(kNs, name);
          return cached != nullptr && (*cached)["metadata"].value("resourceVersion", "") == rv;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(20));
  }

  bool snapshot_in_repository(const std::string& id) const {
    return std::filesystem::exists(std::filesystem::path(repo_dir_) / "manifests" / id);
  }

  static std::int64_t unix_of(const nlohmann::json& rfc3339_time) {
    const auto t = parse_rfc3339(rfc3339_time.get<std::string>());
    EXPECT_TRUE(t.has_value()) << rfc3339_time;
    return t ? std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count() : 0;
  }

  // Failures: the repository's password Secret changed (the controller reads it when it starts
  // a Job, so the Jobs started meanwhile fail with kopia's "invalid repository password").
  void set_password(bool right) {
    patch("Secret", kNs, "repo-pass",
          {{"data", {{"password", right ? "czNjcmV0LXBhc3M=" : "d3Jvbmc="}}}});  // base64
  }

  std::string repo_dir_;
};

// Runs every `snapshot create` of the stand-in slowly, so a Backup is seen Running. The local
// kubelet takes the Jobs' KOPIA_STANDIN_* from this process when its server starts: the fixture's
// server is started again with them set.
class SlowBackupFlowTest : public BackupFlowTest {
 protected:
  void SetUp() override {
    BackupFlowTest::SetUp();
    BackupFlowTest::TearDown();
    setenv("KOPIA_STANDIN_INJECT", "slow=2", 1);
    setenv("KOPIA_STANDIN_INJECT_ON", "snapshot create", 1);
    BackupFlowTest::SetUp();
    setenv("KOPIA_STANDIN_INJECT", "", 1);
    unsetenv("KOPIA_STANDIN_INJECT_ON");
  }
};

}  // namespace kopiur::controller::testing
