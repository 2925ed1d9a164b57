// The Maintenance flow against the local API server with real mover Jobs, driven by the
// ManualWallClock (schedules) and the ManualClock (requeue timers), advanced together: quick and
// full runs fire at their scheduled times, the full run's reclaimed bytes reach the status and
// kopiur_maintenance_last_reclaimed_bytes exactly, runs missed while the controller was down are
// made up by one run, a time zone moves the schedule, failures count up and reset, both modes due
// at once run one after the other, and a repository that is missing keeps the Maintenance not
// Ready.
#include <filesystem>
#include <fstream>
#include <map>

#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/mover_runs.hpp"

#include "flow_fixture.hpp"
#include "standin.hpp"
#include "support/wait.hpp"

namespace kopiur::controller::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

class MaintenanceTest : public FlowTest {
 protected:
  void SetUp() override {
    FlowTest::SetUp();
    wall_.set(*parse_rfc3339("2026-12-01T09:50:00Z"));
  }

  void prepare_repository(const std::string& secret_password = "s3cret-pass") {
    create_password_secret("team-a", "repo-pass", secret_password);
    repo_dir_ = dir("repo");
    kopia({"repository", "create", "filesystem", "--path=" + repo_dir_});
    create(repository("team-a", "repo", repo_dir_));
    make_ready_repository(*client_, "team-a", "repo");
  }

  std::string kopia(const std::vector<std::string>& args) {
    return standin(tmp_.file("kopia.config"), tmp_.file("kopia.stderr"), args);
  }

  // Blob files of the repository and their sizes.
  std::map<std::string, std::uintmax_t> blobs() {
    std::map<std::string, std::uintmax_t> out;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(repo_dir_) / "blobs")) {
      if (e.is_regular_file()) out[e.path().string()] = e.file_size();
    }
    return out;
  }

  static json maintenance(const std::string& name, const std::string& repo,
                          const std::string& quick, const std::string& full,
                          const std::string& timezone) {
    json schedule = {{"quick", {{"cron", quick}}}, {"full", {{"cron", full}}}};
    if (!timezone.empty()) schedule["timezone"] = timezone;
    return {{"apiVersion", kApi},
            {"kind", "Maintenance"},
            {"metadata", {{"name", name}, {"namespace", "team-a"}}},
            {"spec",
             {{"repository", {{"kind", "Repository"}, {"name", repo}}},
              {"ownership", {{"owner", "kopiur@team-a"}}},
              {"schedule", schedule}}}};
  }

  // Advances both clocks (the schedule's wall clock and the requeue timers) by `by`, then waits
  // until Maintenance `name` satisfies `until` and returns it. A reconcile may hand its requeue
  // to the runtime only after the test has advanced the clock (its status is written first), so
  // while waiting the requeue clock alone moves on: that only makes timers fire, the wall clock
  // the flow reads stays where the test put it.
  json advance_until(std::chrono::seconds by, const std::string& name, const Predicate& until) {
    wall_.advance(by);
    clock_.advance(by);
    json seen;
    const bool ok = test::wait_until(
        [&] {
          seen = get("Maintenance", "team-a", name);
          if (!seen.is_null() && until(seen)) return true;
          clock_.advance(by);
          return false;
        },
        60s, 100ms);
    EXPECT_TRUE(ok) << "Maintenance " << name << " last seen: " << seen.dump();
    return ok ? seen : json();
  }

  static Predicate run_is(const std::string& mode, const std::string& field, const json& value) {
    return [=](const json& o) {
      const auto run = o.value("status", json::object()).value(mode, json::object());
      return run.is_object() && run.contains(field) && run[field] == value;
    };
  }

  static std::string ready(const json& o, const std::string& field) {
    for (const auto& c : o["status"].value("conditions", json::array())) {
      if (c.value("type", "") == "Ready") return c.value(field, "");
    }
    return "";
  }

  std::optional<double> reclaimed(const std::string& name) {
    return metric("kopiur_maintenance_last_reclaimed_bytes",
                  {{"namespace", "team-a"}, {"name", name}});
  }

  std::string repo_dir_;
};

