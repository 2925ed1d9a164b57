// The local API server's state: the resource registry (built-in kinds plus those CRDs add),
// objects keyed by resource/namespace/name, one resourceVersion counter, a bounded event history
// for watches, and optional persistence to a directory: a snapshot plus an append-only log with
// group commit (store_log.hpp), compacted in the background. Thread-safe (one mutex); watchers
// wait on a condition variable. Stored objects are immutable and shared (the map, the watch
// history and LIST answers hold the same object), so memory is the live objects plus the history.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kopiur/support/json.hpp"

#include "localkube/detail/kube_types.hpp"

namespace kopiur::localkube::detail {

struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  std::string plural;
  std::string singular;
  bool namespaced = true;
  bool has_status = false;
  bool custom = false;  // defined by a CRD
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  nlohmann::json printer_columns = nlohmann::json::array();  // CRD additionalPrinterColumns

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  std::string key() const { return group + "/" + plural; }
  // qualified(): "backups.kopiur.home-operations.com" (or "pods" for the core group).
  std::string qualified() const { return group.empty() ? plural : plural + "." + group; }
};

// A watch event, kept once and shared by every watcher: the object and the watch line
// ({"type":...,"object":...} and a newline) are immutable.
struct StoredEvent {
  std::int64_t rv = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string resource_key;
  std::shared_ptr<const nlohmann::json> object;
  std::shared_ptr<const std::string> line;
};

class StoreLog;

// A stored object and its JSON text, both immutable and shared by the store, the watch history
// and whoever lists them (a LIST answer is the texts joined, with no serialisation).
struct StoredObject {
  std::shared_ptr<const nlohmann::json> object;
  std::shared_ptr<const std::string> text;
};

// Error helpers that build Kubernetes Status reasons.
Error api_error(int code, std::string reason, std::string message);

class LocalStore {
 public:
  struct Options {
    std::string data_dir;              // empty: memory only
    std::size_t watch_history = 1000;  // events kept for watch resumption
    // Compaction starts when the log is longer than compact_factor times the live state and
    // than compact_min_bytes.
    std::uint64_t compact_min_bytes = 1U << 20;
    std::uint64_t compact_factor = 2;
    // Where load() reports a dropped torn tail (default: standard error).
    std::function<void(std::string_view)> on_warning;
  };
  explicit LocalStore(Options options);
  ~LocalStore();  // syncs the log's last records and stops the compaction
  LocalStore(const LocalStore&) = delete;
  LocalStore& operator=(const LocalStore&) = delete;

  // load(): restores state from data_dir (snapshot plus log; no-op without one) and starts
  // logging. Fails on an unreadable file. With a data_dir, a write returns only once its log
  // record is synced to disk.
  Status load();
  // compactions(): snapshots written since load() (for tests and the benchmark).
  std::uint64_t compactions() const;

  std::vector<ResourceType> resources() const;
  std::optional<ResourceType> find(const std::string& group, const std::string& version,
                                   const std::string& plural) const;

  Result<nlohmann::json> get(const ResourceType& rt, const std::string& ns,
                             const std::string& name) const;
  // list(): every object of the type in ns ("" = all namespaces), plus the list's resourceVersion.
  std::pair<std::vector<nlohmann::json>, std::int64_t> list(const ResourceType& rt,
                                                            const std::string& ns) const;
  // Writes take `dry_run`: everything is checked and the answer computed as for a real write
  // (defaults, generated name and uid, validation, conflicts), but nothing is stored, no
  // resourceVersion is used and no watch event is sent (Kubernetes' dryRun=All).
  Result<nlohmann::json> create(const ResourceType& rt, const std::string& ns,
                                nlohmann::json object, bool dry_run = false);
  // update(): replaces the object (or only its status when status_only). A non-empty
  // metadata.resourceVersion that is not current yields 409 Conflict.
  Result<nlohmann::json> update(const ResourceType& rt, const std::string& ns,
                                const std::string& name, nlohmann::json object, bool status_only,
                                bool dry_run = false);
  // patch(): computes the new object from the current one under the lock (no lost updates).
  using Patcher = std::function<Result<nlohmann::json>(const nlohmann::json& current)>;
  Result<nlohmann::json> patch(const ResourceType& rt, const std::string& ns,
                               const std::string& name, const Patcher& patcher, bool status_only,
                               bool create_if_missing, bool dry_run = false);
  // change_same(): applies `change` to the stored object that `object` names (namespace, name),
  // only while it is still that object (same metadata.uid), so a controller never writes to a
  // namesake created after it read. 404 when gone, 409 when replaced.
  using Change = std::function<void(nlohmann::json& object)>;
  Result<nlohmann::json> change_same(const ResourceType& rt, const nlohmann::json& object,
                                     const Change& change, bool status_only);
  // remove(): deletes, or only marks deletionTimestamp while finalizers remain.
  Result<nlohmann::json> remove(const ResourceType& rt, const std::string& ns,
                                const std::string& name, bool dry_run = false);

