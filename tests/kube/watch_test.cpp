// Watch, Watcher and Reflector against the local API server: bookmarks, 410, re-list, reconnect
// after a server restart.
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "kopiur/kube/client.hpp"
#include "kopiur/kube/reflector.hpp"
#include "kopiur/kube/watcher.hpp"

#include "kube/test_util.hpp"

namespace kopiur::kube {
namespace {

using nlohmann::json;
using testing::eventually;

json config_map(const std::string& name, const std::string& value = "1") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}}},
          {"data", {{"v", value}}}};
}

TEST(Watch, StreamsChangesAfterTheListAndSendsBookmarks) {
  LocalApiServer::Options options;
  options.bookmark_interval = std::chrono::milliseconds(50);
  auto server = testing::start_server(options);
  ASSERT_NE(server, nullptr);
  Client client(testing::config_for(*server));
  ASSERT_TRUE(client.create(resources::kConfigMaps, "default", config_map("before")).ok());
  auto list = client.list(resources::kConfigMaps, "default");
  ASSERT_TRUE(list.ok());

  std::mutex mu;
  std::condition_variable cv;
  std::vector<WatchEvent> events;
  CancelToken cancel;
  std::thread watcher([&] {
    WatchOptions watch_options;
    watch_options.resource_version = (*list)["metadata"]["resourceVersion"];
    auto s = client.watch(
        resources::kConfigMaps, "default", watch_options,
        [&](WatchEvent&& e) {
          std::lock_guard lock(mu);
          events.push_back(std::move(e));
          cv.notify_all();
          return true;
        },
        &cancel);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
  });
  ASSERT_TRUE(client.create(resources::kConfigMaps, "default", config_map("after")).ok());
  ASSERT_TRUE(client.remove(resources::kConfigMaps, "default", "before").ok());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] {
      bool bookmark = false;
      for (const auto& e : events) bookmark = bookmark || e.type == WatchEvent::Type::kBookmark;
      int changes = 0;
      for (const auto& e : events) changes += e.type != WatchEvent::Type::kBookmark;
      return bookmark && changes >= 2;
    }));
    std::vector<std::pair<WatchEvent::Type, std::string>> changes;
    for (const auto& e : events) {
      if (e.type != WatchEvent::Type::kBookmark) {
        changes.emplace_back(e.type, e.object["metadata"]["name"].get<std::string>());
      }
    }
    ASSERT_EQ(changes.size(), 2u) << "nothing from before the list's resourceVersion";
    EXPECT_EQ(changes[0], std::make_pair(WatchEvent::Type::kAdded, std::string("after")));
    EXPECT_EQ(changes[1], std::make_pair(WatchEvent::Type::kDeleted, std::string("before")));
  }
  cancel.cancel();  // interrupts the idle stream at once
  watcher.join();
}

TEST(Watch, TooOldResourceVersionIsGone) {
  LocalApiServer::Options options;
  options.watch_history = 2;
  auto server = testing::start_server(options);
  ASSERT_NE(server, nullptr);
  Client client(testing::config_for(*server));
  auto first = client.create(resources::kConfigMaps, "default", config_map("a"));
  ASSERT_TRUE(first.ok());
  for (const char* name : {"b", "c", "d", "e"}) {
    ASSERT_TRUE(client.create(resources::kConfigMaps, "default", config_map(name)).ok());
  }
  WatchOptions watch;
  watch.resource_version = (*first)["metadata"]["resourceVersion"];
  std::vector<WatchEvent> events;
  auto s = client.watch(resources::kConfigMaps, "default", watch, [&](WatchEvent&& e) {
    events.push_back(std::move(e));
    return true;
  });
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, WatchEvent::Type::kError);
  EXPECT_EQ(events[0].object["code"], 410);
  EXPECT_EQ(events[0].object["reason"], "Expired");
}

