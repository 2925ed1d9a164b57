// next_after() across daylight saving changes. Fixed-time jobs: a skipped local time runs once at
// the first instant after the gap, a repeated one once at its first occurrence. Every-hour jobs
// follow real time. Transitions of 2026 (from the system tzdata):
//   Europe/Berlin        2026-03-29 01:00Z 02:00 CET -> 03:00 CEST; 2026-10-25 01:00Z 03:00 ->
//   02:00 America/New_York     2026-03-08 07:00Z 02:00 EST -> 03:00 EDT;  2026-11-01 06:00Z 02:00
//   -> 01:00 Australia/Lord_Howe  2026-10-03 15:30Z 02:00 -> 02:30 (+11);    2026-04-04 15:00Z
//   02:00 -> 01:30 America/Santiago     2026-09-06 04:00Z 00:00 -> 01:00 (-03);    2026-04-05
//   03:00Z 00:00 -> 23:00
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kopiur/schedule/next_run.hpp"

#include "schedule/schedule_test_util.hpp"

namespace kopiur::schedule {
namespace {

using testing::runs;
using S = std::vector<std::string>;

TEST(NextRunDst, BerlinDailyInTheSpringGapRunsOnceAfterTheGap) {
  // 02:30 does not exist on 2026-03-29: the run is at 03:00 CEST (01:00Z), once.
  EXPECT_EQ(runs("30 2 * * *", "2026-03-27T12:00:00Z", 3, "Europe/Berlin"),
            S({"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
  // Every minute of the skipped hour collapses into that one run.
  EXPECT_EQ(runs("*/15 2 * * *", "2026-03-28T23:00:00Z", 2, "Europe/Berlin"),
            S({"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"}));
}

TEST(NextRunDst, BerlinDailyInTheRepeatedHourRunsOnceAtTheFirstOccurrence) {
  // 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET) on 2026-10-25: only the first.
  EXPECT_EQ(runs("30 2 * * *", "2026-10-23T12:00:00Z", 3, "Europe/Berlin"),
            S({"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
}

TEST(NextRunDst, BerlinHourlyRunsEveryRealHourAcrossBothChanges) {
  EXPECT_EQ(runs("0 * * * *", "2026-03-28T23:30:00Z", 4, "Europe/Berlin"),
            S({"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z",
               "2026-03-29T03:00:00Z"}));
  // 02:00 local happens twice (00:00Z and 01:00Z): both run.
  EXPECT_EQ(runs("0 * * * *", "2026-10-24T22:30:00Z", 5, "Europe/Berlin"),
            S({"2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z",
               "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"}));
}

TEST(NextRunDst, NewYorkDailyAcrossSpringForward) {
  EXPECT_EQ(runs("30 2 * * *", "2026-03-06T12:00:00Z", 3, "America/New_York"),
            S({"2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}));
  // A time just outside the gap is untouched.
  EXPECT_EQ(runs("30 1 * * *", "2026-03-07T12:00:00Z", 2, "America/New_York"),
            S({"2026-03-08T06:30:00Z", "2026-03-09T05:30:00Z"}));
}

TEST(NextRunDst, NewYorkDailyAcrossFallBack) {
  // 01:30 happens at 05:30Z (EDT) and 06:30Z (EST) on 2026-11-01: it runs once, at 05:30Z.
  EXPECT_EQ(runs("30 1 * * *", "2026-10-30T12:00:00Z", 3, "America/New_York"),
            S({"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
  EXPECT_EQ(runs("30 2 * * *", "2026-10-31T12:00:00Z", 2, "America/New_York"),
            S({"2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z"}));
}

TEST(NextRunDst, NewYorkHourlyRunsEveryRealHourAcrossBothChanges) {
  EXPECT_EQ(runs("0 * * * *", "2026-03-08T05:30:00Z", 4, "America/New_York"),
            S({"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z",
               "2026-03-08T09:00:00Z"}));
  // No extra half-hour run from the skipped 02:30: every-hour jobs skip what does not exist.
  EXPECT_EQ(runs("30 * * * *", "2026-03-08T05:00:00Z", 3, "America/New_York"),
            S({"2026-03-08T05:30:00Z", "2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"}));
  EXPECT_EQ(runs("0 * * * *", "2026-11-01T03:30:00Z", 5, "America/New_York"),
            S({"2026-11-01T04:00:00Z", "2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z",
               "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"}));
  EXPECT_EQ(runs("*/30 * * * *", "2026-11-01T05:00:00Z", 4, "America/New_York"),
            S({"2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z",
               "2026-11-01T07:00:00Z"}));
}

TEST(NextRunDst, LordHoweHalfHourShift) {
  // Spring: 02:00-02:30 is skipped; 02:15 runs once at 02:30 (+11) = 15:30Z.
  EXPECT_EQ(runs("15 2 * * *", "2026-10-02T12:00:00Z", 3, "Australia/Lord_Howe"),
            S({"2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"}));
  // Autumn: 01:30-02:00 repeats; 01:45 runs once, at its first occurrence (+11) = 14:45Z.
  EXPECT_EQ(runs("45 1 * * *", "2026-04-03T12:00:00Z", 3, "Australia/Lord_Howe"),
            S({"2026-04-03T14:45:00Z", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"}));
  // Hourly keeps local :00, so each change day has one 90-minute interval.
  EXPECT_EQ(runs("0 * * * *", "2026-10-03T14:00:00Z", 3, "Australia/Lord_Howe"),
            S({"2026-10-03T14:30:00Z", "2026-10-03T16:00:00Z", "2026-10-03T17:00:00Z"}));
  EXPECT_EQ(runs("0 * * * *", "2026-04-04T13:30:00Z", 3, "Australia/Lord_Howe"),
            S({"2026-04-04T14:00:00Z", "2026-04-04T15:30:00Z", "2026-04-04T16:30:00Z"}));
  // Every 30 minutes keeps a 30-minute real rhythm through both changes.
  EXPECT_EQ(runs("*/30 * * * *", "2026-10-03T14:00:00Z", 4, "Australia/Lord_Howe"),
            S({"2026-10-03T14:30:00Z", "2026-10-03T15:00:00Z", "2026-10-03T15:30:00Z",
               "2026-10-03T16:00:00Z"}));
  EXPECT_EQ(runs("*/30 * * * *", "2026-04-04T13:45:00Z", 4, "Australia/Lord_Howe"),
            S({"2026-04-04T14:00:00Z", "2026-04-04T14:30:00Z", "2026-04-04T15:00:00Z",
               "2026-04-04T15:30:00Z"}));
}

TEST(NextRunDst, SantiagoChangesAtMidnight) {
  // Midnight does not exist on 2026-09-06: the daily midnight run is at 01:00 (-03) = 04:00Z.
  EXPECT_EQ(runs("@daily", "2026-09-04T12:00:00Z", 3, "America/Santiago"),
            S({"2026-09-05T04:00:00Z", "2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z"}));
  // 23:00-24:00 of 2026-04-04 repeats; the hourly job runs in both, in real order.
  EXPECT_EQ(runs("0 * * * *", "2026-04-05T00:30:00Z", 4, "America/Santiago"),
            S({"2026-04-05T01:00:00Z", "2026-04-05T02:00:00Z", "2026-04-05T03:00:00Z",
               "2026-04-05T04:00:00Z"}));
  EXPECT_EQ(runs("30 23 * * *", "2026-04-03T12:00:00Z", 3, "America/Santiago"),
            S({"2026-04-04T02:30:00Z", "2026-04-05T02:30:00Z", "2026-04-06T03:30:00Z"}));
}

}  // namespace
}  // namespace kopiur::schedule
