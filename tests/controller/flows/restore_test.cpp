// The Restore flow against the local API server with real mover Jobs: a backupRef restored into
// an existing claim, a snapshot ID (of a real Backup, and one that does not exist), fromConfig
// (asOf, offset) into a claim the Restore creates across a controller restart, a source that is
// awaited then given up on (Fail and Continue) or that appears while waited for, a failing Job, a
// missing target claim and a waitTimeout that is no duration. Snapshots are made by the kopia
// stand-in itself before the controller starts; the Repository is made Ready through its status
// subresource, so these tests need no other flow.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/restore_source.hpp"
#include "kopiur/kube/client.hpp"

#include "flow_fixture.hpp"
#include "standin.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace kopiur::controller::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

class RestoreTest : public FlowTest {
 protected:
  // A Ready Repository team-a/repo whose kopia repository exists (made by the stand-in).
  void prepare_repository() {
    create_password_secret("team-a", "repo-pass");
    repo_dir_ = dir("repo");
    kopia({"repository", "create", "filesystem", "--path=" + repo_dir_});
    create(repository("team-a", "repo", repo_dir_));
    make_ready_repository(*client_, "team-a", "repo");
  }

  std::string kopia(const std::vector<std::string>& args) {
    return standin(tmp_.file("kopia.config"), tmp_.file("kopia.stderr"), args);
  }

  // A snapshot of a directory holding `files` (relative path -> content); its id.
  std::string snapshot(const std::string& name, const std::map<std::string, std::string>& files) {
    const auto source = dir("src-" + name);
    for (const auto& [path, content] : files) {
      fs::create_directories((fs::path(source) / path).parent_path());
      std::ofstream(fs::path(source) / path) << content;
    }
    const auto manifest = json::parse(kopia({"snapshot", "create", source, "--json"}));
    return manifest.value("id", "");
  }

  // A Backup in status `phase` with the snapshot `id`, as the Backup flow leaves one.
  void backup(const std::string& name, const std::string& phase, const std::string& id,
              const std::string& completed, const std::string& config = "") {
    json object = {{"apiVersion", kApi},
                   {"kind", "Backup"},
                   {"metadata", {{"name", name}, {"namespace", "team-a"}}},
                   {"spec", json::object()}};
    if (!config.empty()) object["spec"]["configRef"] = {{"name", config}};
    if (phase == "Discovered") {
      object["metadata"]["labels"] = {{"kopiur.io/repository", "repo"},
                                      {"kopiur.io/origin", "discovered"}};
    }
    create(object);
    json status = {
        {"phase", phase},
        {"timing", {{"startTime", completed}, {"completionTime", completed}}},
        {"resolved",
         {{"repository", {{"kind", "Repository"}, {"name", "repo"}, {"namespace", "team-a"}}}}}};
    if (!id.empty()) status["snapshot"] = {{"kopiaSnapshotID", id}};
    auto done = client_->patch_status(kube::resource_for("Backup"), "team-a", name,
                                      {{"status", status}}, kube::PatchType::kMerge);
    ASSERT_TRUE(done.ok()) << done.error().to_string();
  }

  static json restore(const std::string& name, const json& source, const json& target,
                      const json& policy = json()) {
    json spec = {{"source", source}, {"target", target}};
    if (!policy.is_null()) spec["policy"] = policy;
    return {{"apiVersion", kApi},
            {"kind", "Restore"},
            {"metadata", {{"name", name}, {"namespace", "team-a"}}},
            {"spec", spec}};
  }

  static std::string condition(const json& object, const std::string& type,
                               const std::string& field) {
    for (const auto& c : object["status"].value("conditions", json::array())) {
      if (c.value("type", "") == type) return c.value(field, "");
    }
    return "";
  }

  std::optional<double> phase_gauge(const std::string& name, const std::string& phase) {
    return metric("kopiur_resource_phase",
                  {{"kind", "Restore"}, {"namespace", "team-a"}, {"name", name}, {"phase", phase}});
  }

  // The runtime sets the phase gauge when the reconcile that wrote the phase returns, a moment
  // after the API server has it: await it.
  bool phase_gauge_is_1(const std::string& name, const std::string& phase) {
    return test::wait_until([&] { return phase_gauge(name, phase) == 1; }, 10s);
  }

