// The Backup and BackupConfig flows against the local API server with real mover Jobs (the kopia
// stand-in as kopia): a manual Backup's lifecycle and the config's gauges after each step; fail,
// fail, succeed; deletion under each policy; a controller restart in the middle of a run; bad
// input ending in structural errors.
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "kopiur/api/kinds.hpp"
#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/flows.hpp"

#include "backup_fixture.hpp"
#include "controller/flows/backup_support.hpp"
#include "support/wait.hpp"

namespace kopiur::controller::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST_F(SlowBackupFlowTest, AManualBackupRunsAJobAndItsConfigKeysTheGauges) {
  setup();
  create(config("nightly"));
  auto cfg = wait_for("BackupConfig", kNs, "nightly", condition_is("Ready", "True"));
  ASSERT_FALSE(cfg.is_null());
  EXPECT_EQ(cfg["status"]["resolved"],
            json::parse(R"({"identity":{"hostname":"team-a","username":"nightly"},
                            "sources":[{"pvc":"data","sourcePath":"/pvc/data"}]})"));
  EXPECT_EQ(cfg["status"]["consecutiveFailures"], 0);
  EXPECT_EQ(condition_status(cfg["status"], "RepositoryReachable"), "True");
  EXPECT_TRUE(has_finalizer(cfg, "kopiur.io/metrics-cleanup"));
  // No Backup yet: the failure count is known (0), the figures of a success are not.
  EXPECT_EQ(gauge("consecutive_failures", "nightly"), 0);
  EXPECT_FALSE(gauge("last_success_timestamp_seconds", "nightly"));
  EXPECT_FALSE(gauge("size_bytes", "nightly"));
  EXPECT_FALSE(gauge("duration_seconds", "nightly"));

  create(backup("b1", "nightly"));
  const json running = wait_for("Backup", kNs, "b1", phase_is("Running"));
  ASSERT_FALSE(running.is_null());
  const auto& rs = running["status"];
  EXPECT_EQ(rs["origin"], "manual");
  EXPECT_EQ(rs["job"]["name"], "b1-backup");
  EXPECT_EQ(rs["resolved"], json::parse(R"({"repository":{"kind":"Repository","name":"repo",
      "namespace":"team-a"},"sources":[{"pvc":"data","sourcePath":"/pvc/data"}]})"));
  EXPECT_TRUE(rs["timing"].contains("startTime"));
  EXPECT_EQ(condition_status(rs, "SnapshotCreated"), "False");
  EXPECT_TRUE(has_finalizer(running, kSnapshotFinalizer));
  // The gauge follows the status write the API already shows (it is set when the write returns
  // to the controller): awaited, not raced.
  EXPECT_TRUE(test::wait_until(
      [&] {
        return metric("kopiur_resource_phase", {{"kind", "Backup"},
                                                {"namespace", kNs},
                                                {"name", "b1"},
                                                {"phase", "Running"}}) == 1;
      },
      10s));

  auto done = wait_for("Backup", kNs, "b1", phase_is("Succeeded"));
  ASSERT_FALSE(done.is_null());
  const auto& st = done["status"];
  EXPECT_EQ(st["stats"]["sizeBytes"], 21) << st.dump();
  const std::string id = st["snapshot"].value("kopiaSnapshotID", "");
  EXPECT_FALSE(id.empty());
  EXPECT_TRUE(snapshot_in_repository(id));
  EXPECT_EQ(st["snapshot"]["identity"]["hostname"], "team-a");
  EXPECT_EQ(st["snapshot"]["identity"]["username"], "nightly");
  EXPECT_TRUE(st["timing"].contains("completionTime"));
  EXPECT_GE(st["timing"].value("durationSeconds", -1), 0);
  EXPECT_EQ(condition_status(st, "SnapshotCreated"), "True");
  EXPECT_TRUE(event_seen("b1", "BackupSucceeded"));
  EXPECT_EQ(list("Job", kNs, "kopiur.io/job=b1-backup").size(), 1u);

  cfg = wait_for("BackupConfig", kNs, "nightly", config_status("lastSuccessfulBackup", "b1"));
  ASSERT_FALSE(cfg.is_null());
  EXPECT_EQ(cfg["status"]["lastSuccessTime"], st["timing"]["completionTime"]);
  EXPECT_EQ(gauge("last_success_timestamp_seconds", "nightly"),
            unix_of(st["timing"]["completionTime"]));
  EXPECT_EQ(gauge("size_bytes", "nightly"), 21);
  EXPECT_EQ(gauge("duration_seconds", "nightly"), st["timing"]["durationSeconds"].get<double>());
  EXPECT_EQ(gauge("consecutive_failures", "nightly"), 0);
  // kopia's split: hashed files are new, cached ones unchanged (the stand-in keeps no cache);
  // it cannot tell modified files, so that figure stays absent.
  EXPECT_EQ(st["stats"]["filesNew"], 3);
  EXPECT_EQ(st["stats"]["filesUnchanged"], 0);
  EXPECT_FALSE(st["stats"].contains("filesModified"));
  EXPECT_EQ(gauge("files", "nightly"), 3);
  // Nothing is keyed by the Backup's own name.
  EXPECT_FALSE(gauge("size_bytes", "b1"));
}

