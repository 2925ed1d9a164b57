// IANA zone names to zones of the system's time zone database, with errors a person can act on.
#include "kopiur/schedule/time_zone.hpp"

#include <chrono>
#include <exception>

#include <date/tz.h>

#include "schedule/text.hpp"

namespace kopiur::schedule {
namespace {

using detail::equal_fold;
using detail::quoted;

// The system database lists /usr/share/zoneinfo/localtime too: the host's own zone, which would
// make a schedule depend on the machine that reads it.
bool usable(const date::time_zone& zone) { return zone.name() != "localtime"; }

// The zone whose name differs from `name` only in case, for a "did you mean" hint.
const date::time_zone* same_but_case(std::string_view name) {
  for (const auto& zone : date::get_tzdb().zones) {
    if (usable(zone) && equal_fold(zone.name(), name)) return &zone;
  }
  return nullptr;
}

}  // namespace

TimeZoneLookup find_time_zone(std::string_view name) {
  // UTC needs no database: a host or image without tzdata still runs UTC schedules.
  if (name.empty() || name == "UTC") return {};
  try {
    const auto& db = date::get_tzdb();
    for (const auto& zone : db.zones) {
      if (zone.name() != name || !usable(zone)) continue;
      // Reading the zone's data now means a zone that is found cannot fail later.
      (void)zone.get_info(std::chrono::sys_seconds{});
      return {&zone, ""};
    }
    if (const auto* hint = same_but_case(name)) {
      return {nullptr, "unknown time zone " + quoted(name) + ": did you mean " +
                           quoted(hint->name()) + "? (names are case-sensitive)"};
    }
    return {nullptr,
            "unknown time zone " + quoted(name) + ": use an IANA name such as Europe/Berlin"};
  } catch (const std::exception& e) {
    return {nullptr, "time zone " + quoted(name) +
                         " cannot be used: the system time zone database "
                         "(/usr/share/zoneinfo, package tzdata) could not be read: " +
                         e.what()};
  }
}

}  // namespace kopiur::schedule
