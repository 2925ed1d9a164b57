// parse_cron(): every syntax form, the macros, the day rule flags, and the error messages.
#include <bitset>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kopiur/schedule/cron.hpp"

#include "schedule/schedule_test_util.hpp"

namespace kopiur::schedule {
namespace {

using testing::cron;

template <std::size_t N>
std::vector<int> bits(const std::bitset<N>& set) {
  std::vector<int> out;
  for (std::size_t i = 0; i < N; ++i) {
    if (set.test(i)) out.push_back(static_cast<int>(i));
  }
  return out;
}

using V = std::vector<int>;

TEST(CronParse, StarSelectsTheWholeRangeOfEachField) {
  const auto c = cron("* * * * *");
  EXPECT_TRUE(c.minutes.all());
  EXPECT_TRUE(c.hours.all());
  EXPECT_EQ(c.days_of_month.count(), 31u);
  EXPECT_FALSE(c.days_of_month.test(0));
  EXPECT_EQ(c.months.count(), 12u);
  EXPECT_FALSE(c.months.test(0));
  EXPECT_TRUE(c.days_of_week.all());
  EXPECT_FALSE(c.day_of_month_restricted);
  EXPECT_FALSE(c.day_of_week_restricted);
  EXPECT_TRUE(c.every_hour());
}

TEST(CronParse, ValuesListsRangesAndSteps) {
  EXPECT_EQ(bits(cron("7 * * * *").minutes), V({7}));
  EXPECT_EQ(bits(cron("0,15,45 * * * *").minutes), V({0, 15, 45}));
  EXPECT_EQ(bits(cron("* 9-12 * * *").hours), V({9, 10, 11, 12}));
  EXPECT_EQ(bits(cron("*/15 * * * *").minutes), V({0, 15, 30, 45}));
  EXPECT_EQ(bits(cron("10-30/10 * * * *").minutes), V({10, 20, 30}));
  EXPECT_EQ(bits(cron("5/20 * * * *").minutes), V({5, 25, 45}));  // a/n = a-max/n
  EXPECT_EQ(bits(cron("* */6 * * *").hours), V({0, 6, 12, 18}));
  EXPECT_EQ(bits(cron("* * */10 * *").days_of_month), V({1, 11, 21, 31}));
  EXPECT_EQ(bits(cron("* * * */5 *").months), V({1, 6, 11}));
  EXPECT_EQ(bits(cron("1,2-3,50-59/4 * * * *").minutes), V({1, 2, 3, 50, 54, 58}));
  EXPECT_EQ(bits(cron("* 23 1-31/15 * *").days_of_month), V({1, 16, 31}));
  EXPECT_EQ(bits(cron("0-59/1 * * * *").minutes).size(), 60u);
}

TEST(CronParse, MonthAndDayNamesAnyCase) {
  EXPECT_EQ(bits(cron("0 0 1 JAN,mar,Dec *").months), V({1, 3, 12}));
  EXPECT_EQ(bits(cron("0 0 1 jan-apr/2 *").months), V({1, 3}));
  EXPECT_EQ(bits(cron("0 0 * * MON-FRI").days_of_week), V({1, 2, 3, 4, 5}));
  EXPECT_EQ(bits(cron("0 0 * * sun,Sat").days_of_week), V({0, 6}));
  EXPECT_EQ(bits(cron("0 0 * * tue-THU").days_of_week), V({2, 3, 4}));
}

TEST(CronParse, DayOfWeekSevenIsSunday) {
  EXPECT_EQ(bits(cron("0 0 * * 7").days_of_week), V({0}));
  EXPECT_EQ(bits(cron("0 0 * * 5-7").days_of_week), V({0, 5, 6}));
  EXPECT_EQ(bits(cron("0 0 * * 0-7").days_of_week).size(), 7u);
  EXPECT_EQ(bits(cron("0 0 * * */2").days_of_week), V({0, 2, 4, 6}));
}

TEST(CronParse, RestrictedDayFieldsFollowTheText) {
  auto c = cron("0 0 1 * MON");
  EXPECT_TRUE(c.day_of_month_restricted);
  EXPECT_TRUE(c.day_of_week_restricted);
  c = cron("0 0 */2 * *");
  EXPECT_TRUE(c.day_of_month_restricted) << "*/2 is a restriction";
  EXPECT_FALSE(c.day_of_week_restricted);
  c = cron("0 0 ? * MON");
  EXPECT_FALSE(c.day_of_month_restricted) << "? means *";
  EXPECT_TRUE(c.day_of_week_restricted);
  c = cron("0 0 1 * ?");
  EXPECT_FALSE(c.day_of_week_restricted);
}

TEST(CronParse, MatchesDayUsesEitherRuleOnlyWhenBothAreRestricted) {
  const auto both = cron("0 0 13 * FRI");
  EXPECT_TRUE(both.matches_day(2, 13, 3));   // the 13th, a Wednesday
  EXPECT_TRUE(both.matches_day(2, 6, 5));    // a Friday, not the 13th
  EXPECT_FALSE(both.matches_day(2, 7, 6));   // neither
  const auto dom_only = cron("0 0 13 * *");  // day-of-week is *, so only the 13th
  EXPECT_TRUE(dom_only.matches_day(2, 13, 3));
  EXPECT_FALSE(dom_only.matches_day(2, 6, 5));
  const auto dow_only = cron("0 0 * * FRI");
  EXPECT_FALSE(dow_only.matches_day(2, 13, 3));
  EXPECT_TRUE(dow_only.matches_day(2, 6, 5));
  EXPECT_FALSE(cron("0 0 * JAN *").matches_day(2, 6, 5)) << "month must match";
}

TEST(CronParse, MacrosEqualTheirFiveFieldForms) {
  const std::vector<std::pair<std::string, std::string>> macros = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}, {"@DAILY", "0 0 * * *"},    {"  @hourly\t", "0 * * * *"},
  };
  for (const auto& [macro, fields] : macros) {
    EXPECT_TRUE(cron(macro) == cron(fields)) << macro;
  }
  EXPECT_FALSE(cron("@daily") == cron("@hourly"));
  EXPECT_TRUE(cron("0 0 1 * *") == cron("0 0 1 * ?")) << "? means *";
  EXPECT_FALSE(cron("0 0 * * *") == cron("0 0 1-31 * *")) << "same days, but 1-31 restricts";
}