TEST_F(BackupFlowTest, SourcePathsFollowTheStrategyAndTheOverride) {
  setup();
  create(config("ns-path", {{"sources", {{{"pvc", "data"}, {"pathStrategy", "PvcNamespacedName"}}}},
                            {"identity", {{"hostname", "h1"}}}}));
  create(config("override", {{"sources", {{{"pvc", "data"}, {"path", "/srv/app/"}}}}}));
  auto a = wait_for("BackupConfig", kNs, "ns-path", condition_is("Ready", "True"));
  auto b = wait_for("BackupConfig", kNs, "override", condition_is("Ready", "True"));
  ASSERT_FALSE(a.is_null());
  ASSERT_FALSE(b.is_null());
  EXPECT_EQ(a["status"]["resolved"]["sources"][0]["sourcePath"], "/pvc/team-a/data");
  EXPECT_EQ(a["status"]["resolved"]["identity"]["hostname"], "h1");
  EXPECT_EQ(a["status"]["resolved"]["identity"]["username"], "ns-path");
  EXPECT_EQ(b["status"]["resolved"]["sources"][0]["sourcePath"], "/srv/app");
  // Several sources: resolved, and the Ready message says only the first is backed up.
  create(config("two", {{"sources", {{{"pvc", "data"}}, {{"pvc", "logs"}}}}}));
  auto two = wait_for("BackupConfig", kNs, "two", condition_is("Ready", "True"));
  ASSERT_FALSE(two.is_null());
  EXPECT_EQ(two["status"]["resolved"]["sources"][1]["sourcePath"], "/pvc/logs");
  EXPECT_NE(two["status"]["conditions"].dump().find("only the first of the 2 sources"),
            std::string::npos)
      << two["status"].dump();
  // The override path is where the Job mounts the claim, and the snapshot's source.
  auto done = run_backup("o1", "override");
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["status"]["resolved"]["sources"][0]["sourcePath"], "/srv/app");
  EXPECT_EQ(done["status"]["stats"]["sizeBytes"], 21);
}

TEST_F(BackupFlowTest, FailFailSucceedCountsConsecutiveFailuresThenResets) {
  setup();
  create(config("cfg"));
  ASSERT_FALSE(wait_for("BackupConfig", kNs, "cfg", condition_is("Ready", "True")).is_null());
  // A first success creates the repository (with the right password).
  auto s0 = run_backup("s0", "cfg");
  ASSERT_FALSE(s0.is_null());
  ASSERT_FALSE(
      wait_for("BackupConfig", kNs, "cfg", config_status("lastSuccessfulBackup", "s0")).is_null());
  EXPECT_EQ(gauge("consecutive_failures", "cfg"), 0);
  const auto s0_end = unix_of(s0["status"]["timing"]["completionTime"]);
  {
    set_password(false);
    auto f1 = run_backup("f1", "cfg", "Failed");
    ASSERT_FALSE(f1.is_null());
    EXPECT_FALSE(f1["status"].value("logTail", "").empty()) << f1["status"].dump();
    EXPECT_EQ(condition_status(f1["status"], "SnapshotCreated"), "False");
    EXPECT_TRUE(f1["status"]["timing"].contains("completionTime"));
    EXPECT_FALSE(f1["status"].contains("snapshot"));
    EXPECT_EQ(f1["status"]["conditions"][0]["reason"], "AuthFailure");
    EXPECT_TRUE(event_seen("f1", "BackupFailed"));
    ASSERT_FALSE(
        wait_for("BackupConfig", kNs, "cfg", config_status("consecutiveFailures", 1)).is_null());
    EXPECT_EQ(gauge("consecutive_failures", "cfg"), 1);
    // The figures stay those of the newest success.
    EXPECT_EQ(gauge("last_success_timestamp_seconds", "cfg"), s0_end);
    EXPECT_EQ(gauge("size_bytes", "cfg"), 21);

    ASSERT_FALSE(run_backup("f2", "cfg", "Failed").is_null());
    ASSERT_FALSE(
        wait_for("BackupConfig", kNs, "cfg", config_status("consecutiveFailures", 2)).is_null());
    EXPECT_EQ(gauge("consecutive_failures", "cfg"), 2);
    EXPECT_EQ(metric("kopiur_resource_phase",
                     {{"kind", "Backup"}, {"namespace", kNs}, {"name", "f2"}, {"phase", "Failed"}}),
              1);
    set_password(true);
  }
  // Made by a schedule (its label): origin scheduled.
  auto s3 = run_backup("s3", "cfg", "Succeeded", json::object(),
                       {{"labels", {{"kopiur.io/schedule", "hourly"}}}});
  ASSERT_FALSE(s3.is_null());
  EXPECT_EQ(s3["status"]["origin"], "scheduled");
  auto cfg = wait_for("BackupConfig", kNs, "cfg", config_status("lastSuccessfulBackup", "s3"));
  ASSERT_FALSE(cfg.is_null());
  EXPECT_EQ(cfg["status"]["consecutiveFailures"], 0);
  EXPECT_EQ(gauge("consecutive_failures", "cfg"), 0);
  EXPECT_EQ(gauge("last_success_timestamp_seconds", "cfg"),
            unix_of(s3["status"]["timing"]["completionTime"]));
  EXPECT_EQ(gauge("size_bytes", "cfg"), 21);
}