  // Advances both clocks (requeue timers and the wall clock) and waits until a Restore
  // reconcile ran after it.
  void advance(std::chrono::seconds by) {
    const auto before =
        metric("kopiur_controller_reconciliations_total", {{"kind", "Restore"}}).value_or(0);
    wall_.advance(by);
    clock_.advance(by);
    // The reconcile may hand its requeue to the runtime after this advance (its status is
    // written first): the requeue clock alone moves on until a reconcile ran; the wall clock the
    // flow reads stays put.
    EXPECT_TRUE(test::wait_until(
        [&] {
          if (metric("kopiur_controller_reconciliations_total", {{"kind", "Restore"}}).value_or(0) >
              before) {
            return true;
          }
          clock_.advance(10s);
          return false;
        },
        30s, 100ms));
  }

  std::string repo_dir_;
};

TEST_F(RestoreTest, ABackupRefIsRestoredIntoAnExistingClaim) {
  prepare_repository();
  const auto id = snapshot("one", {{"a.txt", "alpha"}, {"sub/b.txt", "beta"}});
  ASSERT_FALSE(id.empty());
  backup("data-1", "Succeeded", id, "2026-11-30T01:00:00Z", "nightly");
  const auto target = create_claim("team-a", "restored");
  start();

  create(
      restore("r1", {{"backupRef", {{"name", "data-1"}}}}, {{"pvcRef", {{"name", "restored"}}}}));
  const auto done = wait_for("Restore", "team-a", "r1", phase_is("Completed"));
  ASSERT_FALSE(done.is_null());
  const auto& status = done["status"];
  EXPECT_EQ(status.value("resolvedSnapshotID", ""), id);
  EXPECT_EQ(status["progress"].value("filesRestored", -1), 2) << status.dump();
  EXPECT_EQ(condition(done, "Ready", "status"), "True");
  EXPECT_EQ(condition(done, "Ready", "reason"), "Completed");
  EXPECT_EQ(condition(done, "SourceResolved", "status"), "True");
  EXPECT_FALSE(status.contains("logTail"));

  // The files are in the claim's directory.
  EXPECT_EQ(test::read_file(target + "/a.txt"), "alpha");
  EXPECT_EQ(test::read_file(target + "/sub/b.txt"), "beta");

  // Duration = completion - start of the Job, in status and in the gauge.
  const auto start = parse_rfc3339(status["timing"].value("startTime", ""));
  const auto end = parse_rfc3339(status["timing"].value("completionTime", ""));
  ASSERT_TRUE(start && end) << status.dump();
  const auto seconds = std::llround(std::chrono::duration<double>(*end - *start).count());
  EXPECT_EQ(status["timing"].value("durationSeconds", std::int64_t{-1}), seconds);
  EXPECT_EQ(metric("kopiur_restore_duration_seconds", {{"namespace", "team-a"}, {"name", "r1"}}),
            static_cast<double>(seconds));
  // The exposition line itself: one series for r1, its value the whole seconds.
  std::string line;
  for (std::istringstream in(scrape()); std::getline(in, line);) {
    if (line.rfind("kopiur_restore_duration_seconds{", 0) == 0) break;
  }
  EXPECT_NE(line.find("namespace=\"team-a\""), std::string::npos) << line;
  EXPECT_NE(line.find("name=\"r1\""), std::string::npos) << line;
  EXPECT_EQ(line.substr(line.rfind(' ') + 1), std::to_string(seconds)) << line;
  EXPECT_TRUE(phase_gauge_is_1("r1", "Completed"));
  EXPECT_EQ(phase_gauge("r1", "Restoring"), 0);
  EXPECT_TRUE(has_event("team-a", "r1", "RestoreStarted"));
  EXPECT_TRUE(has_event("team-a", "r1", "Restored"));
  EXPECT_EQ(list("Job", "team-a", "kopiur.io/job=r1-restore").size(), 1u);

  // A restart keeps the gauge (re-seeded from the status) and starts no second Job.
  restart();
  EXPECT_TRUE(test::wait_until(
      [&] {
        return metric("kopiur_restore_duration_seconds",
                      {{"namespace", "team-a"}, {"name", "r1"}}) == static_cast<double>(seconds);
      },
      30s));
  EXPECT_EQ(list("Job", "team-a", "kopiur.io/job=r1-restore").size(), 1u);
}

