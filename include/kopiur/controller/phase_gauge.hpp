// File: kopiur/controller/phase_gauge.hpp
//
// PhaseGauge: kopiur_resource_phase{kind,namespace,name,phase}. For an object, the series of its
// active phase is 1 and those of its kind's other phases are 0; when it is deleted every series
// of it is set to 0 at once (so `== 1` alerts clear) and, after a grace period, removed from the
// exposition, so the number of series follows the live objects, not the history. An object
// recreated within the grace period simply takes its series back.
//
//   PhaseGauge phases(metrics.resource_phase, clock, std::chrono::minutes(10));
//   phases.set("Backup", "apps", "nightly-1", {"Pending", "Running", ...}, "Running");
//   phases.deleted("Backup", "apps", "nightly-1");
//   phases.sweep();   // periodically: drops the series whose grace period is over
//
// Thread-safety: every method is safe from any thread (one mutex for the pending drops; the gauge
// itself is lock-free). Cost: set() records phases+1 series; sweep() is O(pending drops).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kopiur/controller/clock.hpp"
#include "kopiur/telemetry/metrics/instruments.hpp"

namespace kopiur::controller {

class PhaseGauge {
 public:
  PhaseGauge(telemetry::metrics::Gauge<std::int64_t> gauge, const Clock& clock,
             std::chrono::milliseconds grace);

  // Records `active` as the phase of the object (an empty `active` records every phase as 0: no
  // phase yet). `phases` is the kind's phase list; an active phase outside it is recorded too.
  void set(const std::string& kind, const std::string& ns, const std::string& name,
           const std::vector<std::string>& phases, const std::string& active);
  // The object is gone: zero every series of it now, drop them after the grace period.
  void deleted(const std::string& kind, const std::string& ns, const std::string& name);
  // Drops the series of objects deleted at least `grace` ago; returns how many objects.
  std::size_t sweep();
  [[nodiscard]] std::size_t pending_drops() const;

 private:
  static std::string key(const std::string& kind, const std::string& ns, const std::string& name);

  telemetry::metrics::Gauge<std::int64_t> gauge_;
  const Clock& clock_;
  std::chrono::milliseconds grace_;
  mutable std::mutex mu_;
  struct Pending {
    std::string kind, ns, name;
    Clock::time_point drop_at;
  };
  std::map<std::string, Pending> pending_;  // object key -> when its series go
};

}  // namespace kopiur::controller
