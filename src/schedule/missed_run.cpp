// latest_missed_run(): the one run to make up for after an outage (rule in next_run.hpp).
#include <algorithm>

#include "kopiur/schedule/next_run.hpp"

namespace kopiur::schedule {

std::optional<Instant> latest_missed_run(const CronExpr& cron, const date::time_zone* zone,
                                         Instant last_scheduled, Instant now,
                                         std::optional<std::chrono::seconds> starting_deadline) {
  if (now <= last_scheduled || now < kEarliest || now > kLatest) return std::nullopt;
  last_scheduled = std::max(last_scheduled, kEarliest - std::chrono::seconds(1));
  // Runs at or after now - deadline still count; strictly after `floor` in whole seconds.
  Instant floor = last_scheduled;
  if (starting_deadline) {
    const auto deadline = std::max(*starting_deadline, std::chrono::seconds(0));
    if (now - floor > deadline) floor = now - deadline - std::chrono::seconds(1);
  }
  // Look back through windows that double in width, newest first, so an outage of months with
  // a minutely schedule costs a few windows rather than one step per missed run.
  std::chrono::seconds width = std::chrono::hours(1);
  Instant high = now;
  while (true) {
    const Instant low = high - floor > width ? high - width : floor;
    std::optional<Instant> latest;
    for (auto run = next_after(cron, low, zone); run && *run <= high;
         run = next_after(cron, *run, zone)) {
      latest = run;
    }
    if (latest || low == floor) return latest;
    high = low;
    width *= 2;
  }
}

}  // namespace kopiur::schedule
