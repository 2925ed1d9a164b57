// File: kopiur/kube/client.hpp
//
// Client: the Kubernetes REST verbs on JSON objects. get, list, create, replace (PUT), patch
// (merge, JSON, strategic, server-side apply), remove, the status subresource, and watch (a
// stream of WatchEvents with resourceVersion and bookmarks). ResourceId names a resource the way
// the URL does (group, version, plural, namespaced); resource_for() maps kopiur's kinds.
//
//   kopiur::kube::Client client(*kopiur::kube::default_config());
//   auto backup = client.get(kopiur::kube::resource_for("Backup"), "apps", "nightly-1");
//   if (!backup.ok() && backup.error().is_not_found()) ...
//
// HTTP is libcurl (docs/http.md, "The Kubernetes client"): every request has a connect and a
// total deadline, a watch a connect and an idle one (Config), and watch events reach on_event
// as soon as their line has arrived.
//
// Thread-safety: a Client may be shared by threads, and copies share its connections: ordinary
// calls borrow a connection from a small pool (one thread per connection at a time), each
// watch opens its own.
// Cost: one HTTP round trip per call on a kept-alive connection (a TCP and TLS handshake only
// when none is free).
// Failure: every call returns Result/Status; an Error names the request ("PATCH
// /apis/.../backups/x"), the HTTP status and the Kubernetes Status reason and message, or, when
// no answer came, the URL and why (refused, timed out and which deadline, TLS). Nothing throws.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "kopiur/kube/config.hpp"
#include "kopiur/kube/result.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::kube {

namespace detail {
class CurlPool;
}  // namespace detail

struct ResourceId {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  bool namespaced = true;
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // path(): the collection URL ("" ns = all namespaces / cluster-scoped), or the object URL
  // when name is set, with an optional subresource.
  std::string path(const std::string& ns, const std::string& name = "",
                   const std::string& subresource = "") const;
};

namespace resources {
inline const ResourceId kNamespaces{"", "v1", "namespaces", false};
inline const ResourceId kSecrets{"", "v1", "secrets", true};
inline const ResourceId kConfigMaps{"", "v1", "configmaps", true};
inline const ResourceId kPods{"", "v1", "pods", true};
inline const ResourceId kPersistentVolumeClaims{"", "v1", "persistentvolumeclaims", true};
inline const ResourceId kJobs{"batch", "v1", "jobs", true};
inline const ResourceId kEvents{"events.k8s.io", "v1", "events", true};
// core/v1 Events: what `kubectl get events` and `kubectl describe` read (a real server shows
// events.k8s.io/v1 Events there too; the local server keeps the two groups apart).
inline const ResourceId kCoreEvents{"", "v1", "events", true};
inline const ResourceId kCustomResourceDefinitions{"apiextensions.k8s.io", "v1",
                                                   "customresourcedefinitions", false};
}  // namespace resources

// resource_for(): the ResourceId of a kopiur kind ("Backup", ...); plural "" when unknown.
ResourceId resource_for(const std::string& kopiur_kind);

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
};

struct WatchOptions {
  std::string resource_version;  // "" = start with ADDED for every current object
  std::string label_selector;
  std::string field_selector;
  bool bookmarks = true;
  int timeout_seconds = 290;  // the server ends the stream after this; the caller re-watches
};

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  nlohmann::json object;  // the object; for kError the Status
};

enum class PatchType { kMerge, kJson, kStrategic, kApply };

struct PatchOptions {
  std::string field_manager = "kopiur";
  bool force = false;  // server-side apply: take ownership of conflicting fields
};

// CancelToken: stops a running watch from another thread, immediately (the waiting watch is woken
// and its connection closed, not just flagged). Reusable across watches until cancel() is called.
class CancelToken {
 public:
  void cancel();
  bool cancelled() const;
  // Used by Client::watch: registers how to interrupt the current stream (empty to clear).
  // Returns false when already cancelled.
  bool set_interrupter(std::function<void()> interrupter);

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::function<void()> interrupter_;
};

class Client {
 public:
  explicit Client(Config config);

  const Config& config() const { return config_; }

  Result<nlohmann::json> get(const ResourceId& r, const std::string& ns, const std::string& name);
  Result<nlohmann::json> get_status(const ResourceId& r, const std::string& ns,
                                    const std::string& name);
  // list(): the List object (items + metadata.resourceVersion).
  Result<nlohmann::json> list(const ResourceId& r, const std::string& ns,
                              const ListOptions& options = {});
  Result<nlohmann::json> create(const ResourceId& r, const std::string& ns,
                                const nlohmann::json& object);
  // replace(): PUT; metadata.resourceVersion, when set, makes it a compare-and-swap (409).
  Result<nlohmann::json> replace(const ResourceId& r, const std::string& ns,
                                 const nlohmann::json& object);
  Result<nlohmann::json> replace_status(const ResourceId& r, const std::string& ns,
                                        const nlohmann::json& object);
  Result<nlohmann::json> patch(const ResourceId& r, const std::string& ns, const std::string& name,
                               const nlohmann::json& patch, PatchType type,
                               const PatchOptions& options = {});
  Result<nlohmann::json> patch_status(const ResourceId& r, const std::string& ns,
                                      const std::string& name, const nlohmann::json& patch,
                                      PatchType type, const PatchOptions& options = {});
  // apply(): server-side apply of a whole object (creates it when missing).
  Result<nlohmann::json> apply(const ResourceId& r, const std::string& ns,
                               const nlohmann::json& object, const PatchOptions& options = {});
  // remove(): DELETE; the answer is the object (with deletionTimestamp while finalizers remain).
  Result<nlohmann::json> remove(const ResourceId& r, const std::string& ns,
                                const std::string& name);

  // watch(): calls on_event for each event until it returns false, the server ends the stream
  // (ok Status), cancel fires (ok Status), or the connection fails (Error). An HTTP 410 answer
  // is returned as an Error with is_gone(); an in-stream 410 arrives as a kError event.
  Status watch(const ResourceId& r, const std::string& ns, const WatchOptions& options,
               const std::function<bool(WatchEvent&&)>& on_event, CancelToken* cancel = nullptr);

  // request(): any verb on any path; body may be null.
  Result<nlohmann::json> request(const std::string& method, const std::string& path,
                                 const nlohmann::json& body, const std::string& content_type);
  // request_text(): the same with a body sent verbatim ("" = no body).
  Result<nlohmann::json> request_text(const std::string& method, const std::string& path,
                                      const std::string& body, const std::string& content_type);

 private:
  Config config_;
  std::shared_ptr<detail::CurlPool> pool_;  // kept-alive connections, shared by copies
};

}  // namespace kopiur::kube
