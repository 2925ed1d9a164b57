// Helpers for the schedule tests: instants written as UTC strings, and run lists as strings so
// a failure shows the whole sequence.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <date/date.h>
#include <gtest/gtest.h>

#include "kopiur/schedule/cron.hpp"
#include "kopiur/schedule/next_run.hpp"
#include "kopiur/schedule/time_zone.hpp"

namespace kopiur::schedule::testing {

// "2026-03-29T01:00:00Z" -> instant.
inline Instant utc(const std::string& text) {
  std::istringstream in(text);
  Instant t{};
  in >> date::parse("%Y-%m-%dT%H:%M:%SZ", t);
  EXPECT_FALSE(in.fail()) << "bad instant in test: " << text;
  return t;
}

inline std::string iso(Instant t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }

inline CronExpr cron(std::string_view text) {
  auto parsed = parse_cron(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.error;
  return parsed.cron.value_or(CronExpr{});
}

inline const date::time_zone* zone(std::string_view name) {
  auto found = find_time_zone(name);
  EXPECT_TRUE(found.ok()) << found.error;
  return found.zone;
}

// The first `count` runs strictly after `from`, as UTC strings ("none" once there is no run).
inline std::vector<std::string> runs(std::string_view expr, const std::string& from, int count,
                                     std::string_view zone_name = "") {
  const auto c = cron(expr);
  const auto* z = zone(zone_name);
  std::vector<std::string> out;
  auto t = utc(from);
  for (int i = 0; i < count; ++i) {
    const auto next = next_after(c, t, z);
    if (!next) {
      out.emplace_back("none");
      break;
    }
    out.push_back(iso(*next));
    t = *next;
  }
  return out;
}

}  // namespace kopiur::schedule::testing