TEST_F(MaintenanceTest, QuickAndFullRunAtTheirTimesAndTheFullRunReportsReclaimedBytes) {
  prepare_repository();
  // A snapshot deleted again leaves unreferenced blobs; backdated past the one-hour safety
  // margin, a full run deletes them.
  const auto source = dir("src");
  for (int i = 0; i < 3; ++i) {
    std::ofstream(fs::path(source) / ("f" + std::to_string(i))) << std::string(5000 + i, 'x');
  }
  const auto id = json::parse(kopia({"snapshot", "create", source, "--json"})).value("id", "");
  ASSERT_FALSE(id.empty());
  kopia({"snapshot", "delete", id, "--delete"});
  const auto before = blobs();
  ASSERT_FALSE(before.empty());
  for (const auto& [path, size] : before) {
    fs::last_write_time(path, fs::file_time_type::clock::now() - 2h);
  }
  start();

  create(maintenance("m1", "repo", "0 * * * *", "30 10 * * *", "UTC"));
  auto m = wait_for("Maintenance", "team-a", "m1", condition_is("Ready", "True"));
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["status"]["quick"].value("nextScheduledAt", ""), "2026-12-01T10:00:00Z");
  EXPECT_EQ(m["status"]["full"].value("nextScheduledAt", ""), "2026-12-01T10:30:00Z");
  EXPECT_EQ(m["status"]["ownership"],
            json({{"owner", "kopiur@team-a"}, {"claimedAt", "2026-12-01T09:50:00Z"}}));
  EXPECT_EQ(ready(m, "reason"), "Scheduled");
  EXPECT_EQ(list("Job", "team-a", "kopiur.io/kind=Maintenance").size(), 0u);
  EXPECT_EQ(reclaimed("m1"), std::nullopt);

  // 10:00: the quick run.
  m = advance_until(10min, "m1", run_is("quick", "nextScheduledAt", "2026-12-01T11:00:00Z"));
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["status"]["quick"].value("lastRunAt", ""), "2026-12-01T10:00:00Z");
  EXPECT_EQ(m["status"]["quick"].value("consecutiveFailures", -1), 0);
  EXPECT_FALSE(m["status"]["quick"].contains("lastContentReclaimedBytes"));
  EXPECT_FALSE(m["status"]["full"].contains("lastRunAt"));
  const std::string quick_job = mover_job_name("m1", "quick-1796119200");
  const auto job = get("Job", "team-a", quick_job);
  ASSERT_FALSE(job.is_null()) << "the quick run's Job is " << quick_job;
  EXPECT_EQ(job["metadata"]["labels"].value("kopiur.io/operation", ""), "maintenance");
  EXPECT_TRUE(has_event("team-a", "m1", "MaintenanceSucceeded"));
  EXPECT_EQ(blobs(), before);  // quick maintenance deletes no blobs
  EXPECT_EQ(reclaimed("m1"), std::nullopt);

  // 10:30: the full run deletes the backdated unreferenced blobs.
  m = advance_until(30min, "m1", run_is("full", "nextScheduledAt", "2026-12-02T10:30:00Z"));
  ASSERT_FALSE(m.is_null());
  const auto after = blobs();
  std::int64_t freed = 0;
  for (const auto& [path, size] : before) {
    if (!after.contains(path)) freed += static_cast<std::int64_t>(size);
  }
  EXPECT_GT(freed, 0);
  EXPECT_EQ(m["status"]["full"].value("lastRunAt", ""), "2026-12-01T10:30:00Z");
  EXPECT_EQ(m["status"]["full"].value("consecutiveFailures", -1), 0);
  EXPECT_EQ(m["status"]["full"].value("lastContentReclaimedBytes", std::int64_t{-1}), freed);
  EXPECT_EQ(reclaimed("m1"), static_cast<double>(freed));
  EXPECT_EQ(m["status"]["quick"].value("nextScheduledAt", ""), "2026-12-01T11:00:00Z");
  // Starting the full run removed the quick run's finished Job.
  EXPECT_TRUE(wait_gone("Job", "team-a", quick_job));
  EXPECT_FALSE(get("Job", "team-a", mover_job_name("m1", "full-1796121000")).is_null());

  // A restart keeps the gauge (read back from the status) and runs nothing early.
  restart();
  EXPECT_TRUE(test::wait_until([&] { return reclaimed("m1") == static_cast<double>(freed); }, 30s));
  EXPECT_EQ(list("Job", "team-a", "kopiur.io/kind=Maintenance").size(), 1u);

  // The controller is down from 10:30 to 15:40: the quick runs of 11:00 ... 15:00 are made up by
  // one run at 15:40, then the schedule goes on at 16:00.
  runtime_->stop();
  wall_.advance(5h + 10min);
  clock_.advance(5h + 10min);
  restart();
  m = wait_for("Maintenance", "team-a", "m1",
               run_is("quick", "nextScheduledAt", "2026-12-01T16:00:00Z"));
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["status"]["quick"].value("lastRunAt", ""), "2026-12-01T15:40:00Z");
  EXPECT_EQ(m["status"]["quick"].value("consecutiveFailures", -1), 0);
  EXPECT_EQ(m["status"]["full"].value("nextScheduledAt", ""), "2026-12-02T10:30:00Z");
  const auto jobs = list("Job", "team-a", "kopiur.io/kind=Maintenance");
  ASSERT_EQ(jobs.size(), 1u);  // the full run's Job was removed when this one started
  EXPECT_EQ(jobs[0]["metadata"].value("name", ""), mover_job_name("m1", "quick-1796122800"));
}