TEST_F(RestoreTest, FromConfigPicksByAsOfAndOffsetIntoAClaimItCreates) {
  prepare_repository();
  backup("cfg-1", "Succeeded", snapshot("v1", {{"v.txt", "one"}}), "2026-11-01T00:00:00Z", "cfg");
  backup("cfg-2", "Succeeded", snapshot("v2", {{"v.txt", "two"}}), "2026-11-02T00:00:00Z", "cfg");
  backup("cfg-3", "Succeeded", snapshot("v3", {{"v.txt", "three"}}), "2026-11-03T00:00:00Z", "cfg");
  backup("cfg-4", "Failed", "", "2026-11-02T12:00:00Z", "cfg");
  backup("other-1", "Succeeded", snapshot("o", {{"v.txt", "other"}}), "2026-11-02T06:00:00Z",
         "other");
  start();

  // asOf leaves out cfg-3, offset 1 skips cfg-2 (the Failed cfg-4 never counts).
  create(restore(
      "r2", {{"fromConfig", {{"name", "cfg"}, {"asOf", "2026-11-02T18:00:00Z"}, {"offset", 1}}}},
      {{"pvc", {{"name", "fresh"}}}}));
  // A controller restart while the Job runs (or just after) neither loses its result nor makes a
  // second Job.
  ASSERT_FALSE(wait_for("Restore", "team-a", "r2", [](const json& o) {
                 return phase_is("Restoring")(o) || phase_is("Completed")(o);
               }).is_null());
  restart();
  const auto done = wait_for("Restore", "team-a", "r2", phase_is("Completed"));
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(list("Job", "team-a", "kopiur.io/job=r2-restore").size(), 1u);
  EXPECT_EQ(done["status"].value("resolvedSnapshotID", ""),
            get("Backup", "team-a", "cfg-1")["status"]["snapshot"].value("kopiaSnapshotID", "?"));
  EXPECT_NE(condition(done, "SourceResolved", "message").find("cfg-1"), std::string::npos);

  const auto pvc = get("PersistentVolumeClaim", "team-a", "fresh");
  ASSERT_FALSE(pvc.is_null());
  EXPECT_EQ(pvc["metadata"]["labels"].value("kopiur.io/restore", ""), "r2");
  EXPECT_EQ(pvc["spec"]["resources"]["requests"].value("storage", ""), "1Gi");
  EXPECT_EQ(pvc["spec"]["accessModes"], json::array({"ReadWriteOnce"}));
  EXPECT_EQ(test::read_file(volumes_dir_ + "/team-a/fresh/v.txt"), "one");
  EXPECT_TRUE(has_event("team-a", "r2", "TargetClaimCreated"));
}

TEST_F(RestoreTest, AMissingSourceIsAwaitedUntilWaitTimeoutThenFails) {
  prepare_repository();
  create_claim("team-a", "restored");
  start();
  create(restore("r3", {{"backupRef", {{"name", "later"}}}}, {{"pvcRef", {{"name", "restored"}}}},
                 {{"waitTimeout", "5m"}, {"onMissingSnapshot", "Fail"}}));
  auto waiting = wait_for("Restore", "team-a", "r3", condition_is("SourceResolved", "False"));
  ASSERT_FALSE(waiting.is_null());
  EXPECT_EQ(waiting["status"].value("phase", ""), "Resolving");
  EXPECT_EQ(condition(waiting, "SourceResolved", "reason"), "WaitingForSource");
  EXPECT_NE(condition(waiting, "SourceResolved", "message").find("team-a/later does not exist"),
            std::string::npos);
  EXPECT_TRUE(phase_gauge_is_1("r3", "Resolving"));

  advance(2min);  // still inside the timeout
  EXPECT_EQ(get("Restore", "team-a", "r3")["status"].value("phase", ""), "Resolving");

  advance(3min + 5s);
  const auto failed = wait_for("Restore", "team-a", "r3", phase_is("Failed"));
  ASSERT_FALSE(failed.is_null());
  EXPECT_EQ(condition(failed, "Ready", "reason"), "SnapshotNotFound");
  EXPECT_NE(condition(failed, "Ready", "message").find("after waiting 5m"), std::string::npos)
      << condition(failed, "Ready", "message");
  EXPECT_TRUE(has_event("team-a", "r3", "SnapshotNotFound"));
  EXPECT_TRUE(phase_gauge_is_1("r3", "Failed"));
  EXPECT_EQ(metric("kopiur_restore_duration_seconds", {{"namespace", "team-a"}, {"name", "r3"}}),
            std::nullopt);
  EXPECT_EQ(list("Job", "team-a", "kopiur.io/job=r3-restore").size(), 0u);
}

