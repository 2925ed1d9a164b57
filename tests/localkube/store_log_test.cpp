// The store's log and snapshot (store_log.hpp, store_persistence.cpp): a torn tail is dropped
// with a warning, damage in the middle is refused, compaction keeps every object, the earlier
// whole-state file still loads, and watch history shares the stored objects.
#include "localkube/detail/store_log.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "localkube/detail/local_store.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct StoreLogFixture {
  explicit StoreLogFixture(const std::filesystem::path& dir, std::uint64_t compact_min = 1U << 20,
                           std::uint64_t factor = 2) {
    LocalStore::Options options;
    options.data_dir = dir.string();
    options.compact_min_bytes = compact_min;
    options.compact_factor = factor;
    options.on_warning = [this](std::string_view message) {
      std::lock_guard lock(warnings_mu);
      warnings.emplace_back(message);
    };
    store = std::make_unique<LocalStore>(options);
    loaded = store->load();
    if (loaded.ok()) configmaps = *store->find("", "v1", "configmaps");
  }

  Result<json> create(const std::string& name) {
    return store->create(configmaps, "default",
                         {{"metadata", {{"name", name}}}, {"data", {{"k", name}}}});
  }
  bool has(const std::string& name) { return store->get(configmaps, "default", name).ok(); }

  // Compaction warns from its own thread.
  std::vector<std::string> warnings_now() {
    std::lock_guard lock(warnings_mu);
    return warnings;
  }

  std::mutex warnings_mu;
  std::vector<std::string> warnings;
  std::unique_ptr<LocalStore> store;
  Status loaded;
  ResourceType configmaps;
};

std::uintmax_t store_log_file_size(const test::TempDir& dir) {
  return std::filesystem::file_size(dir.path() / "state.log");
}

TEST(StoreLog, FramesCarryLengthAndCrc32c) {
  EXPECT_EQ(store_log_crc32c("123456789"), 0xE3069283U);  // the CRC-32C check value
  const auto frame = store_log_frame("abc");
  ASSERT_EQ(frame.size(), 11U);
  EXPECT_EQ(frame.substr(0, 4), std::string("\x03\0\0\0", 4));
  EXPECT_EQ(frame.substr(8), "abc");
}

TEST(StoreLog, TornTailIsDroppedWithAWarningAndEarlierRecordsKept) {
  test::TempDir dir;
  {
    StoreLogFixture first(dir.path());
    ASSERT_TRUE(first.loaded.ok()) << first.loaded.error().to_string();
    for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(first.create(name).ok());
  }
  // A crash in the middle of writing the last record.
  std::filesystem::resize_file(dir.path() / "state.log", store_log_file_size(dir) - 5);
  {
    StoreLogFixture second(dir.path());
    ASSERT_TRUE(second.loaded.ok()) << second.loaded.error().to_string();
    ASSERT_EQ(second.warnings.size(), 1U);
    EXPECT_NE(second.warnings[0].find("cut short by a crash"), std::string::npos)
        << second.warnings[0];
    EXPECT_TRUE(second.has("a"));
    EXPECT_TRUE(second.has("b"));
    EXPECT_FALSE(second.has("c"));
    // The torn bytes are gone before the next append, so the new record is readable.
    ASSERT_TRUE(second.create("d").ok());
  }
  StoreLogFixture third(dir.path());
  ASSERT_TRUE(third.loaded.ok()) << third.loaded.error().to_string();
  EXPECT_TRUE(third.warnings.empty());
  EXPECT_TRUE(third.has("a") && third.has("b") && third.has("d"));
}

TEST(StoreLog, AHeaderCutShortLoadsTheSnapshot) {
  test::TempDir dir;
  { StoreLogFixture first(dir.path()); }
  std::filesystem::resize_file(dir.path() / "state.log", 3);
  StoreLogFixture second(dir.path());
  ASSERT_TRUE(second.loaded.ok()) << second.loaded.error().to_string();
  EXPECT_EQ(second.warnings.size(), 1U);
  ASSERT_TRUE(second.create("x").ok());
}