TEST(CronParse, WhitespaceBetweenFieldsIsFree) {
  EXPECT_EQ(bits(cron("  30\t2  * *   *\n").minutes), V({30}));
  EXPECT_EQ(bits(cron("  30\t2  * *   *\n").hours), V({2}));
}

TEST(CronParse, ErrorsNameTheFieldAndTheProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"",
       "expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as "
       "@daily, got 0 in \"\""},
      {"0 * * *",
       "expected 5 fields (minute hour day-of-month month day-of-week) or a macro "
       "such as @daily, got 4 in \"0 * * *\""},
      {"0 0 * * * *",
       "expected 5 fields (minute hour day-of-month month day-of-week) or a macro "
       "such as @daily, got 6 in \"0 0 * * * *\" (a seconds or year field is not "
       "supported)"},
      {"every day",
       "expected 5 fields (minute hour day-of-month month day-of-week) or a macro "
       "such as @daily, got 2 in \"every day\""},
      {"0 25 * * *", "hour field \"25\": value 25 is out of range 0-23"},
      {"60 * * * *", "minute field \"60\": value 60 is out of range 0-59"},
      {"0 0 0 * *", "day-of-month field \"0\": value 0 is out of range 1-31"},
      {"0 0 32 * *", "day-of-month field \"32\": value 32 is out of range 1-31"},
      {"0 0 * 13 *", "month field \"13\": value 13 is out of range 1-12"},
      {"0 0 * 0 *", "month field \"0\": value 0 is out of range 1-12"},
      {"0 0 * * 8", "day-of-week field \"8\": value 8 is out of range 0-7"},
      {"99999999999999999999 * * * *",
       "minute field \"99999999999999999999\": value 99999999999999999999 is out of range 0-59"},
      {"x * * * *", "minute field \"x\": \"x\" is not a number"},
      {"5x * * * *", "minute field \"5x\": \"5x\" is not a number"},
      {"0 0 * FOO *", "month field \"FOO\": \"FOO\" is not a number or a month name (JAN-DEC)"},
      {"0 0 * * MON-FOO",
       "day-of-week field \"MON-FOO\": \"FOO\" is not a number or a day name (SUN-SAT)"},
      {"0 MON * * *", "hour field \"MON\": \"MON\" is not a number"},
      {"0 0 * * MONDAY",
       "day-of-week field \"MONDAY\": \"MONDAY\" is not a number or a day name (SUN-SAT)"},
      {"1,,2 * * * *", "minute field \"1,,2\": empty list item"},
      {"1, * * * *", "minute field \"1,\": empty list item"},
      {"*/0 * * * *", "minute field \"*/0\": step 0 in \"*/0\" is out of range 1-59"},
      {"*/60 * * * *", "minute field \"*/60\": step 60 in \"*/60\" is out of range 1-59"},
      {"* */24 * * *", "hour field \"*/24\": step 24 in \"*/24\" is out of range 1-23"},
      {"*/x * * * *", "minute field \"*/x\": step \"x\" in \"*/x\" is not a number"},
      {"*/ * * * *", "minute field \"*/\": step \"\" in \"*/\" is not a number"},
      {"*/2/3 * * * *", "minute field \"*/2/3\": \"*/2/3\" has more than one \"/\""},
      {"/5 * * * *", "minute field \"/5\": step \"/5\" needs a value, a range or \"*\""},
      {"*5 * * * *",
       "minute field \"*5\": \"*5\" is not a value, a range or a step (after \"*\" only \"/n\" "
       "may follow)"},
      {"*-5 * * * *",
       "minute field \"*-5\": \"*-5\" is not a value, a range or a step (after \"*\" only \"/n\" "
       "may follow)"},
      {"1-2-3 * * * *",
       "minute field \"1-2-3\": \"1-2-3\" is not a value or a range (a range has one \"-\")"},
      {"-5 * * * *", "minute field \"-5\": range \"-5\" needs a start and an end"},
      {"5- * * * *", "minute field \"5-\": range \"5-\" needs a start and an end"},
      {"0 22-2 * * *",
       "hour field \"22-2\": range \"22-2\" is backwards: the start must not exceed the end (for "
       "a range that wraps around write a list such as 22-23,0-2)"},
      {"0 0 * * FRI-MON",
       "day-of-week field \"FRI-MON\": range \"FRI-MON\" is backwards: the start must not exceed "
       "the end (for a range that wraps around write a list such as 5-6,0-1)"},
      {"0 ? * * *",
       "hour field \"?\": \"?\" is only allowed in the day-of-month and day-of-week "
       "fields"},
      {"@reboot",
       "unknown macro \"@reboot\": expected one of @yearly, @annually, @monthly, "
       "@weekly, @daily, @midnight, @hourly"},
      {"@every 5m",
       "expected 5 fields (minute hour day-of-month month day-of-week) or a macro "
       "such as @daily, got 2 in \"@every 5m\""},
      {"CRON_TZ=Europe/Berlin 0 2 * * *",
       "a time zone prefix (\"CRON_TZ=Europe/Berlin\") is not supported: set the schedule's "
       "timezone field instead"},
      {"TZ=UTC 0 2 * * *",
       "a time zone prefix (\"TZ=UTC\") is not supported: set the schedule's "
       "timezone field instead"},
  };
  for (const auto& [text, message] : cases) {
    const auto parsed = parse_cron(text);
    EXPECT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error, message) << text;
  }
}

