// libFuzzer target for schedules: the first line is a cron expression, the second an IANA time
// zone name (BackupSchedule and Maintenance). A bad expression or zone gives an error; a good
// pair gives next and missed runs that respect their contracts (strictly later, never after now).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kopiur/schedule/cron.hpp"
#include "kopiur/schedule/next_run.hpp"
#include "kopiur/schedule/time_zone.hpp"

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace schedule = kopiur::schedule;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto newline = text.find('\n');
  const auto expression = text.substr(0, newline);
  const auto zone_name = newline == std::string_view::npos ? "" : text.substr(newline + 1);
  const auto cron = schedule::parse_cron(expression);
  if (!cron.ok()) {
    kopiur::fuzz::fuzz_require(!cron.error.empty());
    return 0;
  }
  const auto zone = schedule::find_time_zone(zone_name.empty() ? "UTC" : zone_name);
  if (!zone.ok()) return 0;
  if (schedule::never_runs(*cron.cron)) return 0;
  using namespace std::chrono;
  const schedule::Instant now{sys_days{year{2026} / 3 / 29} + hours{1} + minutes{30}};
  const auto next = schedule::next_after(*cron.cron, now, zone.zone);
  if (next) kopiur::fuzz::fuzz_require(*next > now);
  const auto missed =
      schedule::latest_missed_run(*cron.cron, zone.zone, now - days{3}, now, seconds{3600});
  if (missed) kopiur::fuzz::fuzz_require(*missed <= now && *missed > now - days{3});
  return 0;
}
