// File: kopiur/schedule/cron.hpp
//
// parse_cron(): a standard 5-field cron expression (minute hour day-of-month month day-of-week)
// or a macro, as used by BackupSchedule and Maintenance. The controller, the webhook and the CRD
// validation all parse through here, so they accept and reject exactly the same text.
//
//   auto parsed = parse_cron("30 2 * * MON-FRI");
//   if (!parsed.ok()) return parsed.error;  // e.g. `hour field "25": value 25 is out of range
//   0-23`
//
// Syntax per field: `*`, a value, a range `a-b`, steps `*/n`, `a-b/n` and `a/n` (= a-max/n), and
// comma-separated lists of these. Months take JAN-DEC, days of the week SUN-SAT (any case);
// day-of-week 0-7 with both 0 and 7 Sunday. `?` means `*` in the two day fields. Macros: @yearly
// (@annually), @monthly, @weekly, @daily (@midnight), @hourly. Classic day rule: when both
// day-of-month and day-of-week are restricted (not `*`), a day matches if EITHER matches
// (`0 0 1 * MON` = the 1st and every Monday); `*/n` counts as restricted.
//
// Thread-safety: pure functions over plain values. Cost: linear in the text. Failure: parse
// errors are values naming the field and the problem; nothing throws.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

namespace kopiur::schedule {

// CronExpr: the set of local wall-clock minutes a cron expression selects.
struct CronExpr {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // bits 1-31
  std::bitset<13> months;         // bits 1-12
  std::bitset<7> days_of_week;    // bits 0-6, 0 = Sunday (a 7 in the text sets bit 0)
  bool day_of_month_restricted = false;
  bool day_of_week_restricted = false;

  // True when the date (month 1-12, day 1-31, weekday 0-6 with 0 = Sunday) is a run day,
  // applying the either-matches rule above.
  [[nodiscard]] bool matches_day(unsigned month, unsigned day, unsigned weekday) const;
  // True when every hour 0-23 is selected: such a job follows real time across DST changes
  // (see next_run.hpp).
  [[nodiscard]] bool every_hour() const { return hours.all(); }

  bool operator==(const CronExpr&) const = default;
};

struct CronParse {
  std::optional<CronExpr> cron;
  std::string error;  // empty on success
  [[nodiscard]] bool ok() const { return cron.has_value(); }
};

// parse_cron: the expression, or an error such as
//   hour field "25": value 25 is out of range 0-23
//   expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily,
//   got 4 in "0 * * *"
[[nodiscard]] CronParse parse_cron(std::string_view text);

// never_runs: why an expression that parsed can never fire (e.g. "0 0 30 2 *": February never
// has a day 30), or nullopt when some date matches. The API validation rejects such schedules.
[[nodiscard]] std::optional<std::string> never_runs(const CronExpr& cron);

}  // namespace kopiur::schedule
