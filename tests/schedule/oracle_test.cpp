// next_after() against a minute-by-minute walk of real time, over whole years in zones with DST
// (and Pacific/Apia's skipped day in 2011). The walk states the DST rules independently: a
// real-time job (every hour selected) fires at each real minute whose local time matches; a
// fixed-time job fires at a matching local time seen for the first time, and at the first
// instant after a gap that swallowed a matching local time.
#include <chrono>
#include <string>
#include <vector>

#include <date/tz.h>
#include <gtest/gtest.h>

#include "kopiur/schedule/next_run.hpp"

#include "schedule/schedule_test_util.hpp"

namespace kopiur::schedule {
namespace {

using std::chrono::minutes;
using testing::cron;
using testing::iso;
using testing::utc;
using testing::zone;

bool matches_local(const CronExpr& c, date::local_seconds local) {
  const auto day = std::chrono::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::seconds> time{local - day};
  return c.matches_day(static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       date::weekday{day}.c_encoding()) &&
         c.hours.test(static_cast<std::size_t>(time.hours().count())) &&
         c.minutes.test(static_cast<std::size_t>(time.minutes().count()));
}

std::vector<std::string> walk(const CronExpr& c, const date::time_zone& z, Instant from,
                              Instant to) {
  std::vector<std::string> out;
  std::optional<date::local_seconds> newest_seen;
  // The zone's offset is looked up once per period it holds for (sys_info is [begin, end)),
  // not once per minute: the same answer as z.to_local(t), at a fraction of the cost.
  date::sys_info period = z.get_info(from);
  for (auto t = from + minutes(1); t <= to; t += minutes(1)) {
    if (t >= period.end || t < period.begin) period = z.get_info(t);
    const date::local_seconds local{(t + period.offset).time_since_epoch()};
    bool fire = false;
    if (c.every_hour()) {
      fire = matches_local(c, local);
    } else if (!newest_seen || local > *newest_seen) {
      fire = matches_local(c, local);
      for (auto s = newest_seen ? *newest_seen + minutes(1) : local; s < local; s += minutes(1)) {
        fire = fire || matches_local(c, s);  // a local minute the clock jumped over
      }
      newest_seen = local;
    }
    if (fire) out.push_back(iso(t));
  }
  return out;
}

std::vector<std::string> chain(const CronExpr& c, const date::time_zone& z, Instant from,
                               Instant to) {
  std::vector<std::string> out;
  for (auto t = next_after(c, from, &z); t && *t <= to; t = next_after(c, *t, &z)) {
    out.push_back(iso(*t));
  }
  return out;
}

void expect_same_year(std::string_view expr, std::string_view zone_name, int year) {
  const auto c = cron(expr);
  const auto* z = zone(zone_name);
  ASSERT_NE(z, nullptr);
  const auto from = utc(std::to_string(year) + "-01-01T00:00:00Z");
  const auto to = utc(std::to_string(year + 1) + "-01-01T00:00:00Z");
  const auto expected = walk(c, *z, from, to);
  const auto actual = chain(c, *z, from, to);
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(actual, expected) << expr << " in " << zone_name << " " << year;
}

TEST(NextRunOracle, MatchesARealTimeWalkThroughAWholeYear) {
  for (const auto* zone_name :
       {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago"}) {
    for (const auto* expr :
         {"*/7 * * * *", "30 2 * * *", "0,30 1-3 * * 0,6", "45 0,23 * * *", "0 * 1,15 * *"}) {
      expect_same_year(expr, zone_name, 2026);
    }
  }
}

TEST(NextRunOracle, ASkippedDayRunsOnceAfterIt) {
  // Pacific/Apia skipped 2011-12-30 entirely: its noon run happens at the start of the 31st.
  expect_same_year("0 12 * * *", "Pacific/Apia", 2011);
  expect_same_year("0 * * * *", "Pacific/Apia", 2011);
  EXPECT_EQ(testing::runs("0 12 * * *", "2011-12-29T00:00:00Z", 3, "Pacific/Apia"),
            std::vector<std::string>(
                {"2011-12-29T22:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T22:00:00Z"}));
}

}  // namespace
}  // namespace kopiur::schedule
