// Parsing kopia's --json outputs by kopia's field names; absent figures stay absent; any other
// shape is an error that quotes the output's head.
#include "kopiur/mover/kopia_json.hpp"

#include <gtest/gtest.h>

namespace kopiur::mover {
namespace {

// A manifest as kopia 0.17+ prints for `snapshot create --json` (stats removed, summ present).
constexpr const char* kCreated =
    R"({"id":"2dbfc7ef56dd847db90034d612aaf897","source":{"host":"ns1","userName":"pvc",)"
    R"("path":"/data"},"description":"","startTime":"2026-01-02T03:04:05.5Z",)"
    R"("endTime":"2026-01-02T03:04:06Z","rootEntry":{"name":"data","type":"d","mode":"0755",)"
    R"("mtime":"2026-01-01T00:00:00Z","obj":"kabc","summ":{"size":391,"files":50,)"
    R"("symlinks":0,"dirs":2,"maxTime":"2026-01-01T00:00:00Z","numFailed":0}}})";

TEST(KopiaJson, SnapshotCreateReadsRootSummaryWhenStatsAreAbsent) {
  const auto p = parse_snapshot_create(kCreated);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.value.id, "2dbfc7ef56dd847db90034d612aaf897");
  EXPECT_EQ(p.value.user_name, "pvc");
  EXPECT_EQ(p.value.root_object, "kabc");
  EXPECT_EQ(p.value.size_bytes, 391);
  EXPECT_EQ(p.value.files, 50);
  EXPECT_EQ(p.value.dirs, 2);
}

TEST(KopiaJson, StatsWinAndMissingFiguresStayAbsent) {
  const auto p = parse_snapshot_create(
      R"({"id":"x","source":{"host":"h","userName":"u","path":"/p"},"startTime":"t",)"
      R"("stats":{"totalSize":10,"fileCount":3},"rootEntry":{"obj":"k1"}})");
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.value.size_bytes, 10);
  EXPECT_EQ(p.value.files, 3);
  EXPECT_FALSE(p.value.dirs.has_value()) << "unknown is absent, never zero";
  EXPECT_FALSE(p.value.cached_files.has_value());
  EXPECT_FALSE(p.value.non_cached_files.has_value());
}

TEST(KopiaJson, VerboseStatsGiveTheCachedAndHashedFiles) {
  const auto p = parse_snapshot_create(
      R"({"id":"x","source":{"host":"h","userName":"u","path":"/p"},"startTime":"t",)"
      R"("stats":{"totalSize":10,"fileCount":5,"cachedFiles":3,"nonCachedFiles":2},)"
      R"("rootEntry":{"obj":"k1"}})");
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.value.cached_files, 3);
  EXPECT_EQ(p.value.non_cached_files, 2);
}

TEST(KopiaJson, UnexpectedShapesQuoteTheHead) {
  auto p = parse_snapshot_create("this is not JSON {");
  EXPECT_NE(p.error.find("unexpected output of kopia snapshot create --json (not JSON); output "
                         "begins: \"this is not JSON {\""),
            std::string::npos)
      << p.error;
  p = parse_snapshot_create(R"({"id":"x","source":{"host":"h"}})");
  EXPECT_NE(p.error.find("missing source.userName"), std::string::npos) << p.error;
  p = parse_snapshot_create("[]");
  EXPECT_NE(p.error.find("expected a snapshot manifest object"), std::string::npos);
  const auto l = parse_snapshot_list(R"({"id":1})");
  EXPECT_NE(l.error.find("expected an array"), std::string::npos);
  const auto s = parse_repository_status(R"({"uniqueIDHex":5})");
  EXPECT_NE(s.error.find("uniqueIDHex is not a string"), std::string::npos) << s.error;
  EXPECT_EQ(output_head(std::string(500, 'x')).size(), 203u);
}

TEST(KopiaJson, ListAndStatus) {
  const auto l = parse_snapshot_list(std::string("[\n ") + kCreated + ",\n " + kCreated + "\n]");
  ASSERT_EQ(l.error, "");
  EXPECT_EQ(l.value.size(), 2u);
  EXPECT_EQ(parse_snapshot_list("[\n]").value.size(), 0u);
  const auto s = parse_repository_status(
      R"({"configFile":"/c","uniqueIDHex":"ab","clientOptions":{"hostname":"h","username":"u"},)"
      R"("storage":{"type":"filesystem","config":{"path":"/r"}}})");
  ASSERT_EQ(s.error, "");
  EXPECT_EQ(s.value.unique_id, "ab");
  EXPECT_EQ(s.value.storage_type, "filesystem");
}

TEST(KopiaJson, ReclaimedBytesComeFromTheNewestFullDeleteRun) {
  const std::string info =
      R"({"owner":"u@h","schedule":{"runs":{"full-delete-blobs":[)"
      R"({"start":"2026-01-02T00:00:00Z","end":"2026-01-02T00:00:01.5Z","success":true,)"
      R"("extra":[{"kind":"deleteUnreferencedPacksStats","data":{"deletedTotalSize":4242}}]},)"
      R"({"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:01Z","success":true,)"
      R"("extra":[{"kind":"deleteUnreferencedPacksStats","data":{"deletedTotalSize":1}}]}]}}})";
  const std::int64_t jan2 = 1767312000;  // 2026-01-02T00:00:00Z
  auto p = parse_reclaimed_bytes(info, jan2);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.value, 4242);
  p = parse_reclaimed_bytes(info, jan2 + 60);  // that run is older than ours
  EXPECT_FALSE(p.value.has_value());
  p = parse_reclaimed_bytes(R"({"schedule":{"runs":{}}})", 0);
  EXPECT_EQ(p.error, "");
  EXPECT_FALSE(p.value.has_value());
  p = parse_reclaimed_bytes(R"({"schedule":{"runs":{"full-delete-blobs":[{"end":"x"}]}}})", 0);
  EXPECT_NE(p.error.find("run.end is not an RFC 3339 time"), std::string::npos) << p.error;
  p = parse_reclaimed_bytes(R"({"schedule":{"runs":{"full-delete-blobs":[)"
                            R"({"end":"2026-01-02T00:00:00Z","extra":[7]}]}}})",
                            0);
  EXPECT_NE(p.error, "") << "a malformed extra is an error, not a crash";
}

}  // namespace
}  // namespace kopiur::mover