TEST_F(RestoreTest, ContinueCompletesWithNothingRestoredAndAnAwaitedSourceIsUsed) {
  prepare_repository();
  const auto target = create_claim("team-a", "restored");
  const auto id = snapshot("late", {{"late.txt", "arrived"}});
  start();

  // No waitTimeout: a missing source is missing at once; Continue completes without a Job.
  create(restore("r4", {{"backupRef", {{"name", "absent"}}}}, {{"pvcRef", {{"name", "restored"}}}},
                 {{"onMissingSnapshot", "Continue"}}));
  const auto skipped = wait_for("Restore", "team-a", "r4", phase_is("Completed"));
  ASSERT_FALSE(skipped.is_null());
  EXPECT_EQ(condition(skipped, "Ready", "reason"), "NothingRestored");
  EXPECT_NE(condition(skipped, "Ready", "message").find("nothing was restored"), std::string::npos);
  EXPECT_FALSE(skipped["status"].contains("resolvedSnapshotID"));
  EXPECT_TRUE(has_event("team-a", "r4", "NothingRestored"));
  EXPECT_EQ(list("Job", "team-a", "kopiur.io/job=r4-restore").size(), 0u);
  EXPECT_EQ(metric("kopiur_restore_duration_seconds", {{"namespace", "team-a"}, {"name", "r4"}}),
            std::nullopt);

  // A source that appears while awaited is restored at the next look.
  create(restore("r5", {{"backupRef", {{"name", "late-1"}}}}, {{"pvcRef", {{"name", "restored"}}}},
                 {{"waitTimeout", "1h"}}));
  ASSERT_FALSE(
      wait_for("Restore", "team-a", "r5", condition_is("SourceResolved", "False")).is_null());
  backup("late-1", "Discovered", id, "2026-11-30T02:00:00Z");
  // Each poll interval the Restore looks again (the controller's Backup cache may lag a look).
  EXPECT_TRUE(test::wait_until(
      [&] {
        wall_.advance(10s);
        clock_.advance(10s);
        return phase_is("Completed")(get("Restore", "team-a", "r5"));
      },
      60s, 200ms));
  const auto done = wait_for("Restore", "team-a", "r5", phase_is("Completed"));
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["status"].value("resolvedSnapshotID", ""), id);
  EXPECT_EQ(test::read_file(target + "/late.txt"), "arrived");
}

TEST_F(RestoreTest, AFailedJobFailsTheRestoreWithItsLogTail) {
  prepare_repository();
  backup("gone", "Succeeded", "0123456789abcdef0123456789abcdef", "2026-11-30T01:00:00Z");
  create_claim("team-a", "restored");
  start();
  create(restore("r6", {{"backupRef", {{"name", "gone"}}}}, {{"pvcRef", {{"name", "restored"}}}}));
  const auto failed = wait_for("Restore", "team-a", "r6", phase_is("Failed"));
  ASSERT_FALSE(failed.is_null());
  // kopia has no such snapshot (the Backup's was deleted behind its back).
  EXPECT_EQ(condition(failed, "Ready", "reason"), "SnapshotNotFound");
  EXPECT_NE(condition(failed, "Ready", "message").find("NotFound"), std::string::npos)
      << condition(failed, "Ready", "message");
  EXPECT_NE(condition(failed, "Ready", "message").find("is no longer in the repository"),
            std::string::npos)
      << condition(failed, "Ready", "message");
  EXPECT_FALSE(failed["status"].value("logTail", "").empty()) << failed["status"].dump();
  EXPECT_TRUE(has_event("team-a", "r6", "SnapshotNotFound"));
  EXPECT_TRUE(phase_gauge_is_1("r6", "Failed"));
  EXPECT_EQ(metric("kopiur_restore_duration_seconds", {{"namespace", "team-a"}, {"name", "r6"}}),
            std::nullopt);
}