TEST_F(BackupFlowTest, DeletionFollowsThePolicy) {
  setup();
  create(config("cfg"));
  ASSERT_FALSE(wait_for("BackupConfig", kNs, "cfg", condition_is("Ready", "True")).is_null());
  const std::map<std::string, std::string> ns_label = {{"namespace", kNs}};

  // Delete (the default): a snapshot-delete Job removes the snapshot, then the finalizer goes.
  auto del = run_backup("del", "cfg");
  ASSERT_FALSE(del.is_null());
  const std::string del_id = del["status"]["snapshot"]["kopiaSnapshotID"];
  ASSERT_TRUE(snapshot_in_repository(del_id));
  ASSERT_TRUE(remove("Backup", kNs, "del"));
  ASSERT_TRUE(wait_gone("Backup", kNs, "del"));
  EXPECT_FALSE(snapshot_in_repository(del_id));
  EXPECT_TRUE(event_seen("del", "SnapshotDeleted"));
  EXPECT_FALSE(metric("kopiur_orphaned_snapshots_total", ns_label));

  // Orphan: the snapshot stays and is counted, once.
  auto orphan = run_backup("orphan", "cfg", "Succeeded", {{"deletionPolicy", "Orphan"}});
  ASSERT_FALSE(orphan.is_null());
  const std::string orphan_id = orphan["status"]["snapshot"]["kopiaSnapshotID"];
  ASSERT_TRUE(remove("Backup", kNs, "orphan"));
  ASSERT_TRUE(wait_gone("Backup", kNs, "orphan"));
  EXPECT_TRUE(snapshot_in_repository(orphan_id));
  // The counter follows the finalizer removal the object's disappearance shows.
  EXPECT_TRUE(test::wait_until(
      [&] { return metric("kopiur_orphaned_snapshots_total", ns_label) == 1; }, 10s))
      << scrape();

  // The skip-cleanup annotation overrides Delete, and counts as orphaned too.
  auto skip = run_backup("skip", "cfg", "Succeeded", json::object(),
                         {{"annotations", {{"kopiur.io/skip-cleanup", "true"}}}});
  ASSERT_FALSE(skip.is_null());
  ASSERT_TRUE(remove("Backup", kNs, "skip"));
  ASSERT_TRUE(wait_gone("Backup", kNs, "skip"));
  EXPECT_TRUE(snapshot_in_repository(skip["status"]["snapshot"]["kopiaSnapshotID"]));
  // The counter follows the finalizer removal the object's disappearance shows.
  EXPECT_TRUE(test::wait_until(
      [&] { return metric("kopiur_orphaned_snapshots_total", ns_label) == 2; }, 10s))
      << scrape();

  // Retain (here the config's default): kept, not counted as orphaned.
  patch("BackupConfig", kNs, "cfg", {{"spec", {{"defaultDeletionPolicy", "Retain"}}}});
  auto keep = run_backup("keep", "cfg");
  ASSERT_FALSE(keep.is_null());
  ASSERT_TRUE(remove("Backup", kNs, "keep"));
  ASSERT_TRUE(wait_gone("Backup", kNs, "keep"));
  EXPECT_TRUE(snapshot_in_repository(keep["status"]["snapshot"]["kopiaSnapshotID"]));
  EXPECT_EQ(metric("kopiur_orphaned_snapshots_total", ns_label), 2);
  EXPECT_FALSE(metric("kopiur_snapshot_deletion_failures_total", ns_label));
}