  // events_since(): events after rv for one resource, or nullopt when rv is older than the
  // retained history (the caller answers 410 Gone).
  std::optional<std::vector<StoredEvent>> events_since(const std::string& resource_key,
                                                       std::int64_t rv) const;
  std::int64_t current_rv() const;
  // list_shared(): as list(), sharing the stored objects and their texts instead of copying.
  std::pair<std::vector<StoredObject>, std::int64_t> list_shared(const ResourceType& rt,
                                                                 const std::string& ns) const;
  // wait_for_change(): blocks until the resourceVersion passes rv, shutdown, or the deadline;
  // with `wakes_seen` (a wake_token() taken before looking at the store) also until someone
  // calls wake_waiters() after that token was taken.
  void wait_for_change(std::int64_t rv, std::chrono::steady_clock::time_point deadline) const;
  void wait_for_change(std::int64_t rv, std::chrono::steady_clock::time_point deadline,
                       std::uint64_t wakes_seen) const;
  [[nodiscard]] std::uint64_t wake_token() const;
  // wake_waiters(): ends waits that hold an older wake token (new work for a waiting loop).
  void wake_waiters();
  void shutdown();
  bool is_shut_down() const;
  // enable_admission(): from now on, creates and updates are sent to the validating webhooks of
  // the stored ValidatingWebhookConfigurations (webhook_calls.hpp). Off until the server has
  // restored its state, so loading never calls out.
  void enable_admission() {
    std::lock_guard lock(mu_);
    admission_enabled_ = true;
  }

 private:
  using Key = std::string;  // resource_key + "\n" + ns + "\n" + name
  using ObjectPtr = std::shared_ptr<const nlohmann::json>;
  using Entry = StoredObject;
  static Key make_key(const ResourceType& rt, const std::string& ns, const std::string& name);

  // durably(): runs `op` under the lock, then waits (unlocked) until every log record appended
  // so far is synced, so no answer reflects a state a crash could lose.
  template <typename Op>
  Result<nlohmann::json> durably(Op&& op);
  Result<nlohmann::json> create_locked(const ResourceType& rt, const std::string& ns,
                                       nlohmann::json object, bool dry_run);
  Result<nlohmann::json> update_locked(const ResourceType& rt, const std::string& ns,
                                       const std::string& name, nlohmann::json object,
                                       bool status_only, bool dry_run);
  Result<nlohmann::json> patch_locked(const ResourceType& rt, const std::string& ns,
                                      const std::string& name, const Patcher& patcher,
                                      bool status_only, bool create_if_missing, bool dry_run);
  Result<nlohmann::json> remove_locked(const ResourceType& rt, const std::string& ns,
                                       const std::string& name, bool dry_run);
  Result<nlohmann::json> commit_locked(const ResourceType& rt, const std::string& ns,
                                       const std::string& name, const nlohmann::json* old,
                                       nlohmann::json next, bool status_only, bool dry_run = false);
  Status validate_locked(const ResourceType& rt, const nlohmann::json& object) const;
  Status admit_locked(const ResourceType& rt, const nlohmann::json& next,
                      const nlohmann::json* old) const;
  // store_locked(): puts the object under key and records the event; the stored object.
  ObjectPtr store_locked(const std::string& type, const ResourceType& rt, const Key& key,
                         nlohmann::json object);
  // record_locked(): the event in the watch history and the current write's log record; for
  // ADDED and MODIFIED, key's entry (holding `object`) gets the text.
  void record_locked(const std::string& type, const ResourceType& rt, const Key& key,
                     const ObjectPtr& object);
  // set_entry_locked(): objects_[key] = object, keeping live_bytes_ (used by loading).
  void set_entry_locked(const Key& key, nlohmann::json object);
  void erase_locked(const ResourceType& rt, const Key& key, nlohmann::json object);
  void register_crd_locked(const nlohmann::json& crd);
  void unregister_crd_locked(const nlohmann::json& crd);
  void cascade_namespace_delete_locked(const std::string& ns);
  // persist_locked(): ends a write: its changes become one log record (store_persistence.cpp).
  void persist_locked();
  const ResourceType* find_locked(const std::string& group, const std::string& plural) const;

  // store_persistence.cpp: loading, replaying and compacting.
  Status load_snapshot_locked(const std::string& path);
  Status replay_record_locked(const std::string& payload, const std::string& path);
  void compact_loop();
  void warn(std::string_view message) const;

  Options options_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  bool shut_down_ = false;
  std::uint64_t wakes_ = 0;         // wake_waiters() calls
  bool admission_enabled_ = false;  // set by load(), so the constructor's defaults never overwrite
  std::int64_t rv_ = 0;
  std::int64_t oldest_rv_ = 0;                     // events with rv > oldest_rv_ are retained
  std::map<std::string, ResourceType> resources_;  // by key()
  std::map<Key, Entry> objects_;
  std::uint64_t live_bytes_ = 0;  // the length of objects_' texts
  std::deque<StoredEvent> history_;

  // Persistence (with a data_dir, after load()).
  std::unique_ptr<StoreLog> log_;
  std::string pending_ops_;  // the current write's changes, as the log record's "ops"
  bool compact_wanted_ = false;
  std::uint64_t compact_retry_at_ = 0;  // after a failed compaction: the log size to retry at
  bool compact_stop_ = false;
  std::uint64_t compactions_ = 0;
  std::condition_variable compact_cv_;
  std::thread compactor_;
};

std::string now_rfc3339();
// Timestamps as Kubernetes writes them ("2026-11-25T22:04:43Z", whole seconds, UTC).
std::string format_rfc3339(std::chrono::system_clock::time_point time);
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text);

// to_text(): JSON text that never throws (invalid UTF-8 from a YAML body is replaced).
std::string to_text(const nlohmann::json& value);

// check_shape(): the metadata fields the server reads have the right JSON types, so a body like
// {"metadata":{"name":5}} is a 400 instead of an exception deep in the store.
Status check_shape(const nlohmann::json& object);

}  // namespace kopiur::localkube::detail
