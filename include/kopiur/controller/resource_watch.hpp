// File: kopiur/controller/resource_watch.hpp
//
// ResourceWatch: the controller's view of the cluster. One reflector (watcher + cache) per kopiur
// kind keeps a snapshot of every object; each change is logged inside an `observe` span carrying
// kind, namespace and name, so `kubectl logs` shows what the controller sees. Readiness follows the
// caches: the controller reports ready only once every kind has been listed (the Rust original was
// "ready" as soon as its socket was bound).
//
//   ResourceWatch watch(client, {.namespace_ = ""});
//   watch.set_on_ready([&] { health.set_ready(true); });
//   watch.start();
//
// Thread-safety: start()/stop()/ready()/store() from any thread; callbacks run on watcher threads.
// Cost: one thread and one watch connection per kind. Failure: watch errors are logged at WARN
// and retried with backoff by the watchers; nothing here throws after construction.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kopiur/kube/client.hpp"
#include "kopiur/kube/reflector.hpp"

namespace kopiur::controller {

struct ResourceWatchOptions {
  std::string namespace_{};  // "" = every namespace; cluster-scoped kinds always watch all
};

class ResourceWatch {
 public:
  ResourceWatch(kube::Client client, ResourceWatchOptions options);
  ~ResourceWatch();
  ResourceWatch(const ResourceWatch&) = delete;
  ResourceWatch& operator=(const ResourceWatch&) = delete;

  // Called once, on a watcher thread, when every kind has been listed. Before start() only.
  void set_on_ready(std::function<void()> on_ready);
  void start();
  void stop();

  [[nodiscard]] bool ready() const;
  // "waiting for the first list of Backup, Restore" while not ready; empty once ready.
  [[nodiscard]] std::string not_ready_reason() const;
  // The cache of one kind ("Backup"); nullptr for an unknown kind.
  [[nodiscard]] const kube::Store* store(const std::string& kind) const;

 private:
  struct Watched {
    std::string kind;
    std::unique_ptr<kube::Reflector> reflector;
    kube::Store store;
  };
  void on_change(const std::string& kind, const kube::WatcherEvent& event);

  std::vector<Watched> watched_;
  std::function<void()> on_ready_;
  std::atomic<bool> ready_announced_{false};
};

}  // namespace kopiur::controller