TEST_F(BackupFlowTest, AFailedSnapshotDeletionIsCountedAnnouncedAndRetriedWithBackoff) {
  setup();
  create(config("cfg"));
  auto b = run_backup("b", "cfg");
  ASSERT_FALSE(b.is_null());
  const std::string id = b["status"]["snapshot"]["kopiaSnapshotID"];
  const std::map<std::string, std::string> ns_label = {{"namespace", kNs}};
  {
    set_password(false);
    ASSERT_TRUE(remove("Backup", kNs, "b"));
    auto failing = wait_for("Backup", kNs, "b", condition_is("SnapshotDeleted", "False"));
    ASSERT_FALSE(failing.is_null());
    EXPECT_EQ(failing["status"]["phase"], "Deleting");
    EXPECT_EQ(failing["status"]["job"]["attempts"], 1);
    set_password(true);
  }
  EXPECT_EQ(metric("kopiur_snapshot_deletion_failures_total", ns_label), 1);
  const bool hint = test::wait_until(
      [&] {
        for (const auto& e : events_for(kNs, "b")) {
          if (e.value("reason", "") == "SnapshotDeletionFailed" &&
              e.value("note", e.value("message", "")).find("kopiur.io/skip-cleanup=true") !=
                  std::string::npos) {
            return true;
          }
        }
        return false;
      },
      10s, 20ms);
  EXPECT_TRUE(hint) << events_for(kNs, "b").dump();
  EXPECT_TRUE(snapshot_in_repository(id));
  // The failed Job is deleted; the Backup waits out the backoff.
  EXPECT_TRUE(wait_gone("Job", kNs, "b-delete"));
  EXPECT_TRUE(get("Backup", kNs, "b").is_object());

  // After the backoff (both clocks: the wall clock the backoff is measured on, the steady clock
  // of the requeue timer) the retry deletes the snapshot and the Backup goes.
  wall_.advance(1min);
  clock_.advance(1min);
  ASSERT_TRUE(wait_gone("Backup", kNs, "b"));
  EXPECT_FALSE(snapshot_in_repository(id));
  EXPECT_EQ(metric("kopiur_snapshot_deletion_failures_total", ns_label), 1);
  EXPECT_FALSE(metric("kopiur_orphaned_snapshots_total", ns_label));
}

TEST_F(SlowBackupFlowTest, ARestartDuringARunNeitherDuplicatesTheJobNorLosesTheResult) {
  setup();
  create(config("cfg"));
  ASSERT_FALSE(wait_for("BackupConfig", kNs, "cfg", condition_is("Ready", "True")).is_null());
  create(backup("r1", "cfg"));
  ASSERT_FALSE(wait_for("Backup", kNs, "r1", phase_is("Running")).is_null());
  restart();
  auto done = wait_for("Backup", kNs, "r1", phase_is("Succeeded"));
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(list("Job", kNs, "kopiur.io/job=r1-backup").size(), 1u);
  EXPECT_EQ(done["status"]["job"]["attempts"], 1);
  EXPECT_EQ(done["status"]["stats"]["sizeBytes"], 21);
  const auto completed = unix_of(done["status"]["timing"]["completionTime"]);
  ASSERT_FALSE(
      wait_for("BackupConfig", kNs, "cfg", config_status("lastSuccessfulBackup", "r1")).is_null());
  EXPECT_EQ(gauge("last_success_timestamp_seconds", "cfg"), completed);

  // A second restart starts from empty metrics: the config's first reconcile reseeds them from
  // the Backups in the cluster.
  restart();
  EXPECT_TRUE(test::wait_until(
      [&] { return gauge("last_success_timestamp_seconds", "cfg") == completed; }, 30s, 20ms))
      << scrape();
  EXPECT_EQ(gauge("size_bytes", "cfg"), 21);
  EXPECT_EQ(gauge("consecutive_failures", "cfg"), 0);
  EXPECT_EQ(gauge("duration_seconds", "cfg"),
            done["status"]["timing"]["durationSeconds"].get<double>());
  EXPECT_EQ(list("Job", kNs, "kopiur.io/job=r1-backup").size(), 1u);
}