// The store without a server: an event changes the live map in place, snapshot() is copied once
// per change and shared until the next, an earlier snapshot never changes, find() hands out the
// cached object itself.
TEST(Reflector, WriterChangesInPlaceAndSnapshotsAreCopiedOncePerChange) {
  Writer writer;
  Store store = writer.store();
  EXPECT_FALSE(store.ready());
  WatcherEvent listed;
  listed.type = WatcherEvent::Type::kRestarted;
  listed.objects = {config_map("a"), config_map("b")};
  writer.apply(listed);
  ASSERT_TRUE(store.ready());
  const auto first = store.snapshot();
  EXPECT_EQ(store.snapshot(), first) << "no change: the same snapshot";
  EXPECT_EQ(first->size(), 2u);

  const auto a = store.find("", "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a, first->at("a")) << "objects are shared, not copied";
  WatcherEvent changed;
  changed.type = WatcherEvent::Type::kApplied;
  changed.object = config_map("a", "2");
  writer.apply(changed);
  WatcherEvent deleted;
  deleted.type = WatcherEvent::Type::kDeleted;
  deleted.object = config_map("b");
  writer.apply(deleted);

  EXPECT_EQ((*a)["data"]["v"], "1") << "a version handed out never changes";
  EXPECT_EQ((*first->at("a"))["data"]["v"], "1");
  EXPECT_EQ(first->size(), 2u) << "an earlier snapshot never changes";
  const auto second = store.snapshot();
  EXPECT_NE(second, first);
  EXPECT_EQ(second->size(), 1u);
  EXPECT_EQ((*store.find("", "a"))["data"]["v"], "2");
  EXPECT_EQ(store.find("", "b"), nullptr);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.objects().size(), 1u);
  EXPECT_TRUE(store.wait_for([](const Snapshot& s) { return s.count("a") == 1; },
                             std::chrono::milliseconds(0)));
}

TEST(Reflector, FollowsCreatesUpdatesAndDeletes) {
  auto server = testing::start_server();
  ASSERT_NE(server, nullptr);
  Client client(testing::config_for(*server));
  ASSERT_TRUE(client.create(resources::kConfigMaps, "default", config_map("one")).ok());
  Reflector reflector(client, resources::kConfigMaps, {});
  reflector.start();
  auto store = reflector.store();
  ASSERT_TRUE(store.wait_until_ready(std::chrono::seconds(10)));
  EXPECT_TRUE(store.get("default", "one").has_value());

  ASSERT_TRUE(client.create(resources::kConfigMaps, "default", config_map("two")).ok());
  ASSERT_TRUE(client
                  .patch(resources::kConfigMaps, "default", "one", {{"data", {{"v", "9"}}}},
                         PatchType::kMerge)
                  .ok());
  ASSERT_TRUE(client.remove(resources::kConfigMaps, "default", "two").ok());
  ASSERT_TRUE(client.create(resources::kConfigMaps, "default", config_map("three")).ok());
  ASSERT_TRUE(store.wait_for(
      [](const Snapshot& s) {
        const auto one = s.find("default/one");
        return s.size() == 2 && s.count("default/three") == 1 && one != s.end() &&
               (*one->second)["data"]["v"] == "9";
      },
      std::chrono::seconds(10)))
      << "store has " << store.size() << " objects";
  // A snapshot taken earlier is immutable.
  const auto before = store.snapshot();
  ASSERT_TRUE(client.create(resources::kConfigMaps, "default", config_map("four")).ok());
  ASSERT_TRUE(
      store.wait_for([](const Snapshot& s) { return s.size() == 3; }, std::chrono::seconds(10)));
  EXPECT_EQ(before->size(), 2u);
  EXPECT_EQ(reflector.stats().lists, 1u);
  reflector.stop();
}