TEST(StoreLog, DamageFollowedByIntactRecordsIsRefused) {
  test::TempDir dir;
  {
    StoreLogFixture first(dir.path());
    for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(first.create(name).ok());
  }
  {
    std::fstream file(dir.path() / "state.log", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(StoreLog::kHeader.size() + 8 + 3);  // inside the first record's payload
    file.put('#');
  }
  StoreLogFixture second(dir.path());
  ASSERT_FALSE(second.loaded.ok());
  EXPECT_NE(second.loaded.error().to_string().find("damaged record"), std::string::npos)
      << second.loaded.error().to_string();
}

TEST(StoreLog, ANonLogFileIsRefused) {
  test::TempDir dir;
  { StoreLogFixture first(dir.path()); }
  std::ofstream(dir.path() / "state.log") << "something else entirely";
  StoreLogFixture second(dir.path());
  ASSERT_FALSE(second.loaded.ok());
  EXPECT_NE(second.loaded.error().to_string().find("state.log"), std::string::npos);
}

TEST(StoreLog, CompactionKeepsEveryObjectAndShortensTheLog) {
  test::TempDir dir;
  std::int64_t before = 0;
  std::int64_t first_rv = 0;
  {
    StoreLogFixture first(dir.path(), /*compact_min=*/4096, /*factor=*/1);
    for (int i = 0; i < 60; ++i) {
      auto created = first.create("cm-" + std::to_string(i));
      ASSERT_TRUE(created.ok());
      if (i == 0)
        first_rv = std::stoll((*created)["metadata"]["resourceVersion"].get<std::string>());
    }
    for (int i = 0; i < 60; i += 3) {
      ASSERT_TRUE(first.store->remove(first.configmaps, "default", "cm-" + std::to_string(i)).ok());
    }
    ASSERT_TRUE(
        test::wait_until([&] { return first.store->compactions() > 0; }, std::chrono::seconds(20)));
    before = first.store->current_rv();
  }
  auto content = StoreLog::read(dir.path() / "state.log");
  ASSERT_TRUE(content.ok());
  if (!content->payloads.empty()) {
    EXPECT_GT(json::parse(content->payloads.front())["rv"].get<std::int64_t>(), first_rv)
        << "the records the snapshot covers were dropped";
  }
  StoreLogFixture second(dir.path());
  ASSERT_TRUE(second.loaded.ok()) << second.loaded.error().to_string();
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(second.has("cm-" + std::to_string(i)), i % 3 != 0) << i;
  }
  EXPECT_EQ(second.store->current_rv(), before);
}

// Compaction while four writers keep updating: every acknowledged value is what loads.
TEST(StoreLog, CompactionUnderConcurrentWritesLosesNothing) {
  test::TempDir dir;
  std::vector<std::map<std::string, int>> last(4);
  {
    StoreLogFixture first(dir.path(), /*compact_min=*/8192, /*factor=*/2);
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        for (int round = 0; !stop; ++round) {
          for (int i = 0; i < 10 && !stop; ++i) {
            const auto name = "t" + std::to_string(t) + "-" + std::to_string(i);
            const json data = {{"v", std::to_string(round)}};
            auto written =
                round == 0 ? first.store->create(first.configmaps, "default",
                                                 {{"metadata", {{"name", name}}}, {"data", data}})
                           : first.store->patch(
                                 first.configmaps, "default", name,
                                 [&](const json& current) -> Result<json> {
                                   json next = current;
                                   next["data"] = data;
                                   return next;
                                 },
                                 false, false);
            ASSERT_TRUE(written.ok()) << written.error().to_string();
            last[static_cast<std::size_t>(t)][name] = round;
          }
        }
      });
    }
    const bool compacted =
        test::wait_until([&] { return first.store->compactions() >= 3; }, std::chrono::seconds(60));
    stop = true;
    for (auto& w : writers) w.join();
    ASSERT_TRUE(compacted) << "compactions: " << first.store->compactions();
  }
  StoreLogFixture second(dir.path());
  ASSERT_TRUE(second.loaded.ok()) << second.loaded.error().to_string();
  for (const auto& per_writer : last) {
    for (const auto& [name, round] : per_writer) {
      auto got = second.store->get(second.configmaps, "default", name);
      ASSERT_TRUE(got.ok()) << name;
      EXPECT_EQ((*got)["data"]["v"], std::to_string(round)) << name;
    }
  }
}