// The pid of the Job's running mover container (the local kubelet's container id is
// localkube://<pid>.<start ticks>), or -1 while none runs.
pid_t running_mover_pid(const json& pods) {
  for (const auto& pod : pods) {
    for (const auto& cs :
         pod.value("status", json::object()).value("containerStatuses", json::array())) {
      if (!cs.value("state", json::object()).contains("running")) continue;
      const std::string id = cs.value("containerID", "");
      const std::string prefix = "localkube://";
      if (id.rfind(prefix, 0) == 0) return static_cast<pid_t>(std::stol(id.substr(prefix.size())));
    }
  }
  return -1;
}

// The mover process itself SIGKILLed mid-backup (OOM killer, node drain without grace): it
// writes no result, the pod ends terminated 137/signal 9 and the Job Failed. The Backup must
// end Failed saying so, count as a failure, announce it, and not stand in the way of the next.
TEST_F(SlowBackupFlowTest, AMoverKilledMidBackupFailsTheBackupAndTheNextOneSucceeds) {
  setup();
  create(config("cfg"));
  ASSERT_FALSE(wait_for("BackupConfig", kNs, "cfg", condition_is("Ready", "True")).is_null());
  EXPECT_EQ(gauge("consecutive_failures", "cfg"), 0);
  create(backup("k1", "cfg"));
  ASSERT_FALSE(wait_for("Backup", kNs, "k1", phase_is("Running")).is_null());
  pid_t pid = -1;
  ASSERT_TRUE(test::wait_until(
      [&] { return (pid = running_mover_pid(list("Pod", kNs, "kopiur.io/job=k1-backup"))) > 0; },
      10s, 10ms))
      << list("Pod", kNs, "kopiur.io/job=k1-backup").dump();
  // Killed once it has logged (the pod's termination message is then its log's tail, as
  // FallbackToLogsOnError makes it) and kopia runs under it.
  const json pod = list("Pod", kNs, "kopiur.io/job=k1-backup").at(0);
  const auto log = fs::path(tmp_.file("pods")) /
                   (std::string(kNs) + "_" + pod["metadata"].value("name", "") + "_" +
                    pod["metadata"].value("uid", "")) /
                   "mover.log";
  ASSERT_TRUE(test::wait_until(
      [&] {
        return test::read_file(log.string()).find("mover operation starting") != std::string::npos;
      },
      10s, 10ms))
      << test::read_file(log.string());
  ASSERT_EQ(::kill(pid, SIGKILL), 0) << std::strerror(errno);

  auto failed = wait_for("Backup", kNs, "k1", phase_is("Failed"), 30s);
  ASSERT_FALSE(failed.is_null()) << list("Job", kNs, "kopiur.io/job=k1-backup").dump() << "\n"
                                 << list("Pod", kNs, "kopiur.io/job=k1-backup").dump();
  const auto& st = failed["status"];
  EXPECT_EQ(condition(failed, "SnapshotCreated", "status"), "False");
  EXPECT_EQ(condition(failed, "SnapshotCreated", "reason"), "MoverKilled") << st.dump();
  const std::string message = condition(failed, "SnapshotCreated", "message");
  EXPECT_NE(message.find("was killed by SIGKILL (signal 9, exit code 137"), std::string::npos)
      << message;
  EXPECT_NE(message.find("mover operation starting"), std::string::npos) << message;  // its log
  EXPECT_NE(message.find("k1-backup"), std::string::npos) << message;
  EXPECT_TRUE(st["timing"].contains("completionTime")) << st.dump();
  EXPECT_EQ(st["job"]["attempts"], 1);
  EXPECT_FALSE(st.contains("snapshot"));
  EXPECT_NE(st.value("logTail", "").find("mover operation starting"), std::string::npos);
  EXPECT_GE(st["timing"].value("durationSeconds", -1), 0) << st.dump();
  EXPECT_TRUE(test::wait_until(
      [&] {
        for (const auto& e : events_for(kNs, "k1")) {
          if (e.value("reason", "") == "BackupFailed" && e.value("type", "") == "Warning" &&
              e.value("note", e.value("message", "")).find("killed by SIGKILL") !=
                  std::string::npos) {
            return true;
          }
        }
        return false;
      },
      10s, 20ms))
      << events_for(kNs, "k1").dump();
  ASSERT_FALSE(
      wait_for("BackupConfig", kNs, "cfg", config_status("consecutiveFailures", 1)).is_null());
  EXPECT_EQ(gauge("consecutive_failures", "cfg"), 1);
  EXPECT_EQ(metric("kopiur_resource_phase",
                   {{"kind", "Backup"}, {"namespace", kNs}, {"name", "k1"}, {"phase", "Failed"}}),
            1);

  // The next Backup of the same config runs in full and resets the count.
  create(backup("k2", "cfg"));
  auto next = wait_for("Backup", kNs, "k2", phase_is("Succeeded"));
  ASSERT_FALSE(next.is_null());
  EXPECT_EQ(next["status"]["stats"]["sizeBytes"], 21);
  ASSERT_FALSE(
      wait_for("BackupConfig", kNs, "cfg", config_status("lastSuccessfulBackup", "k2")).is_null());
  EXPECT_EQ(gauge("consecutive_failures", "cfg"), 0);
  EXPECT_EQ(phase_of_status(get("Backup", kNs, "k1")), "Failed");
}