TEST_F(RestoreTest, AMissingTargetClaimOrAnInvalidSpecIsAStructuralCondition) {
  prepare_repository();
  backup("data-1", "Succeeded", snapshot("one", {{"a.txt", "alpha"}}), "2026-11-30T01:00:00Z");
  start();
  create(restore("r7", {{"backupRef", {{"name", "data-1"}}}}, {{"pvcRef", {{"name", "nope"}}}}));
  const auto blocked = wait_for("Restore", "team-a", "r7", [](const json& o) {
    return condition_is("Ready", "False")(o) &&
           o["status"]["conditions"].dump().find("TargetClaimNotFound") != std::string::npos;
  });
  ASSERT_FALSE(blocked.is_null());
  EXPECT_EQ(blocked["status"].value("phase", ""), "Resolving");
  EXPECT_NE(condition(blocked, "Ready", "message").find("spec.target.pvcRef"), std::string::npos);

  // A waitTimeout the schema lets through (a string) but that is no duration.
  create(restore("r8", {{"backupRef", {{"name", "absent"}}}}, {{"pvcRef", {{"name", "nope"}}}},
                 {{"waitTimeout", "soon"}}));
  const auto invalid = wait_for("Restore", "team-a", "r8", [](const json& o) {
    return condition_is("Ready", "False")(o) &&
           o["status"]["conditions"].dump().find("InvalidSpec") != std::string::npos;
  });
  ASSERT_FALSE(invalid.is_null());
  EXPECT_NE(condition(invalid, "Ready", "message").find("spec.policy.waitTimeout"),
            std::string::npos)
      << condition(invalid, "Ready", "message");
  EXPECT_EQ(invalid["status"].value("phase", ""), "Resolving");
}

TEST_F(RestoreTest, ASnapshotIdIsRestoredFromTheRepositoryItNames) {
  prepare_repository();
  const auto data = create_claim("team-a", "data");
  std::ofstream(data + "/note.txt") << "by id";
  const auto target = create_claim("team-a", "restored");
  create({{"apiVersion", kApi},
          {"kind", "BackupConfig"},
          {"metadata", {{"name", "cfg"}, {"namespace", "team-a"}}},
          {"spec",
           {{"repository", {{"kind", "Repository"}, {"name", "repo"}}},
            {"sources", {{{"pvc", "data"}}}}}}});
  start();
  // The Repository flow connects first (a Backup waiting for it would retry on the manual clock).
  ASSERT_FALSE(
      wait_for("Repository", "team-a", "repo", condition_is("Connected", "True")).is_null());

  // A real backup first (the Backup flow's Job); the Restore names only its snapshot ID.
  create({{"apiVersion", kApi},
          {"kind", "Backup"},
          {"metadata", {{"name", "b1"}, {"namespace", "team-a"}}},
          {"spec", {{"configRef", {{"name", "cfg"}}}}}});
  const auto backed_up = wait_for("Backup", "team-a", "b1", phase_is("Succeeded"));
  ASSERT_FALSE(backed_up.is_null());
  const std::string id = backed_up["status"]["snapshot"].value("kopiaSnapshotID", "");
  ASSERT_EQ(id.size(), 32u) << backed_up["status"].dump();

  const json by_id = {
      {"snapshot", {{"id", id}, {"repository", {{"kind", "Repository"}, {"name", "repo"}}}}}};
  create(restore("r9", by_id, {{"pvcRef", {{"name", "restored"}}}}));
  const auto done = wait_for("Restore", "team-a", "r9", phase_is("Completed"));
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["status"].value("resolvedSnapshotID", ""), id);
  EXPECT_EQ(condition(done, "SourceResolved", "message"),
            "snapshot " + id + " named by spec.source.snapshot");
  EXPECT_EQ(condition(done, "Ready", "reason"), "Completed");
  EXPECT_EQ(done["status"]["progress"].value("filesRestored", -1), 1) << done["status"].dump();
  EXPECT_EQ(test::read_file(target + "/note.txt"), "by id");
  EXPECT_TRUE(has_event("team-a", "r9", "Restored"));
  EXPECT_EQ(metric("kopiur_restore_duration_seconds", {{"namespace", "team-a"}, {"name", "r9"}}),
            static_cast<double>(done["status"]["timing"].value("durationSeconds", -1)));
  EXPECT_TRUE(phase_gauge_is_1("r9", "Completed"));

  // An ID the repository does not hold: the Job fails and the Restore says which ID to check.
  const std::string wrong = "fedcba9876543210fedcba9876543210";
  create(restore(
      "r10",
      {{"snapshot", {{"id", wrong}, {"repository", {{"kind", "Repository"}, {"name", "repo"}}}}}},
      {{"pvcRef", {{"name", "restored"}}}}));
  const auto failed = wait_for("Restore", "team-a", "r10", phase_is("Failed"));
  ASSERT_FALSE(failed.is_null());
  EXPECT_EQ(condition(failed, "Ready", "reason"), "SnapshotNotFound");
  const auto message = condition(failed, "Ready", "message");
  EXPECT_NE(message.find("snapshot " + wrong +
                         " is not in the repository: check spec.source.snapshot.id"),
            std::string::npos)
      << message;
  EXPECT_TRUE(
      test::wait_until([&] { return has_event("team-a", "r10", "SnapshotNotFound"); }, 10s));
  EXPECT_TRUE(phase_gauge_is_1("r10", "Failed"));
  EXPECT_EQ(metric("kopiur_restore_duration_seconds", {{"namespace", "team-a"}, {"name", "r10"}}),
            std::nullopt);
  EXPECT_EQ(list("Job", "team-a", "kopiur.io/job=r10-restore").size(), 1u);

  // The API server refuses an ID in neither of kopia's forms, naming the field.
  auto refused = client_->create(
      kube::resource_for("Restore"), "team-a",
      restore("r11",
              {{"snapshot",
                {{"id", "latest"}, {"repository", {{"kind", "Repository"}, {"name", "repo"}}}}}},
              {{"pvcRef", {{"name", "restored"}}}}));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().to_string().find("spec.source.snapshot.id"), std::string::npos)
      << refused.error().to_string();
}

