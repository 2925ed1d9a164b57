// next_after() in UTC: month ends, leap years, the day rule, steps, strictness, impossible dates.
#include "kopiur/schedule/next_run.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "schedule/schedule_test_util.hpp"

namespace kopiur::schedule {
namespace {

using testing::cron;
using testing::runs;
using testing::utc;
using S = std::vector<std::string>;

TEST(NextRunUtc, DailyRollsOverMonthAndYearEnds) {
  EXPECT_EQ(runs("0 0 * * *", "2026-01-31T12:00:00Z", 2),
            S({"2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"}));
  EXPECT_EQ(runs("30 23 * * *", "2026-12-31T23:30:00Z", 2),
            S({"2027-01-01T23:30:00Z", "2027-01-02T23:30:00Z"}));
  EXPECT_EQ(runs("@yearly", "2026-06-01T00:00:00Z", 2),
            S({"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"}));
  EXPECT_EQ(runs("@monthly", "2026-01-15T00:00:00Z", 3),
            S({"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"}));
}

TEST(NextRunUtc, ResultIsStrictlyAfter) {
  EXPECT_EQ(runs("0 * * * *", "2026-05-05T10:00:00Z", 1), S({"2026-05-05T11:00:00Z"}));
  EXPECT_EQ(runs("0 * * * *", "2026-05-05T09:59:59Z", 1), S({"2026-05-05T10:00:00Z"}));
  EXPECT_EQ(runs("* * * * *", "2026-03-01T10:00:30Z", 2),
            S({"2026-03-01T10:01:00Z", "2026-03-01T10:02:00Z"}));
}

TEST(NextRunUtc, DayThirtyOneSkipsShortMonths) {
  EXPECT_EQ(runs("0 0 31 * *", "2026-01-31T00:00:00Z", 4),
            S({"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
               "2026-08-31T00:00:00Z"}));
  EXPECT_EQ(runs("0 0 30 * *", "2026-01-30T00:00:00Z", 2),
            S({"2026-03-30T00:00:00Z", "2026-04-30T00:00:00Z"}));
}

TEST(NextRunUtc, FebruaryTwentyNinthOnlyInLeapYears) {
  EXPECT_EQ(runs("0 12 29 2 *", "2026-01-01T00:00:00Z", 3),
            S({"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z", "2036-02-29T12:00:00Z"}));
  // 2100 is not a leap year: the longest real gap, 8 years, is within the horizon.
  EXPECT_EQ(runs("0 12 29 2 *", "2096-03-01T00:00:00Z", 1), S({"2104-02-29T12:00:00Z"}));
  EXPECT_EQ(runs("0 0 28-29 2 *", "2027-02-28T00:00:00Z", 2),
            S({"2028-02-28T00:00:00Z", "2028-02-29T00:00:00Z"}));
}

TEST(NextRunUtc, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  // February 2026: Fridays are the 6th, 13th, 20th and 27th; the 13th is a Friday too.
  EXPECT_EQ(runs("0 0 13 * FRI", "2026-02-01T00:00:00Z", 5),
            S({"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z",
               "2026-02-27T00:00:00Z", "2026-03-06T00:00:00Z"}));
  // The 1st (a Sunday in March 2026) or any Wednesday.
  EXPECT_EQ(runs("0 9 1 * WED", "2026-02-26T00:00:00Z", 3),
            S({"2026-03-01T09:00:00Z", "2026-03-04T09:00:00Z", "2026-03-11T09:00:00Z"}));
  // Only one restricted: it alone decides.
  EXPECT_EQ(runs("0 0 13 * *", "2026-02-01T00:00:00Z", 2),
            S({"2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z"}));
  EXPECT_EQ(runs("0 0 * * FRI", "2026-02-01T00:00:00Z", 2),
            S({"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z"}));
  // `*/10` restricts the day of month, so with MON both count: 1, 11, 21, 31 or a Monday.
  EXPECT_EQ(runs("0 0 */10 * MON", "2026-05-01T00:00:00Z", 5),
            S({"2026-05-04T00:00:00Z", "2026-05-11T00:00:00Z", "2026-05-18T00:00:00Z",
               "2026-05-21T00:00:00Z", "2026-05-25T00:00:00Z"}));
}

TEST(NextRunUtc, StepsAndRanges) {
  EXPECT_EQ(runs("*/20 9-10 * * *", "2026-04-01T08:00:00Z", 7),
            S({"2026-04-01T09:00:00Z", "2026-04-01T09:20:00Z", "2026-04-01T09:40:00Z",
               "2026-04-01T10:00:00Z", "2026-04-01T10:20:00Z", "2026-04-01T10:40:00Z",
               "2026-04-02T09:00:00Z"}));
  EXPECT_EQ(runs("0 0 * JAN-MAR/2 *", "2026-01-31T00:00:00Z", 2),
            S({"2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"}));
  EXPECT_EQ(runs("0 8 * * MON-FRI", "2026-05-08T08:00:00Z", 2),  // a Friday
            S({"2026-05-11T08:00:00Z", "2026-05-12T08:00:00Z"}));
  EXPECT_EQ(runs("@weekly", "2026-05-08T08:00:00Z", 2),
            S({"2026-05-10T00:00:00Z", "2026-05-17T00:00:00Z"}));
  EXPECT_EQ(runs("0 0 * * 7", "2026-05-08T08:00:00Z", 1), S({"2026-05-10T00:00:00Z"}));
}

TEST(NextRunUtc, ImpossibleExpressionsReturnNothing) {
  for (const auto* text : {"0 0 30 2 *", "0 0 31 4 *", "* * 31 2,4,6,9,11 *", "0 0 30,31 FEB *"}) {
    EXPECT_EQ(next_after(cron(text), utc("2026-01-01T00:00:00Z"), nullptr), std::nullopt) << text;
  }
}

TEST(NextRunUtc, InstantsOutsideTheSupportedYearsReturnNothing) {
  const auto hourly = cron("@hourly");
  EXPECT_EQ(next_after(hourly, utc("1969-12-31T23:00:00Z"), nullptr), std::nullopt);
  EXPECT_EQ(next_after(hourly, Instant::max(), nullptr), std::nullopt);
  EXPECT_EQ(next_after(hourly, Instant::min(), nullptr), std::nullopt);
  EXPECT_NE(next_after(hourly, utc("1970-01-01T00:00:00Z"), nullptr), std::nullopt);
}

}  // namespace
}  // namespace kopiur::schedule
