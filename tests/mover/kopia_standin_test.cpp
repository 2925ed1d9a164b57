// kopiur-kopia-standin against kopia's contract: commands, exit codes, --json shapes, a password
// that guards the repository, byte-identical restore, deduplication, maintenance and failure
// injection. Runs the built program as a child process.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"

#include "child_process.hpp"
#include "mover/tree_util.hpp"
#include "support/temp_dir.hpp"

namespace kopiur::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class StandinTest : public ::testing::Test {
 protected:
  RunResult kopia(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.push_back("--config-file=" + dir_.file("config/repository.config"));
    env.emplace("KOPIA_PASSWORD", "correct horse");
    env.emplace("KOPIA_STANDIN_INJECT", "");
    return run_program(program_path("kopia_standin/kopiur-kopia-standin"), args, env,
                       std::chrono::seconds(120));
  }
  void create_repo() {
    const auto r = kopia({"repository", "create", "filesystem", "--path", repo()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  json snapshot(const std::string& path) {
    const auto r = kopia({"snapshot", "create", path, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  std::size_t blobs() { return count_files(fs::path(repo()) / "blobs"); }
  std::string repo() { return dir_.file("repo"); }

  TempDir dir_{"kopia-standin-"};
};

TEST_F(StandinTest, StatusJsonHasKopiasFields) {
  create_repo();
  const auto r = kopia({"repository", "status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json status = json::parse(r.out);
  EXPECT_EQ(status["storage"]["type"], "filesystem");
  EXPECT_EQ(status["storage"]["config"]["path"], repo());
  EXPECT_EQ(status["uniqueIDHex"].get<std::string>().size(), 64u);
  EXPECT_TRUE(status["clientOptions"]["hostname"].is_string());
  EXPECT_TRUE(status["clientOptions"]["username"].is_string());
  EXPECT_EQ(status["configFile"], dir_.file("config/repository.config"));
}

TEST_F(StandinTest, WrongPasswordFailsLikeKopia) {
  create_repo();
  const auto r = run_program(program_path("kopia_standin/kopiur-kopia-standin"),
                             {"repository", "connect", "filesystem", "--path", repo(),
                              "--config-file", dir_.file("other.config")},
                             {{"KOPIA_PASSWORD", "wrong"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ERROR invalid repository password"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_.file("other.config")));
}

TEST_F(StandinTest, NotInitializedAndNotConnectedAreKopiasErrors) {
  auto r = kopia({"repository", "connect", "filesystem", "--path", repo()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("repository not initialized in the provided storage"), std::string::npos);
  r = kopia({"snapshot", "list", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("repository is not connected"), std::string::npos) << r.err;
  r = kopia({"snapshot", "list", "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("kopia: error: unknown long flag '--no-such-flag'"), std::string::npos);
}

TEST_F(StandinTest, RoundTripOfTenThousandFilesIsByteIdentical) {
  create_repo();
  TreeShape shape;
  shape.files = 10000;
  shape.per_dir = 250;
  shape.big_file_bytes = 9 * 1024 * 1024 + 17;  // three chunks: an indirect object
  make_tree(dir_.path() / "data", shape);
  const json manifest = snapshot(dir_.file("data"));
  EXPECT_EQ(manifest["source"]["path"], dir_.file("data"));
  EXPECT_EQ(manifest["rootEntry"]["summ"]["files"], 10002);  // + big.bin + empty
  EXPECT_FALSE(manifest.contains("stats")) << "kopia prints stats only with --json-verbose";
  const auto r = kopia({"snapshot", "restore", manifest["id"], dir_.file("restored")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Restored 10002 files"), std::string::npos) << r.err;
  EXPECT_EQ(compare_trees(dir_.path() / "data", dir_.path() / "restored"), "");
}

TEST_F(StandinTest, SecondBackupOfUnchangedDataAddsNoBlobs) {
  create_repo();
  make_tree(dir_.path() / "data", {.files = 300, .per_dir = 100});
  const json first = snapshot(dir_.file("data"));
  const std::size_t after_first = blobs();
  const json second = snapshot(dir_.file("data"));
  EXPECT_EQ(blobs(), after_first);
  EXPECT_NE(first["id"], second["id"]);
  EXPECT_EQ(first["rootEntry"]["obj"], second["rootEntry"]["obj"]);
  // 300 files, 6 of them identical ("shared content"): the duplicates are one blob.
  EXPECT_LT(after_first, 300u + 3u + 2u + 2u);
}

TEST_F(StandinTest, ListCoversEverySourceOldestFirst) {
  create_repo();
  make_tree(dir_.path() / "a", {.files = 3, .per_dir = 3});
  make_tree(dir_.path() / "b", {.files = 3, .per_dir = 3});
  const json a1 = snapshot(dir_.file("a"));
  const json b1 = snapshot(dir_.file("b"));
  const json a2 = snapshot(dir_.file("a"));
  const auto r = kopia({"snapshot", "list", "--json", "--all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("[\n {", 0), 0u) << "kopia's jsonList layout";
  const json list = json::parse(r.out);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["id"], a1["id"]);
  EXPECT_EQ(list[1]["id"], a2["id"]);
  EXPECT_EQ(list[2]["id"], b1["id"]);
  EXPECT_TRUE(list[0]["stats"]["totalSize"].is_number_integer());
  const auto only_b = kopia({"snapshot", "list", dir_.file("b"), "--json"});
  EXPECT_EQ(json::parse(only_b.out).size(), 1u);
}

TEST_F(StandinTest, MaintenanceReclaimsWhatADeletedSnapshotAlone) {
  create_repo();
  make_tree(dir_.path() / "data", {.files = 50, .per_dir = 50});
  const json keep = snapshot(dir_.file("data"));
  fs::create_directories(dir_.file("other"));
  std::ofstream(dir_.file("other/only-here"), std::ios::binary) << std::string(100000, 'z');
  const json gone = snapshot(dir_.file("other"));
  const std::size_t before = blobs();
  auto r = kopia({"snapshot", "delete", gone["id"]});  // without --delete: nothing happens
  EXPECT_NE(r.err.find("pass --delete to confirm"), std::string::npos);
  r = kopia({"snapshot", "delete", gone["id"], "--delete"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = kopia({"maintenance", "run", "--full", "--safety=none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The file and the directory object only the deleted snapshot referenced.
  EXPECT_EQ(blobs(), before - 2);
  r = kopia({"maintenance", "info", "--json"});
  const json info = json::parse(r.out);
  const json& run = info["schedule"]["runs"]["full-delete-blobs"][0];
  EXPECT_EQ(run["extra"][0]["kind"], "deleteUnreferencedPacksStats");
  EXPECT_EQ(run["extra"][0]["data"]["deletedPackCount"], 2);
  EXPECT_GT(run["extra"][0]["data"]["deletedTotalSize"].get<std::int64_t>(), 100000);
  // What is still referenced restores intact.
  r = kopia({"snapshot", "restore", keep["id"], dir_.file("restored")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(dir_.path() / "data", dir_.path() / "restored"), "");
}

TEST_F(StandinTest, SafeMaintenanceKeepsRecentBlobs) {
  create_repo();
  make_tree(dir_.path() / "data", {.files = 5, .per_dir = 5});
  const json s = snapshot(dir_.file("data"));
  ASSERT_EQ(kopia({"snapshot", "delete", s["id"], "--delete"}).exit_code, 0);
  const std::size_t before = blobs();
  ASSERT_EQ(kopia({"maintenance", "run", "--full"}).exit_code, 0);
  EXPECT_EQ(blobs(), before);
}

TEST_F(StandinTest, TamperedBlobIsDetected) {
  create_repo();
  make_tree(dir_.path() / "data", {.files = 1, .per_dir = 1});
  const json s = snapshot(dir_.file("data"));
  for (const auto& e : fs::recursive_directory_iterator(fs::path(repo()) / "blobs")) {
    if (!e.is_regular_file()) continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x55');
  }
  const auto r = kopia({"snapshot", "restore", s["id"], dir_.file("restored")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ERROR invalid checksum or corrupted data"), std::string::npos) << r.err;
}

TEST_F(StandinTest, InjectedFailuresBehaveAsDocumented) {
  create_repo();
  auto r = kopia({"repository", "status", "--json"}, {{"KOPIA_STANDIN_INJECT", "fail=7"}});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_NE(r.err.find("ERROR "), std::string::npos);
  r = kopia({"repository", "status", "--json"},
            {{"KOPIA_STANDIN_INJECT", "fail"}, {"KOPIA_STANDIN_INJECT_ON", "snapshot list"}});
  EXPECT_EQ(r.exit_code, 0) << "limited to another command";
  r = kopia({"repository", "status", "--json"}, {{"KOPIA_STANDIN_INJECT", "garbage"}});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(json::parse(r.out, nullptr, false).is_discarded());
  r = kopia({"repository", "status", "--json"}, {{"KOPIA_STANDIN_INJECT", "crash"}});
  EXPECT_EQ(r.exit_code, 128 + SIGABRT);
}

}  // namespace
}  // namespace kopiur::test
