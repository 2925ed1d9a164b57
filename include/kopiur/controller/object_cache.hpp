// File: kopiur/controller/object_cache.hpp
//
// ObjectCache: the controller's cache of one resource over its scope: one reflector (watcher +
// store, see kube/reflector.hpp) for the whole cluster, or one per namespace when the controller
// is limited to a list of namespaces. Reads never touch the API server. Cached objects carry no
// metadata.managedFields (stripped as they arrive: nothing here reads them).
//
//   ObjectCache jobs(client, kube::resources::kJobs, {"apps", "db"},
//   "app.kubernetes.io/managed-by=kopiur",
//                    [](const kube::WatcherEvent& e) { ... });
//   jobs.start();
//   auto job = jobs.get("apps", "backup-nightly-1");   // nullptr when absent
//
// Thread-safety: reads from any thread; on_change runs on the watcher threads (one per
// namespace), one event at a time per namespace. Cost: one thread and one watch per namespace.
// Failure: watch errors are logged at WARN and retried with backoff by the watchers.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kopiur/kube/client.hpp"
#include "kopiur/kube/reflector.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::controller {

class ObjectCache {
 public:
  // Called with the namespace of the watch that saw the event ("" = every namespace): a re-list
  // (kRestarted) holds the current objects of that namespace only.
  using OnChange =
      std::function<void(const std::string& watched_namespace, const kube::WatcherEvent&)>;
  // namespaces empty (or a cluster-scoped resource): one watch over the whole cluster.
  ObjectCache(kube::Client client, kube::ResourceId resource, std::vector<std::string> namespaces,
              std::string label_selector, OnChange on_change);
  ~ObjectCache();
  ObjectCache(const ObjectCache&) = delete;
  ObjectCache& operator=(const ObjectCache&) = delete;

  void start();
  void stop();
  [[nodiscard]] const kube::ResourceId& resource() const { return resource_; }
  // True once every watch has delivered its first list.
  [[nodiscard]] bool ready() const;
  [[nodiscard]] std::shared_ptr<const nlohmann::json> get(const std::string& ns,
                                                          const std::string& name) const;
  [[nodiscard]] std::vector<std::shared_ptr<const nlohmann::json>> list() const;
  [[nodiscard]] std::size_t size() const;

 private:
  struct Part {
    std::string namespace_;  // "" = every namespace
    std::unique_ptr<kube::Reflector> reflector;
    kube::Store store;
  };
  kube::ResourceId resource_;
  std::vector<Part> parts_;
};

// Key of an object in caches and queues: "namespace/name", or "name" when cluster-scoped (the
// reflector's Snapshot key, kube::object_key()).
std::string cache_key(const std::string& ns, const std::string& name);

}  // namespace kopiur::controller
