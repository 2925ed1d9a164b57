// File: kopiur/controller/runtime.hpp
//
// Runtime: what every kind's flow runs on, after kube-rs' Controller. Per kind, an ObjectCache
// feeds a shared deduplicating WorkQueue; a bounded pool of workers takes keys and calls the
// kind's reconcile function with the cached object; the result decides what happens next:
//   Action::done()             nothing until the object (or something it watches) changes,
//   Action::requeue_after(d)   reconcile again after d,
//   ReconcileError             retry with per-object backoff (backoff.hpp), a Warning Event on
//                              the object, the error counted by class.
// Triggers: a change of the object other than its status (a status write by the reconcile itself
// does not loop), the first list, a change of a related object (owned Jobs, referenced Secrets:
// RelatedWatch maps it to the objects to requeue), and requeue/backoff timers.
//
// Every reconcile runs in a span `reconcile` {kind, namespace, name}, so each log line it writes
// names its object; it counts kopiur_controller_reconciliations_total{kind}, records
// kopiur_controller_reconcile_duration_seconds{kind} and, on error,
// kopiur_controller_reconcile_errors_total{kind,class}. kopiur_resource_phase follows every
// cached version of the object and, after a reconcile, the status it reported having written
// (ReconcileContext::report_status), so the gauge never lags a cycle, also on errors.
//
// One worker pool for all kinds (RuntimeOptions::workers): the total load on the API server and
// the memory stay bounded whatever the number of kinds, and idle kinds hold no threads. A slow
// kind cannot starve the others as long as reconciles do not wait for long work (Jobs run out of
// process; a reconcile only starts and reads them).
//
// Start-up: no key reaches a worker before every cache (kinds and related resources) has listed,
// so a flow reading another kind's cache never mistakes a cache still filling for a missing object.
//
// Leader election: a Runtime started paused (set_leading(false)) keeps its caches and queue warm
// and its metrics current, but hands no key to a worker; set_leading(true) starts reconciling
// from the queued state; set_leading(false) stops handing out keys at once (a reconcile already
// running finishes).
//
// Thread-safety: add_kind() before start(); everything else from any thread. Failure: nothing
// throws after construction; an exception escaping a reconcile function is a structural error
// (reason ReconcilePanicked) and never stops a worker.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kopiur/controller/backoff.hpp"
#include "kopiur/controller/clock.hpp"
#include "kopiur/controller/object_cache.hpp"
#include "kopiur/controller/phase_gauge.hpp"
#include "kopiur/controller/reconcile.hpp"
#include "kopiur/controller/work_queue.hpp"
#include "kopiur/kube/client.hpp"
#include "kopiur/kube/events.hpp"
#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/catalog.hpp"
#include "kopiur/telemetry/log/span.hpp"
#include "kopiur/telemetry/metrics/meter.hpp"

namespace kopiur::controller {

// ObjectRef: an object of one of the runtime's kinds (namespace "" when cluster-scoped).
struct ObjectRef {
  std::string kind;
  std::string namespace_;
  std::string name;
  // "Kind/namespace/name": the work-queue key.
  [[nodiscard]] std::string key() const { return kind + "/" + namespace_ + "/" + name; }
  static std::optional<ObjectRef> parse(const std::string& key);
};

class ReconcileContext {
 public:
  ReconcileContext(std::string kind, std::shared_ptr<const nlohmann::json> object,
                   telemetry::log::Span span)
      : kind_(std::move(kind)), object_(std::move(object)), span_(std::move(span)) {}
  [[nodiscard]] const std::string& kind() const { return kind_; }
  // The object as cached when the reconcile started.
  [[nodiscard]] const nlohmann::json& object() const { return *object_; }
  // The reconcile span (its context becomes the mover Job's TRACEPARENT).
  [[nodiscard]] const telemetry::log::Span& span() const { return span_; }
  // The status the reconcile wrote (the server's answer); per-resource gauges follow it.
  void report_status(nlohmann::json status) { status_ = std::move(status); }
  [[nodiscard]] const std::optional<nlohmann::json>& reported_status() const { return status_; }