TEST_F(MaintenanceTest, ATimeZoneMovesTheScheduleAndFailuresCountUntilARunSucceeds) {
  prepare_repository();
  // Another identity owns the repository's maintenance: runs as kopiur@team-a are refused until
  // the Maintenance may take it over.
  kopia({"repository", "connect", "filesystem", "--path=" + repo_dir_, "--override-username=other",
         "--override-hostname=elsewhere"});
  kopia({"maintenance", "set", "--owner=me"});
  start();
  // The repository's own connect Job must be done first: while it runs, the Repository is
  // Initializing and the Maintenance waits for it instead of failing (on a loaded machine the
  // Job can outlast the first scheduled run).
  ASSERT_FALSE(
      wait_for("Repository", "team-a", "repo", condition_is("Connected", "True")).is_null())
      << get("Repository", "team-a", "repo").dump();
  // 03:00 in Berlin is 02:00Z in December (CET).
  create(maintenance("m2", "repo", "0 * * * *", "0 3 * * *", "Europe/Berlin"));
  auto m = wait_for("Maintenance", "team-a", "m2", condition_is("Ready", "True"));
  ASSERT_FALSE(m.is_null()) << get("Repository", "team-a", "repo").dump();
  EXPECT_EQ(m["status"]["full"].value("nextScheduledAt", ""), "2026-12-02T02:00:00Z");
  EXPECT_EQ(m["status"]["quick"].value("nextScheduledAt", ""), "2026-12-01T10:00:00Z");

  // Maintenance is owned by other@elsewhere: the 10:00 and 11:00 runs fail.
  m = advance_until(10min, "m2", run_is("quick", "consecutiveFailures", 1));
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["status"]["quick"].value("nextScheduledAt", ""), "2026-12-01T11:00:00Z");
  EXPECT_EQ(ready(m, "status"), "False");
  EXPECT_EQ(ready(m, "reason"), "MaintenanceFailed");
  EXPECT_NE(ready(m, "message").find("MaintenanceNotOwned"), std::string::npos)
      << ready(m, "message");
  EXPECT_NE(ready(m, "message").find("owned by other@elsewhere"), std::string::npos)
      << ready(m, "message");
  EXPECT_TRUE(has_event("team-a", "m2", "MaintenanceFailed"));
  m = advance_until(1h, "m2", run_is("quick", "consecutiveFailures", 2));
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(ready(m, "reason"), "MaintenanceFailed");

  // Allowed to take over: the 12:00 run claims maintenance, succeeds, and the count resets.
  patch("Maintenance", "team-a", "m2",
        {{"spec", {{"ownership", {{"owner", "kopiur@team-a"}, {"takeoverPolicy", "Force"}}}}}});
  // The controller has seen the new spec before the next run is due.
  ASSERT_FALSE(wait_for("Maintenance", "team-a", "m2", [](const json& o) {
                 return o.value("status", json::object()).value("observedGeneration", 0) == 2;
               }).is_null());
  m = advance_until(1h, "m2", run_is("quick", "consecutiveFailures", 0));
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["status"]["quick"].value("lastRunAt", ""), "2026-12-01T12:00:00Z");
  EXPECT_EQ(m["status"]["quick"].value("nextScheduledAt", ""), "2026-12-01T13:00:00Z");
  EXPECT_EQ(ready(m, "status"), "True");
  EXPECT_EQ(reclaimed("m2"), std::nullopt);  // only a full run sets it
}

