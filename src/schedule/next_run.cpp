// next_after(): the first run of a cron expression after an instant, in a time zone, with the
// DST rules stated in next_run.hpp.
#include "kopiur/schedule/next_run.hpp"

#include <algorithm>

#include <date/tz.h>

namespace kopiur::schedule {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using LocalSeconds = date::local_seconds;

void keep_earliest(std::optional<Instant>& best, Instant candidate, Instant after) {
  if (candidate > after && (!best || candidate < *best)) best = candidate;
}

// A day whose UTC offset does not change: local times map to instants in order, so the first
// selected local time past `after` is the answer.
std::optional<Instant> first_on_plain_day(const CronExpr& cron, date::local_days day,
                                          seconds offset, Instant after) {
  const LocalSeconds threshold{after.time_since_epoch() + offset};
  for (unsigned h = 0; h < 24; ++h) {
    if (!cron.hours.test(h)) continue;
    const LocalSeconds hour_start = day + hours(h);
    if (hour_start + minutes(59) <= threshold) continue;
    for (unsigned m = 0; m < 60; ++m) {
      if (!cron.minutes.test(m)) continue;
      const auto local = hour_start + minutes(m);
      if (local > threshold) return Instant{local.time_since_epoch() - offset};
    }
  }
  return std::nullopt;
}

// A day with a DST change: every selected local time is resolved on its own (see next_run.hpp).
std::optional<Instant> first_on_changing_day(const CronExpr& cron, date::local_days day,
                                             const date::time_zone& zone, Instant after) {
  std::optional<Instant> best;
  const bool real_time = cron.every_hour();
  for (unsigned h = 0; h < 24; ++h) {
    if (!cron.hours.test(h)) continue;
    for (unsigned m = 0; m < 60; ++m) {
      if (!cron.minutes.test(m)) continue;
      const LocalSeconds local = day + hours(h) + minutes(m);
      const auto info = zone.get_info(local);
      const auto at = [&](seconds offset) { return Instant{local.time_since_epoch() - offset}; };
      switch (info.result) {
        case date::local_info::unique:
          keep_earliest(best, at(info.first.offset), after);
          break;
        case date::local_info::nonexistent:
          // Fixed-time jobs run at the first valid instant after the gap; real-time ones skip it.
          if (!real_time) keep_earliest(best, info.second.begin, after);
          break;
        case date::local_info::ambiguous:
          keep_earliest(best, at(info.first.offset), after);
          if (real_time) keep_earliest(best, at(info.second.offset), after);
          break;
      }
    }
  }
  return best;
}

std::optional<Instant> first_on_day(const CronExpr& cron, date::local_days day,
                                    const date::time_zone* zone, Instant after) {
  if (zone == nullptr) return first_on_plain_day(cron, day, seconds(0), after);
  // Plain when one offset period covers this midnight and the next: then no local time of the
  // day is skipped or repeated (a repeat late in the day shows in the next midnight's period).
  const auto start = zone->get_info(LocalSeconds(day));
  const auto end = zone->get_info(LocalSeconds(day + date::days(1)));
  if (start.result == date::local_info::unique && end.result == date::local_info::unique &&
      start.first.begin == end.first.begin) {
    return first_on_plain_day(cron, day, start.first.offset, after);
  }
  return first_on_changing_day(cron, day, *zone, after);
}

bool day_matches(const CronExpr& cron, date::local_days day) {
  const date::year_month_day ymd{day};
  return cron.matches_day(static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                          date::weekday{day}.c_encoding());
}

std::optional<Instant> search(const CronExpr& cron, Instant after, const date::time_zone* zone) {
  const LocalSeconds local_after =
      zone ? zone->to_local(after) : LocalSeconds(after.time_since_epoch());
  // Start a day early: near a DST change a time of the previous local date can still lie ahead.
  auto day = std::chrono::floor<date::days>(local_after) - date::days(1);
  const auto end = day + kHorizon + date::days(2);
  while (day < end) {
    const date::year_month_day ymd{day};
    if (!cron.months.test(static_cast<unsigned>(ymd.month()))) {
      day = date::local_days((ymd.year() / ymd.month() + date::months(1)) / 1);
      continue;
    }
    if (day_matches(cron, day)) {
      if (auto found = first_on_day(cron, day, zone, after)) {
        // A repeated hour around midnight can put the next date's first run earlier.
        const auto next = day + date::days(1);
        if (day_matches(cron, next)) {
          if (auto later = first_on_day(cron, next, zone, after)) found = std::min(*found, *later);
        }
        return found;
      }
    }
    day += date::days(1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Instant> next_after(const CronExpr& cron, Instant after,
                                  const date::time_zone* zone) {
  if (after < kEarliest || after > kLatest) return std::nullopt;
  try {
    return search(cron, after, zone);
  } catch (...) {
    // Only reading a zone's data can throw, and find_time_zone() has read it already.
    return std::nullopt;
  }
}

}  // namespace kopiur::schedule