 private:
  std::string kind_;
  std::shared_ptr<const nlohmann::json> object_;
  telemetry::log::Span span_;
  std::optional<nlohmann::json> status_;
};

using ReconcileFn = std::function<ReconcileResult(ReconcileContext&)>;

// RelatedWatch: another resource whose changes requeue objects of the kind.
struct RelatedWatch {
  kube::ResourceId resource;
  std::string label_selector;
  // The objects of the kind (namespace, name) to requeue when `object` changes or goes.
  std::function<std::vector<std::pair<std::string, std::string>>(const nlohmann::json& object)>
      owners;
};

// owned_by(): a RelatedWatch requeueing the owner named in an object's ownerReferences (kind
// `owner_kind`), e.g. the Backup that owns a Job. Cluster-scoped owners get namespace "".
RelatedWatch owned_by(std::string owner_kind, bool owner_namespaced, kube::ResourceId resource,
                      std::string label_selector = {});

struct KindRegistration {
  std::string kind;  // "Backup"
  kube::ResourceId resource;
  std::vector<std::string> phases;  // for kopiur_resource_phase; empty: no phase gauge
  ReconcileFn reconcile;
  std::vector<RelatedWatch> related;
};

struct RuntimeOptions {
  std::vector<std::string> namespaces{};  // empty: the whole cluster
  std::size_t workers = 4;
  BackoffPolicy backoff{};
  std::chrono::milliseconds phase_grace{std::chrono::minutes(10)};
  std::chrono::milliseconds api_probe_interval{std::chrono::seconds(10)};
  const Clock* clock = nullptr;           // nullptr: the steady clock
  kube::EventRecorder* events = nullptr;  // nullptr: no Events
  bool leading = true;                    // false: start as a follower (see set_leading)
};

class Runtime {
 public:
  Runtime(kube::Client client, telemetry::metrics::Meter meter, RuntimeOptions options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  void add_kind(KindRegistration kind);
  void start();
  // Stops the watches and the workers (running reconciles finish first); idempotent.
  void stop();
  void set_leading(bool leading);
  [[nodiscard]] bool leading() const { return leading_.load(); }

  // True once every cache (kinds and related resources) has been listed.
  [[nodiscard]] bool synced() const;
  // "" when synced, else which caches are waiting.
  [[nodiscard]] std::string not_synced_reason() const;
  // The cache of a kind (nullptr when unknown); for flows that read other kinds.
  [[nodiscard]] const ObjectCache* cache(const std::string& kind) const;
  // Queues an object now (e.g. a flow noticing something outside the watches).
  void enqueue(const ObjectRef& object);

  struct Progress {
    WorkQueue::Counts queue;
    Clock::time_point last_progress;   // a worker took or finished a key (or start)
    Clock::time_point last_api_reply;  // the API server last answered a probe (or start)
    std::uint64_t reconciles = 0;
  };
  [[nodiscard]] Progress progress() const;
  [[nodiscard]] const Clock& clock() const { return *clock_; }
  [[nodiscard]] PhaseGauge& phases() { return phases_; }
  // The catalog's metric handles (the flows record the per-resource gauges and counters).
  [[nodiscard]] telemetry::KopiurMetrics& metrics() { return metrics_; }

 private:
  struct Kind {
    KindRegistration registration;
    std::unique_ptr<ObjectCache> cache;
    std::vector<std::unique_ptr<ObjectCache>> related;
    // Kinds whose related watch names this kind's resource: told of its changes (wire_related).
    std::vector<std::pair<Kind*, const RelatedWatch*>> followers;
    std::mutex fingerprint_mu;
    std::unordered_map<std::string, std::size_t> fingerprints;  // cache key -> spec hash
  };
  void on_primary(Kind& kind, const std::string& watched_namespace,
                  const kube::WatcherEvent& event);
  void on_applied(Kind& kind, const nlohmann::json& object);
  void on_deleted(Kind& kind, const nlohmann::json& object);
  void on_related(Kind& kind, const RelatedWatch& watch, const kube::WatcherEvent& event);
  void worker();
  void housekeeping();
  void reconcile(const std::string& key);
  void after_error(Kind& kind, const ObjectRef& ref, const nlohmann::json& object,
                   const ReconcileError& error);
  Kind* find(const std::string& kind) const;
  void touch_progress();
  void update_gate();
  void wire_related();  // the queue hands out keys only when leading and every cache has listed

  kube::Client client_;
  RuntimeOptions options_;
  SteadyClock steady_;
  const Clock* clock_;
  telemetry::KopiurMetrics metrics_;
  telemetry::metrics::Counter<std::uint64_t> retries_;
  // What the queue-depth callback (owned by the MeterProvider, which may outlive this Runtime)
  // reads; cleared by the destructor.
  struct DepthProbe {
    std::mutex mu;
    const WorkQueue* queue = nullptr;
  };
  std::shared_ptr<DepthProbe> depth_probe_;
  PhaseGauge phases_;
  ErrorBackoff backoff_;
  WorkQueue queue_;
  std::vector<std::unique_ptr<Kind>> kinds_;
  std::vector<std::thread> threads_;
  std::atomic<bool> leading_;
  std::mutex gate_mu_;
  std::atomic<bool> caches_listed_{false};
  std::atomic<Clock::duration::rep> last_progress_;
  std::atomic<Clock::duration::rep> last_api_reply_;
  std::atomic<std::uint64_t> reconciles_{0};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool started_ = false;
};

}  // namespace kopiur::controller
