// BackupSchedule against the local API server with a ManualWallClock: the run times of a cron
// schedule in a time zone across DST changes, one run for any number of missed times, suspend,
// concurrency Forbid, the failed-history limit and kopiur_schedule_backups_created_total.
#include "kopiur/controller/flow_support.hpp"

#include "flow_fixture.hpp"
#include "support/wait.hpp"

namespace kopiur::controller::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::chrono::system_clock::time_point at(const std::string& text) {
  auto t = parse_rfc3339(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(std::chrono::system_clock::time_point{});
}

std::string unix_of(const std::string& text) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(at(text).time_since_epoch()).count());
}

class ScheduleTest : public FlowTest {
 protected:
  void SetUp() override {
    FlowTest::SetUp();
    create({{"apiVersion", "kopiur.home-operations.com/v1alpha1"},
            {"kind", "BackupConfig"},
            {"metadata", {{"name", "app"}, {"namespace", "team-a"}}},
            {"spec",
             {{"repository", {{"kind", "Repository"}, {"name", "absent-repo"}}},
              {"sources", {{{"pvc", "data"}}}}}}});
  }
  json schedule(const std::string& name, const std::string& cron, const std::string& tz,
                json extra = json::object()) {
    json sched = {{"cron", cron}, {"concurrencyPolicy", "Allow"}};
    if (!tz.empty()) sched["timezone"] = tz;
    sched.update(extra);
    return {{"apiVersion", "kopiur.home-operations.com/v1alpha1"},
            {"kind", "BackupSchedule"},
            {"metadata", {{"name", name}, {"namespace", "team-a"}}},
            {"spec", {{"configRef", {{"name", "app"}}}, {"schedule", sched}}}};
  }
  // The schedule's nextSchedule.time once the controller has written one different from `not`.
  std::string next_of(const std::string& name, const std::string& not_this = "") {
    auto s = wait_for("BackupSchedule", "team-a", name, [&](const json& o) {
      // A reconcile may hand its requeue timer to the runtime after the test moved the clock:
      // keep moving the requeue clock (never the wall clock) until the expected state shows.
      clock_.advance(16min);
      const auto t = o.value("status", json::object())
                         .value("nextSchedule", json::object())
                         .value("time", std::string());
      return !t.empty() && t != not_this;
    });
    return s.is_null() ? "" : s["status"]["nextSchedule"]["time"].get<std::string>();
  }
  // Moves both clocks: the wall clock to `when`, the requeue clock past any sleep.
  void travel_to(const std::string& when) {
    wall_.set(at(when));
    clock_.advance(16min);
  }
  std::size_t backups_of(const std::string& schedule) {
    return list("Backup", "team-a", "kopiur.io/schedule=" + schedule).size();
  }
  std::optional<double> created(const std::string& schedule) {
    return metric("kopiur_schedule_backups_created_total",
                  {{"namespace", "team-a"}, {"name", schedule}});
  }
};

// 02:30 does not exist in Europe/Berlin on 2027-03-28 (02:00 -> 03:00): it runs once, at 03:00
// CEST (01:00Z); the next day's run is back at 02:30 CEST (00:30Z).
TEST_F(ScheduleTest, SpringForwardRunsTheMissingTimeOnceRightAfterTheGap) {
  wall_.set(at("2027-03-27T12:00:00Z"));
  start();
  create(schedule("berlin", "30 2 * * *", "Europe/Berlin", {{"startingDeadlineSeconds", 60}}));
  EXPECT_EQ(next_of("berlin"), "2027-03-28T01:00:00Z");
  EXPECT_EQ(backups_of("berlin"), 0u) << "a run missed before creation is past the deadline";

  travel_to("2027-03-28T01:00:05Z");
  EXPECT_EQ(next_of("berlin", "2027-03-28T01:00:00Z"), "2027-03-29T00:30:00Z");
  const auto made = list("Backup", "team-a", "kopiur.io/schedule=berlin");
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0]["metadata"]["name"], "berlin-" + unix_of("2027-03-28T01:00:00Z"));
  EXPECT_EQ(made[0]["metadata"]["annotations"]["kopiur.io/scheduled-time"], "2027-03-28T01:00:00Z");
  EXPECT_EQ(made[0]["spec"]["configRef"]["name"], "app");
  EXPECT_EQ(created("berlin"), 1);
  const auto s = get("BackupSchedule", "team-a", "berlin");
  EXPECT_EQ(s["status"]["lastSchedule"]["time"], "2027-03-28T01:00:00Z");
  EXPECT_EQ(s["status"]["lastSchedule"]["backupRef"], made[0]["metadata"]["name"]);
}

