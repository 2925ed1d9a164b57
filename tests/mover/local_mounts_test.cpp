// KOPIUR_LOCAL_MOUNTS: container paths translated to where kopiur-localkube keeps the volumes.
#include "kopiur/mover/local_mounts.hpp"

#include <gtest/gtest.h>

namespace kopiur::mover {
namespace {

LocalMounts parsed(const char* value) {
  auto result = LocalMounts::parse(value);
  EXPECT_TRUE(std::holds_alternative<LocalMounts>(result)) << std::get<std::string>(result);
  return std::holds_alternative<LocalMounts>(result) ? std::get<LocalMounts>(result)
                                                     : LocalMounts{};
}

std::string error_of(const char* value) {
  auto result = LocalMounts::parse(value);
  return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : "";
}

TEST(LocalMounts, UnsetOrEmptyLeavesEveryPathAsItIs) {
  for (const char* value : {static_cast<const char*>(nullptr), ""}) {
    const auto mounts = parsed(value);
    EXPECT_TRUE(mounts.empty());
    EXPECT_EQ(mounts.resolve("/data/app"), "/data/app");
  }
}

TEST(LocalMounts, LongestMountThatIsADirectoryPrefixWins) {
  const auto mounts = parsed(
      R"({"/data": "/host/pvc", "/data/app/cache": "/host/cache", "/etc/kopiur/": "/host/secret/"})");
  EXPECT_EQ(mounts.resolve("/data"), "/host/pvc");
  EXPECT_EQ(mounts.resolve("/data/app"), "/host/pvc/app");
  EXPECT_EQ(mounts.resolve("/data/app/cache/x"), "/host/cache/x");
  EXPECT_EQ(mounts.resolve("/etc/kopiur/work.json"), "/host/secret/work.json");
  // A name that merely starts like a mount is not inside it.
  EXPECT_EQ(mounts.resolve("/database"), "/database");
  EXPECT_EQ(mounts.resolve("/tmp/x"), "/tmp/x");
}

TEST(LocalMounts, MalformedValuesAreNamedErrors) {
  EXPECT_NE(error_of("not json").find("KOPIUR_LOCAL_MOUNTS must be a JSON object"),
            std::string::npos);
  EXPECT_NE(error_of("[1,2]").find("JSON object"), std::string::npos);
  EXPECT_NE(error_of(R"({"relative": "/x"})").find("entry \"relative\""), std::string::npos);
  EXPECT_NE(error_of(R"({"/data": 3})").find("entry \"/data\""), std::string::npos);
  EXPECT_NE(error_of(R"({"/data": ""})").find("non-empty host path"), std::string::npos);
}

}  // namespace
}  // namespace kopiur::mover
