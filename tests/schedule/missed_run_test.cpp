// latest_missed_run(): after an outage at most one run, the newest, and only within the deadline.
#include <chrono>
#include <optional>

#include <gtest/gtest.h>

#include "kopiur/schedule/next_run.hpp"

#include "schedule/schedule_test_util.hpp"

namespace kopiur::schedule {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::cron;
using testing::iso;
using testing::utc;
using testing::zone;

std::optional<std::string> missed(std::string_view expr, const std::string& last,
                                  const std::string& now, std::optional<seconds> deadline,
                                  std::string_view zone_name = "") {
  const auto run = latest_missed_run(cron(expr), zone(zone_name), utc(last), utc(now), deadline);
  if (!run) return std::nullopt;
  return iso(*run);
}

TEST(MissedRun, NothingWhenNoRunWasDue) {
  EXPECT_EQ(missed("0 * * * *", "2026-05-05T10:00:00Z", "2026-05-05T10:59:59Z", std::nullopt),
            std::nullopt);
  // The last scheduled time itself is not missed (strictly after it).
  EXPECT_EQ(missed("0 * * * *", "2026-05-05T10:00:00Z", "2026-05-05T10:00:00Z", std::nullopt),
            std::nullopt);
  EXPECT_EQ(missed("0 * * * *", "2026-05-05T10:00:00Z", "2026-05-05T09:00:00Z", std::nullopt),
            std::nullopt);
}

TEST(MissedRun, AnOutageGivesOnlyTheNewestRun) {
  // Down three days with an hourly schedule: 70-odd runs missed, one to start.
  EXPECT_EQ(missed("0 * * * *", "2026-05-01T10:00:00Z", "2026-05-04T08:17:00Z", std::nullopt),
            "2026-05-04T08:00:00Z");
  EXPECT_EQ(missed("30 2 * * *", "2026-05-01T02:30:00Z", "2026-05-09T01:00:00Z", std::nullopt),
            "2026-05-08T02:30:00Z");
  // A run exactly at `now` is due.
  EXPECT_EQ(missed("0 * * * *", "2026-05-05T10:00:00Z", "2026-05-05T11:00:00Z", std::nullopt),
            "2026-05-05T11:00:00Z");
}

TEST(MissedRun, TheStartingDeadlineDropsRunsThatAreTooOld) {
  const auto five_minutes = std::optional<seconds>(seconds(300));
  EXPECT_EQ(missed("0 * * * *", "2026-05-05T09:00:00Z", "2026-05-05T10:04:00Z", five_minutes),
            "2026-05-05T10:00:00Z");
  EXPECT_EQ(missed("0 * * * *", "2026-05-05T09:00:00Z", "2026-05-05T10:05:00Z", five_minutes),
            "2026-05-05T10:00:00Z")
      << "exactly at the deadline still counts";
  EXPECT_EQ(missed("0 * * * *", "2026-05-05T09:00:00Z", "2026-05-05T10:05:01Z", five_minutes),
            std::nullopt);
  // An older run inside the deadline is not used when a newer one exists.
  EXPECT_EQ(missed("*/2 * * * *", "2026-05-05T09:00:00Z", "2026-05-05T10:05:00Z", five_minutes),
            "2026-05-05T10:04:00Z");
  // Deadline 0: only a run at exactly now.
  EXPECT_EQ(missed("0 * * * *", "2026-05-05T09:00:00Z", "2026-05-05T10:00:00Z", seconds(0)),
            "2026-05-05T10:00:00Z");
  EXPECT_EQ(missed("0 * * * *", "2026-05-05T09:00:00Z", "2026-05-05T10:00:01Z", seconds(0)),
            std::nullopt);
  // A long deadline behaves like none.
  EXPECT_EQ(missed("0 0 1 * *", "2026-01-01T00:00:00Z", "2026-05-05T10:00:00Z", seconds(1 << 30)),
            "2026-05-01T00:00:00Z");
}

TEST(MissedRun, LongOutagesAndImpossibleSchedulesEndQuickly) {
  // Every minute, down for 200 days: still exactly one run, the newest minute.
  EXPECT_EQ(missed("* * * * *", "2026-01-01T00:00:00Z", "2026-07-20T13:37:42Z", std::nullopt),
            "2026-07-20T13:37:00Z");
  // Every minute of one day a year, asked on the eve of the next.
  EXPECT_EQ(missed("* * 1 1 *", "2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z", std::nullopt),
            "2026-01-01T23:59:00Z");
  EXPECT_EQ(missed("0 0 30 2 *", "2000-01-01T00:00:00Z", "2026-05-05T10:00:00Z", std::nullopt),
            std::nullopt);
  EXPECT_EQ(missed("0 0 1 1 *", "1900-01-01T00:00:00Z", "2026-05-05T10:00:00Z", std::nullopt),
            "2026-01-01T00:00:00Z");
  EXPECT_EQ(
      latest_missed_run(cron("@hourly"), nullptr, Instant::min(), Instant::max(), std::nullopt),
      std::nullopt);
}

TEST(MissedRun, FollowsTheTimeZoneAndItsDstRules) {
  // Daily 02:30 in Berlin, down over the spring change: that day's run is at 01:00Z.
  EXPECT_EQ(missed("30 2 * * *", "2026-03-28T01:30:00Z", "2026-03-29T01:10:00Z", hours(1),
                   "Europe/Berlin"),
            "2026-03-29T01:00:00Z");
  // Daily 01:30 in New York on the fall-back day: the one run was at 05:30Z; the repeated 01:30
  // (06:30Z) is no run of its own.
  EXPECT_EQ(missed("30 1 * * *", "2026-10-31T05:30:00Z", "2026-11-01T06:45:00Z", std::nullopt,
                   "America/New_York"),
            "2026-11-01T05:30:00Z");
}

}  // namespace
}  // namespace kopiur::schedule
