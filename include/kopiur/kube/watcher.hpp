// File: kopiur/kube/watcher.hpp
//
// Watcher: keeps a view of one resource up to date, kube-rs style. It lists (emitting
// kRestarted with every object), then watches from the list's resourceVersion with bookmarks,
// emitting kApplied / kDeleted. When the server answers 410 Gone (history too old, or the server
// restarted) it re-lists; when the connection fails it reconnects after an exponential backoff
// (initial_backoff doubling up to max_backoff, reset by the next successful event), resuming from
// the last resourceVersion seen.
//
// Thread-safety: start()/stop() from any thread; callbacks run on the watcher's own thread, one
// at a time. Cost: one thread and one open connection per Watcher. Failure: errors never stop
// the watcher; each is reported to on_error (optional) and retried.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kopiur/kube/client.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::kube {

struct WatcherEvent {
  enum class Type { kRestarted, kApplied, kDeleted };
  Type type = Type::kApplied;
  std::vector<nlohmann::json> objects;  // kRestarted: the full, current set
  nlohmann::json object;                // kApplied / kDeleted
};

struct WatcherOptions {
  std::string namespace_;  // "" = all namespaces (or cluster-scoped)
  std::string label_selector;
  std::string field_selector;
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
  int watch_timeout_seconds = 290;
  // transform (optional): applied to every object before it is emitted, kube-rs's
  // `watcher(..).modify(..)` or client-go's SetTransform. strip_managed_fields is the usual one:
  // a cache that never reads metadata.managedFields keeps objects about half their size.
  std::function<void(nlohmann::json&)> transform;
};

// strip_managed_fields(): removes metadata.managedFields (server-side apply bookkeeping, often as
// large as the rest of the object) in place; a WatcherOptions::transform.
void strip_managed_fields(nlohmann::json& object);

// WatcherStats: counters for diagnostics and tests.
struct WatcherStats {
  std::uint64_t lists = 0;       // successful (re-)lists
  std::uint64_t gone = 0;        // 410 answers that forced a re-list
  std::uint64_t reconnects = 0;  // watch streams started after the first
  std::uint64_t errors = 0;      // failed requests
};

class Watcher {
 public:
  using EventHandler = std::function<void(WatcherEvent&&)>;
  using ErrorHandler = std::function<void(const Error&)>;

  Watcher(Client client, ResourceId resource, WatcherOptions options, EventHandler on_event,
          ErrorHandler on_error = {});
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  void start();
  // stop(): interrupts the open stream and joins the thread; idempotent.
  void stop();
  WatcherStats stats() const;
  // resource_version(): the last resourceVersion seen ("" before the first list).
  std::string resource_version() const;

 private:
  void run();
  bool sleep_backoff(std::chrono::milliseconds& backoff);

  Client client_;
  ResourceId resource_;
  WatcherOptions options_;
  EventHandler on_event_;
  ErrorHandler on_error_;
  std::thread thread_;
  CancelToken cancel_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  WatcherStats stats_;
  std::string resource_version_;
};

}  // namespace kopiur::kube