TEST_F(MaintenanceTest, WhenBothModesAreDueTheFullRunGoesFirstThenTheQuickOne) {
  prepare_repository();
  start();
  create(maintenance("m4", "repo", "0 * * * *", "0 10 * * *", ""));
  ASSERT_FALSE(wait_for("Maintenance", "team-a", "m4", condition_is("Ready", "True")).is_null());
  const auto m = advance_until(10min, "m4", [](const json& o) {
    return run_is("full", "nextScheduledAt", "2026-12-02T10:00:00Z")(o) &&
           run_is("quick", "nextScheduledAt", "2026-12-01T11:00:00Z")(o);
  });
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["status"]["full"].value("lastRunAt", ""), "2026-12-01T10:00:00Z");
  EXPECT_EQ(m["status"]["quick"].value("lastRunAt", ""), "2026-12-01T10:00:00Z");
  // One Job at a time: the quick Job was created only after the full one had finished.
  const auto full = get("Job", "team-a", mover_job_name("m4", "full-1796119200"));
  const auto quick = get("Job", "team-a", mover_job_name("m4", "quick-1796119200"));
  ASSERT_FALSE(full.is_null());
  ASSERT_FALSE(quick.is_null());
  const auto full_done = parse_rfc3339(full["status"].value("completionTime", ""));
  const auto quick_made = parse_rfc3339(quick["metadata"].value("creationTimestamp", ""));
  ASSERT_TRUE(full_done && quick_made) << full.dump() << quick.dump();
  EXPECT_LE(*full_done, *quick_made);
}

TEST_F(MaintenanceTest, AMissingRepositoryKeepsItNotReadyAndRunsNothing) {
  start();
  create(maintenance("m3", "nowhere", "0 * * * *", "0 3 * * *", ""));
  auto m = wait_for("Maintenance", "team-a", "m3", condition_is("Ready", "False"));
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(ready(m, "reason"), "RepositoryNotFound");
  EXPECT_NE(ready(m, "message").find("team-a/nowhere"), std::string::npos) << ready(m, "message");
  EXPECT_EQ(m["status"]["quick"].value("nextScheduledAt", ""), "2026-12-01T10:00:00Z");
  EXPECT_EQ(m["status"]["full"].value("nextScheduledAt", ""), "2026-12-02T03:00:00Z");
  EXPECT_EQ(list("Job", "team-a", "kopiur.io/kind=Maintenance").size(), 0u);
}

}  // namespace
}  // namespace kopiur::controller::testing
