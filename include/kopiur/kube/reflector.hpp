// File: kopiur/kube/reflector.hpp
//
// A cache of one watched resource, kube-rs style: a Writer applies WatcherEvents and publishes
// immutable snapshots; any number of read-only Store handles read the latest snapshot without
// blocking the writer (a shared_ptr swap under a short lock). Reflector ties a Watcher to a
// Writer and hands out Stores.
//
//   kopiur::kube::Reflector backups(client, kopiur::kube::resource_for("Backup"), {});
//   backups.start();
//   backups.store().wait_until_ready(std::chrono::seconds(5));
//   for (const auto& object : backups.store().list()) ...
//
// Thread-safety: Store is safe from any thread and cheap to copy; Writer is used by one thread.
// Cost: each applied event copies the key->pointer map (objects themselves are shared), so reads
// never wait for writes. Failure: none of its own; watch errors go to the Watcher's on_error.
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
  std::shared_ptr<const Snapshot> snapshot() const;
  std::optional<nlohmann::json> get(const std::string& ns, const std::string& name) const;
  std::vector<nlohmann::json> list() const;
  std::size_t size() const;
  // ready(): true once the first list has been applied.
  bool ready() const;
  bool wait_until_ready(std::chrono::milliseconds timeout) const;
  // wait_for(): blocks until pred(snapshot) holds or the timeout passes; returns pred's last value.
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
