// File: kopiur/schedule/time_zone.hpp
//
// find_time_zone(): an IANA time zone name (the `timezone` field of BackupSchedule and
// Maintenance) to a zone of the system's time zone database (/usr/share/zoneinfo, Debian's
// tzdata). An empty name and "UTC" are UTC and need no database: the zone pointer is then
// nullptr, which next_after() and latest_missed_run() read as UTC.
//
//   auto tz = find_time_zone("Europe/Berlin");
//   if (!tz.ok()) return tz.error;  // unknown time zone "Mars/Base": use an IANA name such as ...
//
// Thread-safety: safe from any thread (the database is loaded once, on first use). Cost: the
// first call reads the zone list; later calls are a lookup. Failure: an error value naming the
// zone; nothing throws. A zone that is found has also had its data read, so later use of it
// cannot fail.
#pragma once

#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace kopiur::schedule {

struct TimeZoneLookup {
  const date::time_zone* zone = nullptr;  // nullptr = UTC
  std::string error;                      // empty on success
  [[nodiscard]] bool ok() const { return error.empty(); }
};

// find_time_zone: the zone, or an error such as
//   unknown time zone "Mars/Base": use an IANA name such as Europe/Berlin
//   unknown time zone "europe/berlin": did you mean "Europe/Berlin"? (names are case-sensitive)
[[nodiscard]] TimeZoneLookup find_time_zone(std::string_view name);

}  // namespace kopiur::schedule
