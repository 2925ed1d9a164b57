// find_time_zone(): UTC without the database, IANA names from the system tzdata, clear errors.
#include "kopiur/schedule/time_zone.hpp"

#include <string>

#include <date/tz.h>
#include <gtest/gtest.h>

namespace kopiur::schedule {
namespace {

TEST(TimeZone, EmptyAndUtcAreUtcWithoutTheDatabase) {
  for (const auto* name : {"", "UTC"}) {
    const auto found = find_time_zone(name);
    EXPECT_TRUE(found.ok()) << name << ": " << found.error;
    EXPECT_EQ(found.zone, nullptr) << name;
  }
}

TEST(TimeZone, IanaNamesAreFound) {
  for (const auto* name : {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                           "America/Argentina/Buenos_Aires", "Etc/UTC", "Asia/Kolkata"}) {
    const auto found = find_time_zone(name);
    ASSERT_TRUE(found.ok()) << name << ": " << found.error;
    ASSERT_NE(found.zone, nullptr) << name;
    EXPECT_EQ(found.zone->name(), name);
  }
}

TEST(TimeZone, UnknownNamesGetAnActionableError) {
  EXPECT_EQ(find_time_zone("Mars/Base").error,
            "unknown time zone \"Mars/Base\": use an IANA name such as Europe/Berlin");
  EXPECT_EQ(find_time_zone("Berlin").error,
            "unknown time zone \"Berlin\": use an IANA name such as Europe/Berlin");
  EXPECT_EQ(find_time_zone("europe/berlin").error,
            "unknown time zone \"europe/berlin\": did you mean \"Europe/Berlin\"? (names are "
            "case-sensitive)");
  EXPECT_EQ(find_time_zone("utc").error,
            "unknown time zone \"utc\": did you mean \"UTC\"? (names are case-sensitive)");
  EXPECT_FALSE(find_time_zone("Local").ok());
  EXPECT_EQ(find_time_zone("Local").zone, nullptr);
}

TEST(TimeZone, FilesThatAreNotZonesAreRejected) {
  for (const auto* name :
       {"../../etc/passwd", "/etc/localtime", "Europe/../Europe/Berlin", "Europe/", "localtime",
        "posixrules", "right/Europe/Berlin", "posix/Europe/Berlin", "zone.tab", "tzdata.zi",
        "leapseconds", "iso3166.tab", "Europe"}) {
    const auto found = find_time_zone(name);
    EXPECT_FALSE(found.ok()) << name;
    EXPECT_NE(found.error.find("unknown time zone"), std::string::npos) << found.error;
  }
}

TEST(TimeZone, HugeNamesAreCutInTheMessage) {
  const std::string name(10000, 'x');
  const auto found = find_time_zone(name);
  ASSERT_FALSE(found.ok());
  EXPECT_LT(found.error.size(), 200u) << found.error;
}

}  // namespace
}  // namespace kopiur::schedule
