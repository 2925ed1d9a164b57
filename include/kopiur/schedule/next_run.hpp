// File: kopiur/schedule/next_run.hpp
//
// When a cron schedule fires, as instants (UTC seconds), for a schedule read in a time zone.
//
//   auto next = next_after(cron, now, zone);             // first run strictly after now
//   auto due = latest_missed_run(cron, zone, last, now, std::chrono::seconds(300));
//
// Daylight saving time. The expression names local wall-clock times; a DST change makes some of
// them not exist (spring forward) or exist twice (fall back). A job whose hour field is not every
// hour (e.g. `30 2 * * *`) is a fixed-time job: a time in the skipped interval runs ONCE at the
// first instant after the gap (02:30 on a day the clock jumps 02:00 -> 03:00 runs at 03:00; it is
// never skipped), and a time that occurs twice runs once, at its first occurrence. A job whose
// hour field is every hour (`0 * * * *`, `*/15 * * * *`) follows real time: it runs at each
// occurrence of a repeated time and skips times that do not exist, so it keeps running every
// real hour across both changes. (This is Vixie cron's rule, with "wildcard" decided by the hour
// field alone.)
//
// Thread-safety: pure functions. Cost: a day-by-day scan of local dates, skipping months that do
// not match, with at most 1440 zone lookups on a day with a DST change. Failure: nullopt when no
// run exists within kHorizon (e.g. `0 0 30 2 *`); nothing throws.
#pragma once

#include <chrono>
#include <optional>

#include "kopiur/schedule/cron.hpp"

namespace date {
class time_zone;
}

namespace kopiur::schedule {

using Instant = std::chrono::sys_seconds;

// How far ahead next_after() looks: 9 years covers the longest real gap between runs
// (February 29 only: 8 years around a century that is not a leap year).
inline constexpr std::chrono::days kHorizon{9 * 366};

// The instants the functions below accept; outside them they return nullopt (so garbage from a
// status field cannot overflow the date arithmetic).
inline constexpr Instant kEarliest{std::chrono::sys_days{std::chrono::days(0)}};  // 1970-01-01
inline constexpr Instant kLatest{
    std::chrono::sys_days{std::chrono::days(2'567'655)}};  // 9000-01-01

// next_after: the first run strictly after `after`, reading the expression in `zone` (nullptr =
// UTC), or nullopt when none exists within kHorizon.
[[nodiscard]] std::optional<Instant> next_after(const CronExpr& cron, Instant after,
                                                const date::time_zone* zone);

// latest_missed_run: the run to start now for runs missed while nobody was watching (the
// controller was down), or nullopt. Of the runs in (last_scheduled, now] only the most recent
// counts, so a long outage causes at most ONE run, never a burst. With a starting deadline that
// run must also be no older than the deadline (now - run <= deadline); an older one is dropped
// and the schedule waits for its next time. Without a deadline the most recent run always counts.
[[nodiscard]] std::optional<Instant> latest_missed_run(
    const CronExpr& cron, const date::time_zone* zone, Instant last_scheduled, Instant now,
    std::optional<std::chrono::seconds> starting_deadline);

}  // namespace kopiur::schedule