// A snapshot that cannot be written is reported and retried later; writes go on meanwhile.
TEST(StoreLog, AFailedCompactionIsReportedAndWritesContinue) {
  test::TempDir dir;
  int next = 0;
  {
    StoreLogFixture first(dir.path(), /*compact_min=*/2048, /*factor=*/1);
    ASSERT_TRUE(first.loaded.ok());
    std::filesystem::create_directory(dir.path() / "state.json.tmp");  // the snapshot cannot open
    const auto write = [&] { return first.create("cm-" + std::to_string(next++)).ok(); };
    ASSERT_TRUE(test::wait_until([&] { return write() && !first.warnings_now().empty(); }, 20s));
    EXPECT_NE(first.warnings_now()[0].find("compaction"), std::string::npos)
        << first.warnings_now()[0];
    EXPECT_EQ(first.store->compactions(), 0U);
    std::filesystem::remove(dir.path() / "state.json.tmp");
    ASSERT_TRUE(test::wait_until([&] { return write() && first.store->compactions() > 0; }, 20s));
  }
  StoreLogFixture second(dir.path());
  ASSERT_TRUE(second.loaded.ok()) << second.loaded.error().to_string();
  for (int i = 0; i < next; ++i) EXPECT_TRUE(second.has("cm-" + std::to_string(i))) << i;
}

TEST(StoreLog, TheEarlierWholeStateFileLoads) {
  test::TempDir dir;
  const json ns = {{"apiVersion", "v1"},
                   {"kind", "Namespace"},
                   {"metadata", {{"name", "default"}, {"resourceVersion", "1"}}}};
  const json cm = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", {{"name", "old"}, {"namespace", "default"}, {"resourceVersion", "42"}}}};
  const json state = {{"resourceVersion", 42},
                      {"objects",
                       {{{"key", "/namespaces\n\ndefault"}, {"object", ns}},
                        {{"key", "/configmaps\ndefault\nold"}, {"object", cm}}}}};
  std::ofstream(dir.path() / "state.json") << state.dump();
  {
    StoreLogFixture first(dir.path());
    ASSERT_TRUE(first.loaded.ok()) << first.loaded.error().to_string();
    EXPECT_TRUE(first.has("old"));
    auto next = first.create("new");
    ASSERT_TRUE(next.ok());
    EXPECT_EQ((*next)["metadata"]["resourceVersion"], "43");
  }
  StoreLogFixture second(dir.path());
  EXPECT_TRUE(second.has("old") && second.has("new"));
}

TEST(StoreLog, ConcurrentWritersAreAllDurable) {
  test::TempDir dir;
  {
    StoreLogFixture first(dir.path());
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < 40; ++i) {
          EXPECT_TRUE(first.create("w" + std::to_string(t) + "-" + std::to_string(i)).ok());
        }
      });
    }
    for (auto& w : writers) w.join();
  }
  StoreLogFixture second(dir.path());
  ASSERT_TRUE(second.loaded.ok());
  EXPECT_EQ(second.store->list(second.configmaps, "default").first.size(), 160U);
}

TEST(StoreLog, WatchHistorySharesTheStoredObject) {
  LocalStore store(LocalStore::Options{});
  const auto configmaps = *store.find("", "v1", "configmaps");
  const auto rv = store.current_rv();
  ASSERT_TRUE(store.create(configmaps, "default", {{"metadata", {{"name", "x"}}}}).ok());
  const auto events = store.events_since(configmaps.key(), rv);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 1U);
  const auto listed = store.list_shared(configmaps, "default").first;
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(events->front().object.get(), listed.front().object.get()) << "one object, not a copy";
  const auto line = json::parse(*events->front().line);
  EXPECT_EQ(line["type"], "ADDED");
  EXPECT_EQ(line["object"], *listed.front().object);
  EXPECT_EQ(json::parse(*listed.front().text), *listed.front().object);
}

}  // namespace
}  // namespace kopiur::localkube::detail