TEST_F(BackupFlowTest, AMissingConfigIsAStructuralErrorWithoutAHotLoop) {
  setup();
  create(backup("lost", "nope"));
  auto pending = wait_for("Backup", kNs, "lost", condition_is("SnapshotCreated", "False"));
  ASSERT_FALSE(pending.is_null());
  EXPECT_EQ(pending["status"]["phase"], "Pending");
  const std::string message = pending["status"]["conditions"][0].value("message", "");
  EXPECT_NE(message.find("spec.configRef"), std::string::npos) << message;
  EXPECT_TRUE(event_seen("lost", "ConfigNotFound"));
  const auto errors = [&] {
    return metric("kopiur_controller_reconcile_errors_total",
                  {{"kind", "Backup"}, {"class", "structural"}})
        .value_or(0);
  };
  const double before = errors();
  EXPECT_GE(before, 1);
  // A barrier: another Backup's whole run. Meanwhile the failing one waits out its backoff.
  create(config("cfg"));
  ASSERT_FALSE(run_backup("other", "cfg").is_null());
  EXPECT_LE(errors(), before + 1);  // at most the requeue its finalizer write caused
  EXPECT_EQ(phase_of_status(get("Backup", kNs, "lost")), "Pending");

  // Fixing the reference (a spec change requeues at once) runs the backup.
  patch("Backup", kNs, "lost", {{"spec", {{"configRef", {{"name", "cfg"}}}}}});
  ASSERT_FALSE(wait_for("Backup", kNs, "lost", phase_is("Succeeded")).is_null());

  // A Backup that never got a snapshot just loses its finalizer.
  create(backup("never", "nope"));
  ASSERT_FALSE(
      wait_for("Backup", kNs, "never", condition_is("SnapshotCreated", "False")).is_null());
  ASSERT_TRUE(remove("Backup", kNs, "never"));
  EXPECT_TRUE(wait_gone("Backup", kNs, "never"));
}

TEST_F(BackupFlowTest, UnsupportedSourcesAndInvalidConfigsAreStructuralErrorsNamingTheField) {
  setup();
  create(config("nfs", {{"sources", {{{"nfs", {{"server", "nas"}, {"path", "/export"}}}}}}}));
  auto cfg = wait_for("BackupConfig", kNs, "nfs", condition_is("Ready", "False"));
  ASSERT_FALSE(cfg.is_null());
  std::string message;
  for (const auto& c : cfg["status"]["conditions"]) {
    if (c["type"] == "Ready") message = c.value("message", "");
  }
  EXPECT_NE(message.find("spec.sources[0].nfs"), std::string::npos) << message;
  EXPECT_EQ(gauge("consecutive_failures", "nfs"), 0);
  create(backup("n1", "nfs"));
  auto pending = wait_for("Backup", kNs, "n1", condition_is("SnapshotCreated", "False"));
  ASSERT_FALSE(pending.is_null());
  EXPECT_EQ(pending["status"]["conditions"][0]["reason"], "SourceNotSupported");

  // A cached spec the API types reject (written while the webhook was down): the reconcile ends
  // in InvalidSpec with a Ready=False condition, never an exception.
  json bad = get("BackupConfig", kNs, "nfs");
  bad["spec"]["sources"] = "data";
  ReconcileContext context("BackupConfig", std::make_shared<const json>(bad), {});
  const auto result = flows::backup_config(*env_, context);
  const auto* error = std::get_if<ReconcileError>(&result);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->reason, "InvalidSpec");
  EXPECT_EQ(error->error_class, ErrorClass::kStructural);
  EXPECT_NE(error->note.find("spec.sources"), std::string::npos) << error->note;
  ASSERT_TRUE(context.reported_status().has_value());
  EXPECT_EQ(condition_status(*context.reported_status(), "Ready"), "False");

  // The same for a Backup.
  json bad_backup = get("Backup", kNs, "n1");
  bad_backup["spec"]["deletionPolicy"] = "Sometimes";
  ReconcileContext backup_context("Backup", std::make_shared<const json>(bad_backup), {});
  const auto backup_result = flows::backup(*env_, backup_context);
  const auto* backup_error = std::get_if<ReconcileError>(&backup_result);
  ASSERT_NE(backup_error, nullptr);
  EXPECT_EQ(backup_error->reason, "InvalidSpec");
  EXPECT_NE(backup_error->note.find("spec.deletionPolicy"), std::string::npos)
      << backup_error->note;
  auto written = get("Backup", kNs, "n1");
  EXPECT_NE(written["status"]["conditions"].dump().find("InvalidSpec"), std::string::npos)
      << written.dump();
}

