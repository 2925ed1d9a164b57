// parse_duration(): the short durations of flags and the jitter field, and what it refuses.
#include "kopiur/schedule/duration.hpp"

#include <gtest/gtest.h>

namespace kopiur::schedule {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ReadsAWholeNumberAndAUnit) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("15s"), 15s);
  EXPECT_EQ(parse_duration("10m"), 10min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("0s"), 0s);
}

TEST(Duration, RefusesEverythingElse) {
  for (const char* text : {"", "5", "m", "1.5s", "-1s", "+1s", "5 m", "5 minutes", "1d", "1H",
                           " 5m", "5m ", "9223372036854775807h", "2562047788016h"}) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << text;
  }
  // The largest count that still fits in milliseconds.
  EXPECT_EQ(parse_duration("2562047788015h"), std::chrono::hours(2562047788015));
}

}  // namespace
}  // namespace kopiur::schedule