// pick_from_config() without a server: ordering, asOf, offset, other configs and namespaces.
TEST(RestoreSource, NewestRestorableNotAfterAsOfSkippingOffset) {
  auto b = [](const std::string& name, const std::string& ns, const std::string& config,
              const std::string& phase, const std::string& at) {
    return std::make_shared<const json>(json{{"metadata", {{"name", name}, {"namespace", ns}}},
                                             {"spec", {{"configRef", {{"name", config}}}}},
                                             {"status",
                                              {{"phase", phase},
                                               {"snapshot", {{"kopiaSnapshotID", "id-" + name}}},
                                               {"timing", {{"completionTime", at}}}}}});
  };
  const std::vector<std::shared_ptr<const json>> all = {
      b("a", "ns", "c", "Succeeded", "2026-01-01T00:00:00Z"),
      b("b", "ns", "c", "Succeeded", "2026-01-03T00:00:00Z"),
      b("c", "ns", "c", "Succeeded", "2026-01-02T00:00:00Z"),
      b("d", "ns", "c", "Running", "2026-01-04T00:00:00Z"),
      b("e", "ns", "x", "Succeeded", "2026-01-05T00:00:00Z"),
      b("f", "other", "c", "Succeeded", "2026-01-06T00:00:00Z")};
  EXPECT_EQ(pick_from_config(all, "ns", "c", std::nullopt, 0).snapshot_id, "id-b");
  EXPECT_EQ(pick_from_config(all, "ns", "c", std::nullopt, 1).snapshot_id, "id-c");
  EXPECT_EQ(pick_from_config(all, "ns", "c", std::nullopt, 2).snapshot_id, "id-a");
  EXPECT_EQ(pick_from_config(all, "ns", "c", parse_rfc3339("2026-01-02T00:00:00Z"), 0).snapshot_id,
            "id-c");
  const auto none = pick_from_config(all, "ns", "c", std::nullopt, 3);
  EXPECT_TRUE(none.snapshot_id.empty());
  EXPECT_TRUE(none.can_appear);
  EXPECT_NE(none.why_not.find("has 3 succeeded Backup(s) (of 4 in all); offset 3"),
            std::string::npos)
      << none.why_not;
  EXPECT_TRUE(pick_from_config(all, "ns", "none", std::nullopt, 0).snapshot_id.empty());

  const json failed = {{"metadata", {{"name", "x"}}}, {"status", {{"phase", "Failed"}}}};
  const auto gone = pick_backup(&failed, "ns", "x");
  EXPECT_FALSE(gone.can_appear);
  const json running = {{"metadata", {{"name", "x"}}}, {"status", {{"phase", "Running"}}}};
  EXPECT_TRUE(pick_backup(&running, "ns", "x").can_appear);
  EXPECT_EQ(pick_backup(nullptr, "ns", "x").why_not, "Backup ns/x does not exist");
}

}  // namespace
}  // namespace kopiur::controller::testing