// A finished Backup without a BackupConfig (none runs without one; such a status comes from
// elsewhere) keys the gauges by its own name, and takes them along when deleted. The runtime is
// stopped so that only these direct calls write the object.
TEST_F(BackupFlowTest, ABackupWithoutConfigKeysItsGaugesByItsOwnName) {
  start();
  runtime_->stop();
  create(backup("solo", ""));
  patch("Backup", kNs, "solo", {{"spec", {{"configRef", nullptr}}}});
  auto done = client_->patch_status(kube::resource_for("Backup"), kNs, "solo",
                                    json::parse(R"({"status":{"phase":"Succeeded","origin":"manual",
          "stats":{"sizeBytes":42,"filesNew":2,"filesUnchanged":1},
          "timing":{"startTime":"2026-01-01T00:00:00Z","completionTime":"2026-01-01T00:00:07Z",
                    "durationSeconds":7}}})"),
                                    kube::PatchType::kMerge);
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  auto reconcile = [&] {
    ReconcileContext context("Backup", std::make_shared<const json>(get("Backup", kNs, "solo")),
                             {});
    return flows::backup(*env_, context);
  };
  ASSERT_TRUE(std::holds_alternative<Action>(reconcile()));
  EXPECT_EQ(gauge("size_bytes", "solo"), 42);
  EXPECT_EQ(gauge("files", "solo"), 3);
  EXPECT_EQ(gauge("duration_seconds", "solo"), 7);
  EXPECT_EQ(gauge("last_success_timestamp_seconds", "solo"), 1767225607);
  ASSERT_TRUE(has_finalizer(get("Backup", kNs, "solo"), kSnapshotFinalizer));

  ASSERT_TRUE(remove("Backup", kNs, "solo"));
  ASSERT_TRUE(std::holds_alternative<Action>(reconcile()));  // no snapshot: the finalizer goes
  EXPECT_TRUE(wait_gone("Backup", kNs, "solo"));
  EXPECT_FALSE(gauge("size_bytes", "solo"));
  EXPECT_FALSE(gauge("last_success_timestamp_seconds", "solo"));
}

TEST_F(BackupFlowTest, DeletingAConfigRemovesItsSeries) {
  setup();
  create(config("gone"));
  ASSERT_FALSE(run_backup("g1", "gone").is_null());
  ASSERT_TRUE(test::wait_until([&] { return gauge("size_bytes", "gone") == 21; }, 30s, 20ms));
  ASSERT_TRUE(remove("BackupConfig", kNs, "gone"));
  ASSERT_TRUE(wait_gone("BackupConfig", kNs, "gone"));
  EXPECT_TRUE(test::wait_until(
      [&] { return !gauge("size_bytes", "gone") && !gauge("consecutive_failures", "gone"); }, 10s,
      20ms))
      << scrape();
  EXPECT_FALSE(gauge("last_success_timestamp_seconds", "gone"));
}

// ---- the shared pieces, without a cluster ------------------------------------------------------

json finished(const std::string& name, const std::string& phase, const std::string& completed,
              const std::string& created = "2026-01-01T00:00:00Z") {
  json b = {{"metadata", {{"name", name}, {"creationTimestamp", created}}},
            {"status", {{"phase", phase}}}};
  if (!completed.empty()) b["status"]["timing"]["completionTime"] = completed;
  return b;
}

