// File: kopiur/controller/flow_env.hpp
//
// FlowEnv: what every kind's flow (flows.hpp) works with, built once by the Manager: the API
// client, the Runtime (caches of the other kinds, enqueue, the catalog metrics), the Event
// recorder, the mover Job settings, the wall clock and the namespace cluster-scoped objects' Jobs
// run in. Flows hold no state of their own between reconciles: everything they need to resume
// after a restart is in the objects' status and in the Jobs they own.
//
// WallClock: schedules, timestamps and durations read the wall clock through this interface, so
// tests can drive cron schedules (DST, missed runs) with ManualWallClock.
//
// Thread-safety: FlowEnv is read-only after construction and shared by every worker; the clocks
// are thread-safe. Failure: none.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "kopiur/controller/mover_job.hpp"
#include "kopiur/kube/client.hpp"
#include "kopiur/kube/events.hpp"
#include "kopiur/telemetry/catalog.hpp"

namespace kopiur::controller {

class Runtime;

class WallClock {
 public:
  virtual ~WallClock() = default;
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const = 0;
};

class SystemWallClock final : public WallClock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

class ManualWallClock final : public WallClock {
 public:
  explicit ManualWallClock(std::chrono::system_clock::time_point start) : now_(start) {}
  [[nodiscard]] std::chrono::system_clock::time_point now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void set(std::chrono::system_clock::time_point t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }
  void advance(std::chrono::system_clock::duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point now_;
};

struct FlowEnv {
  mutable kube::Client client;            // thread-safe; its calls are not const
  Runtime* runtime = nullptr;             // set by the Manager before the first reconcile
  kube::EventRecorder* events = nullptr;  // nullptr: no Events
  MoverJobConfig mover;
  const WallClock* clock = nullptr;  // never nullptr once built
  // Namespace of the Jobs of cluster-scoped objects (a ClusterRepository's connect and catalog
  // runs) and of the Secrets they name: the controller's own namespace.
  std::string system_namespace = "default";
  std::chrono::seconds catalog_interval{3600};  // default rescan of a Ready repository

  [[nodiscard]] telemetry::KopiurMetrics& metrics() const;
  [[nodiscard]] std::chrono::system_clock::time_point now() const { return clock->now(); }
};

}  // namespace kopiur::controller
