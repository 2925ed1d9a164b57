// File: kopiur/webhook/lookup.hpp
//
// Where the webhook finds the objects a reviewed object names (the Repository of a BackupConfig,
// the BackupConfig of a BackupSchedule, ...): an ObjectLookup answers from memory, never with a
// request per review. CacheLookup keeps watch-fed caches (kube::Reflector) of the three kinds
// that are referenced: Repository, ClusterRepository and BackupConfig. MapLookup holds fixed
// objects, for tests and benchmarks.
//
//   CacheLookup cache(kube::Client(config));
//   cache.start();                    // lists, then watches, on background threads
//   ... review(request, &cache) ...   // ready() stays false until every cache has listed
//
// Thread-safety: get() and ready() are safe from any thread. Cost: get() is a map lookup in an
// immutable snapshot. Failure: watch errors go to the on_error handler; the caches keep their
// last state and re-list.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/kube/client.hpp"
#include "kopiur/kube/reflector.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::webhook {

class ObjectLookup {
 public:
  virtual ~ObjectLookup() = default;
  // ready(): true once the lookup knows every object (a cache has listed).
  [[nodiscard]] virtual bool ready() const = 0;
  // get(): the object of kind `kind` named ns/name (ns "" for cluster-scoped kinds), or nullopt.
  [[nodiscard]] virtual std::optional<nlohmann::json> get(std::string_view kind,
                                                          const std::string& ns,
                                                          const std::string& name) const = 0;
  // list(): every known object of `kind`.
  [[nodiscard]] virtual std::vector<nlohmann::json> list(std::string_view kind) const = 0;
};

// The kinds that reviewed objects reference, so the ones a lookup must know.
inline const std::vector<std::string>& referenced_kinds() {
  static const std::vector<std::string> kinds = {"Repository", "ClusterRepository", "BackupConfig"};
  return kinds;
}

// MapLookup: fixed objects; always ready.
class MapLookup : public ObjectLookup {
 public:
  // add(): keeps `object` under its kind, metadata.namespace and metadata.name.
  void add(const nlohmann::json& object);
  [[nodiscard]] bool ready() const override { return true; }
  [[nodiscard]] std::optional<nlohmann::json> get(std::string_view kind, const std::string& ns,
                                                  const std::string& name) const override;
  [[nodiscard]] std::vector<nlohmann::json> list(std::string_view kind) const override;

 private:
  std::map<std::string, nlohmann::json, std::less<>> objects_;  // "kind/ns/name"
};

// CacheLookup: one Reflector per referenced kind, cluster-wide.
class CacheLookup : public ObjectLookup {
 public:
  explicit CacheLookup(const kube::Client& client, kube::Watcher::ErrorHandler on_error = {});
  ~CacheLookup() override;
  CacheLookup(const CacheLookup&) = delete;
  CacheLookup& operator=(const CacheLookup&) = delete;

  void start();
  void stop();
  [[nodiscard]] bool ready() const override;
  [[nodiscard]] std::optional<nlohmann::json> get(std::string_view kind, const std::string& ns,
                                                  const std::string& name) const override;
  [[nodiscard]] std::vector<nlohmann::json> list(std::string_view kind) const override;

 private:
  std::map<std::string, std::unique_ptr<kube::Reflector>, std::less<>> reflectors_;
};

}  // namespace kopiur::webhook