// A transform sees every object before the store does: listed ones and watched ones. With
// strip_managed_fields the cache holds no managedFields while the server keeps them.
TEST(Reflector, TransformStripsManagedFieldsFromListedAndWatchedObjects) {
  auto server = testing::start_server();
  ASSERT_NE(server, nullptr);
  Client client(testing::config_for(*server));
  ASSERT_TRUE(client.create(resources::kConfigMaps, "default", config_map("listed")).ok());
  WatcherOptions options;
  options.transform = strip_managed_fields;
  Reflector reflector(client, resources::kConfigMaps, options);
  reflector.start();
  auto store = reflector.store();
  ASSERT_TRUE(store.wait_until_ready(std::chrono::seconds(10)));
  ASSERT_TRUE(client.create(resources::kConfigMaps, "default", config_map("watched")).ok());
  ASSERT_TRUE(client
                  .patch(resources::kConfigMaps, "default", "listed", {{"data", {{"v", "2"}}}},
                         PatchType::kMerge)
                  .ok());
  ASSERT_TRUE(store.wait_for(
      [](const Snapshot& s) {
        const auto listed = s.find("default/listed");
        return s.count("default/watched") == 1 && listed != s.end() &&
               (*listed->second)["data"]["v"] == "2";
      },
      std::chrono::seconds(10)));
  for (const char* name : {"listed", "watched"}) {
    const auto live = client.get(resources::kConfigMaps, "default", name);
    ASSERT_TRUE(live.ok());
    EXPECT_TRUE((*live)["metadata"].contains("managedFields")) << name << " on the server";
    const auto cached = store.get("default", name);
    ASSERT_TRUE(cached.has_value()) << name;
    EXPECT_FALSE((*cached)["metadata"].contains("managedFields")) << name << " " << cached->dump();
    EXPECT_EQ((*cached)["metadata"]["resourceVersion"], (*live)["metadata"]["resourceVersion"]);
  }
  reflector.stop();
}

// The watcher survives a server restart: it reconnects with backoff and, because the restarted
// server no longer holds the history it would resume from, re-lists (410) and converges.
TEST(Reflector, ReconnectsAfterRestartAndRelistsWhenHistoryIsGone) {
  testing::TempDir dir;
  LocalApiServer::Options options;
  options.data_dir = dir.path().string();
  options.watch_history = 1;
  auto first = testing::start_server(options);
  ASSERT_NE(first, nullptr);
  const int port = first->port();
  Client client(testing::config_for(*first));
  ASSERT_TRUE(client.create(resources::kConfigMaps, "default", config_map("s1")).ok());

  WatcherOptions watcher_options;
  watcher_options.namespace_ = "default";
  watcher_options.initial_backoff = std::chrono::milliseconds(20);
  watcher_options.max_backoff = std::chrono::milliseconds(200);
  std::atomic<int> errors{0};
  Reflector reflector(client, resources::kConfigMaps, watcher_options,
                      [&](const Error&) { ++errors; });
  reflector.start();
  auto store = reflector.store();
  ASSERT_TRUE(store.wait_until_ready(std::chrono::seconds(10)));
  ASSERT_EQ(store.size(), 1u);
  first->stop();
  first.reset();

  // While the server at `port` is down, the same state moves on elsewhere.
  {
    options.port = 0;
    auto elsewhere = testing::start_server(options);
    ASSERT_NE(elsewhere, nullptr);
    Client other(testing::config_for(*elsewhere));
    ASSERT_TRUE(other.create(resources::kConfigMaps, "default", config_map("s2")).ok());
    ASSERT_TRUE(other.create(resources::kConfigMaps, "default", config_map("s3")).ok());
    ASSERT_TRUE(other.remove(resources::kConfigMaps, "default", "s1").ok());
  }
  ASSERT_TRUE(eventually([&] { return errors.load() > 0; })) << "the watcher saw the outage";

  options.port = port;
  auto restarted = testing::start_server(options);
  ASSERT_NE(restarted, nullptr) << "could not rebind port " << port;
  ASSERT_TRUE(store.wait_for(
      [](const Snapshot& s) {
        return s.size() == 2 && s.count("default/s2") == 1 && s.count("default/s3") == 1;
      },
      std::chrono::seconds(10)));
  EXPECT_GE(reflector.stats().gone, 1u);
  EXPECT_GE(reflector.stats().lists, 2u);
  EXPECT_GE(reflector.stats().reconnects, 1u);

  ASSERT_TRUE(client.create(resources::kConfigMaps, "default", config_map("s4")).ok());
  EXPECT_TRUE(store.wait_for([](const Snapshot& s) { return s.count("default/s4") == 1; },
                             std::chrono::seconds(10)));
  reflector.stop();
}

}  // namespace
}  // namespace kopiur::kube