TEST(BackupSummary, FailuresCountNewestFirstUntilTheNewestSuccess) {
  using backup_detail::summarize_backups;
  // Listed in no particular order; a run without completion time orders by creation time.
  const auto s = summarize_backups({
      finished("old-fail", "Failed", "2026-01-01T01:00:00Z"),
      finished("ok", "Succeeded", "2026-01-01T02:00:00.5Z"),
      finished("running", "Running", ""),
      finished("fail-b", "Failed", "", "2026-01-01T04:00:00Z"),
      finished("fail-a", "Failed", "2026-01-01T02:00:00.7Z"),
      finished("older-ok", "Succeeded", "2026-01-01T00:30:00Z"),
  });
  EXPECT_EQ(s.consecutive_failures, 2);
  ASSERT_TRUE(s.newest_success.has_value());
  EXPECT_EQ(name_of(*s.newest_success), "ok");

  const auto none = summarize_backups({finished("f", "Failed", "2026-01-01T01:00:00Z")});
  EXPECT_EQ(none.consecutive_failures, 1);
  EXPECT_FALSE(none.newest_success.has_value());
  EXPECT_EQ(summarize_backups({}).consecutive_failures, 0);
}

json config_object(const json& spec) {
  return {{"apiVersion", kApi},
          {"kind", "BackupConfig"},
          {"metadata", {{"name", "app"}, {"namespace", "ns1"}}},
          {"spec", spec}};
}

TEST(BackupConfigResolution, IdentityAndSourcePathsFollowTheSpec) {
  using backup_detail::ResolvedConfig;
  const json repo = {{"kind", "ClusterRepository"}, {"name", "shared"}};
  const json cluster = {{"spec",
                         {{"identityDefaults",
                           {{"hostnameTemplate", "{{ .Namespace }}-h"},
                            {"usernameTemplate", "{{.ConfigName}}-u"}}}}}};
  auto r = backup_detail::resolve_config(
      config_object({{"repository", repo},
                     {"sources",
                      {{{"pvc", "a"}},
                       {{"pvc", "b"}, {"pathStrategy", "PvcNamespacedName"}},
                       {{"pvc", "c"}, {"path", "/x/y/"}}}}}),
      cluster);
  ASSERT_TRUE(std::holds_alternative<ResolvedConfig>(r)) << std::get<ReconcileError>(r).note;
  const auto& c = std::get<ResolvedConfig>(r);
  EXPECT_EQ(c.hostname, "ns1-h");
  EXPECT_EQ(c.username, "app-u");
  ASSERT_EQ(c.sources.size(), 3u);
  EXPECT_EQ(c.sources[0].source_path, "/pvc/a");
  EXPECT_EQ(c.sources[1].source_path, "/pvc/ns1/b");
  EXPECT_EQ(c.sources[2].source_path, "/x/y");

  // The config's own identity wins over the ClusterRepository's templates.
  r = backup_detail::resolve_config(config_object({{"repository", repo},
                                                   {"identity", {{"username", "me"}}},
                                                   {"sources", {{{"pvc", "a"}}}}}),
                                    cluster);
  ASSERT_TRUE(std::holds_alternative<ResolvedConfig>(r));
  EXPECT_EQ(std::get<ResolvedConfig>(r).username, "me");
  EXPECT_EQ(std::get<ResolvedConfig>(r).hostname, "ns1-h");
}

TEST(BackupConfigResolution, BadSpecsAreStructuralErrorsNamingTheField) {
  const json repo = {{"kind", "Repository"}, {"name", "r"}};
  auto error_of = [](const json& spec) {
    auto r = backup_detail::resolve_config(config_object(spec));
    EXPECT_TRUE(std::holds_alternative<ReconcileError>(r)) << spec.dump();
    return std::holds_alternative<ReconcileError>(r) ? std::get<ReconcileError>(r)
                                                     : ReconcileError{};
  };
  auto e = error_of({{"repository", repo}, {"sources", {{{"pvcSelector", json::object()}}}}});
  EXPECT_EQ(e.reason, "SourceNotSupported");
  EXPECT_EQ(e.error_class, ErrorClass::kStructural);
  EXPECT_NE(e.note.find("spec.sources[0].pvcSelector"), std::string::npos) << e.note;
  e = error_of({{"repository", repo}, {"sources", {{{"pvc", "a"}, {"path", "rel/dir"}}}}});
  EXPECT_NE(e.note.find("spec.sources[0].path must be an absolute path"), std::string::npos)
      << e.note;
  e = error_of({{"repository", repo}, {"sources", json::array()}});
  EXPECT_EQ(e.reason, "InvalidSpec");
  EXPECT_NE(e.note.find("spec.sources"), std::string::npos) << e.note;
  e = error_of({{"sources", {{{"pvc", "a"}}}}});
  EXPECT_EQ(e.reason, "InvalidSpec");
  EXPECT_NE(e.note.find("spec.repository"), std::string::npos) << e.note;
}

}  // namespace
}  // namespace kopiur::controller::testing