// 01:30 happens twice in America/New_York on 2027-11-07 (EDT 05:30Z, then EST 06:30Z): one run,
// at the first; the next is 01:30 EST on the 8th (06:30Z).
TEST_F(ScheduleTest, FallBackRunsTheRepeatedTimeOnce) {
  wall_.set(at("2027-11-06T12:00:00Z"));
  start();
  create(schedule("ny", "30 1 * * *", "America/New_York", {{"startingDeadlineSeconds", 60}}));
  EXPECT_EQ(next_of("ny"), "2027-11-07T05:30:00Z");
  travel_to("2027-11-07T05:30:02Z");
  EXPECT_EQ(next_of("ny", "2027-11-07T05:30:00Z"), "2027-11-08T06:30:00Z");
  travel_to("2027-11-07T06:30:02Z");  // the second 01:30: nothing
  clock_.advance(16min);
  EXPECT_EQ(next_of("ny"), "2027-11-08T06:30:00Z");
  EXPECT_EQ(backups_of("ny"), 1u);
  EXPECT_EQ(created("ny"), 1);
}

TEST_F(ScheduleTest, MissedRunsWhileTheControllerWasDownRunOnceNotInABurst) {
  wall_.set(std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now()) + 10min);
  start();
  create(schedule("hourly", "@hourly", ""));
  const auto first_next = next_of("hourly");
  ASSERT_FALSE(first_next.empty());
  runtime_->stop();
  wall_.advance(72h);  // three days, 72 missed runs
  restart();
  ASSERT_TRUE(test::wait_until([&] { return backups_of("hourly") == 1; }, 30s))
      << get("BackupSchedule", "team-a", "hourly").dump();
  EXPECT_EQ(next_of("hourly", first_next).empty(), false);
  clock_.advance(1min);  // any further reconcile creates nothing more before the next hour
  EXPECT_FALSE(test::wait_until([&] { return backups_of("hourly") > 1; }, 1s));
  EXPECT_EQ(created("hourly"), 1);
}

TEST_F(ScheduleTest, ForbidSkipsARunWhileTheLastBackupIsUnfinishedAndSuspendStopsRuns) {
  wall_.set(at("2027-01-10T09:59:00Z"));
  start();
  create(schedule("forbid", "0 * * * *", "", {{"concurrencyPolicy", "Forbid"}}));
  EXPECT_EQ(next_of("forbid"), "2027-01-10T10:00:00Z");
  travel_to("2027-01-10T10:00:01Z");
  EXPECT_EQ(next_of("forbid", "2027-01-10T10:00:00Z"), "2027-01-10T11:00:00Z");
  EXPECT_EQ(backups_of("forbid"), 1u);
  // The first Backup never finishes (its repository does not exist): the 11:00 run is skipped.
  travel_to("2027-01-10T11:00:01Z");
  EXPECT_EQ(next_of("forbid", "2027-01-10T11:00:00Z"), "2027-01-10T12:00:00Z");
  EXPECT_EQ(backups_of("forbid"), 1u);
  EXPECT_TRUE(test::wait_until([&] { return has_event("team-a", "forbid", "RunSkipped"); }, 10s));
  EXPECT_EQ(created("forbid"), 1);

  patch("BackupSchedule", "team-a", "forbid", {{"spec", {{"schedule", {{"suspend", true}}}}}});
  auto s = wait_for("BackupSchedule", "team-a", "forbid", condition_is("Ready", "False"));
  ASSERT_FALSE(s.is_null());
  EXPECT_FALSE(s["status"].contains("nextSchedule"));
  travel_to("2027-01-10T12:00:01Z");
  EXPECT_FALSE(test::wait_until([&] { return backups_of("forbid") > 1; }, 1s));
}

TEST_F(ScheduleTest, FailedBackupsBeyondTheHistoryLimitAreDeletedOldestFirst) {
  for (int i = 1; i <= 3; ++i) {
    const std::string name = "old-" + std::to_string(i);
    create({{"apiVersion", "kopiur.home-operations.com/v1alpha1"},
            {"kind", "Backup"},
            {"metadata",
             {{"name", name},
              {"namespace", "team-a"},
              {"labels", {{"kopiur.io/schedule", "limited"}}},
              {"annotations",
               {{"kopiur.io/scheduled-time", "2026-01-0" + std::to_string(i) + "T00:00:00Z"}}}}},
            {"spec", json::object()}});
    ASSERT_TRUE(client_
                    ->patch_status(kube::resource_for("Backup"), "team-a", name,
                                   {{"status", {{"phase", "Failed"}}}}, kube::PatchType::kMerge)
                    .ok());
  }
  wall_.set(at("2027-01-10T09:30:00Z"));
  start();
  auto limited = schedule("limited", "0 0 1 1 *", "");
  limited["spec"]["failedJobsHistoryLimit"] = 1;
  create(limited);
  EXPECT_TRUE(wait_gone("Backup", "team-a", "old-1"));
  EXPECT_TRUE(wait_gone("Backup", "team-a", "old-2"));
  EXPECT_FALSE(get("Backup", "team-a", "old-3").is_null());
  const auto s = wait_for("BackupSchedule", "team-a", "limited", [](const json& o) {
    return o.value("status", json::object()).value("consecutiveFailures", -1) >= 1;
  });
  ASSERT_FALSE(s.is_null());
}

}  // namespace
}  // namespace kopiur::controller::testing