TEST(CronParse, LongInputIsCutInMessages) {
  const std::string text(5000, '1');
  const auto parsed = parse_cron(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_LT(parsed.error.size(), 250u) << parsed.error;
  EXPECT_NE(parsed.error.find("...\""), std::string::npos) << parsed.error;
}

TEST(CronParse, NeverRunsExplainsImpossibleDates) {
  EXPECT_EQ(never_runs(cron("0 0 30 2 *")), "never runs: day-of-month 30 does not occur in FEB");
  EXPECT_EQ(never_runs(cron("0 0 31 2,4,6 *")),
            "never runs: day-of-month 31 does not occur in FEB, APR, JUN");
  EXPECT_EQ(never_runs(cron("0 0 30,31 FEB *")),
            "never runs: day-of-month 30, 31 does not occur in FEB");
  EXPECT_EQ(never_runs(cron("0 0 29 2 *")), std::nullopt) << "leap years have Feb 29";
  EXPECT_EQ(never_runs(cron("0 0 31 2,3 *")), std::nullopt);
  EXPECT_EQ(never_runs(cron("0 0 30 2 MON")), std::nullopt) << "either rule: every Monday";
  EXPECT_EQ(never_runs(cron("* * * * *")), std::nullopt);
}

}  // namespace
}  // namespace kopiur::schedule
