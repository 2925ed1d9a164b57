// File: kopiur/kube/reflector.hpp
//
// A cache of one watched resource, kube-rs style: a Writer applies WatcherEvents to one live map
// of immutable, shared objects; any number of read-only Store handles look objects up in it, or
// take an immutable snapshot of the whole map. Reflector ties a Watcher to a Writer and hands
// out Stores.
//
//   kopiur::kube::Reflector backups(client, kopiur::kube::resource_for("Backup"), {});
//   backups.start();
//   backups.store().wait_until_ready(std::chrono::seconds(5));
//   for (const auto& object : backups.store().list()) ...
//
// Thread-safety: Store is safe from any thread and cheap to copy; Writer is used by one thread.
// Cost: an event is one map insertion or erasure under a short lock (O(log n)); a lookup is the
// same. snapshot() copies the key->pointer map (objects are shared, never copied) the first time
// it is asked for after a change and hands the same copy to every later caller until the next
// change. (It used to copy the map on every event: with 10,000 Backups that copy was over half
// the controller's CPU while their statuses were written.) Failure: none of its own; watch
// errors go to the Watcher's on_error.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kopiur/kube/watcher.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::kube {

// Snapshot: "namespace/name" (or "name" when cluster-scoped) -> object.
using Snapshot = std::map<std::string, std::shared_ptr<const nlohmann::json>>;

namespace detail {
struct StoreState;
}

class Store {
 public:
  // snapshot(): the whole map as it is now, immutable (later events do not change it).
  std::shared_ptr<const Snapshot> snapshot() const;
  std::optional<nlohmann::json> get(const std::string& ns, const std::string& name) const;
  // find(): the cached object itself, shared (nullptr when absent); nothing is copied.
  std::shared_ptr<const nlohmann::json> find(const std::string& ns, const std::string& name) const;
  std::vector<nlohmann::json> list() const;
  // objects(): every cached object, shared, in key order (copies pointers, not objects).
  std::vector<std::shared_ptr<const nlohmann::json>> objects() const;
  std::size_t size() const;
  // ready(): true once the first list has been applied.
  bool ready() const;
  bool wait_until_ready(std::chrono::milliseconds timeout) const;
  // wait_for(): blocks until pred(map) holds or the timeout passes; returns pred's last value.
  // pred runs under the store's lock, on the live map: it must be quick and must not call back.
  bool wait_for(const std::function<bool(const Snapshot&)>& pred,
                std::chrono::milliseconds timeout) const;

 private:
  friend class Writer;
  explicit Store(std::shared_ptr<detail::StoreState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::StoreState> state_;
};

class Writer {
 public:
  Writer();
  Store store() const;
  void apply(const WatcherEvent& event);

 private:
  std::shared_ptr<detail::StoreState> state_;
};

class Reflector {
 public:
  Reflector(Client client, ResourceId resource, WatcherOptions options,
            Watcher::ErrorHandler on_error = {});
  // on_change (optional): called on the watcher thread after each applied event.
  void set_on_change(std::function<void(const WatcherEvent&)> on_change);
  void start() { watcher_.start(); }
  void stop() { watcher_.stop(); }
  Store store() const { return writer_.store(); }
  WatcherStats stats() const { return watcher_.stats(); }

 private:
  Writer writer_;
  std::function<void(const WatcherEvent&)> on_change_;
  std::mutex on_change_mu_;
  Watcher watcher_;
};

// object_key(): the Snapshot key of an object.
std::string object_key(const nlohmann::json& object);

}  // namespace kopiur::kube
