// File: kopiur/controller/leader_election.hpp
//
// LeaderElector: one leader among the controller's replicas, through a coordination.k8s.io/v1
// Lease, as client-go's leaderelection does. A candidate takes the Lease when it is free or its
// holder has not renewed it for lease_duration (measured on the candidate's own clock from the
// moment it saw the Lease last change, so clock skew between replicas does not matter); the
// leader renews it every retry_period and gives leadership up when it could not renew for
// renew_deadline (< lease_duration, so it stops before anyone else may start), or at once when it
// finds another holder in the Lease. Every write is a compare-and-swap on resourceVersion.
// stop() releases a held Lease (holder cleared) so a successor need not wait for it to expire.
//
//   LeaderElector elector(client, {.lease_namespace = "kopiur-system", .identity = pod},
//                         [&](bool leading) { runtime.set_leading(leading); });
//   elector.start();
//
// Thread-safety: start()/stop()/leading() from any thread; on_change runs on the elector's
// thread. Failure: API errors are logged at WARN and retried every retry_period.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "kopiur/controller/clock.hpp"
#include "kopiur/kube/client.hpp"

namespace kopiur::controller {

inline const kube::ResourceId kLeases{"coordination.k8s.io", "v1", "leases", true};

struct LeaderElectionOptions {
  std::string lease_namespace = "default";
  std::string lease_name = "kopiur-controller-leader";
  std::string identity;  // unique per replica (the pod name)
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  const Clock* clock = nullptr;  // nullptr: the steady clock
};

// validate_leader_election(): "" when the durations are usable, else what to change (client-go's
// rules: lease_duration > renew_deadline > retry_period > 0).
std::string validate_leader_election(const LeaderElectionOptions& options);

class LeaderElector {
 public:
  LeaderElector(kube::Client client, LeaderElectionOptions options,
                std::function<void(bool leading)> on_change);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void start();
  // Stops trying, gives leadership up (on_change(false)) and releases the Lease; idempotent.
  void stop();
  [[nodiscard]] bool leading() const { return leading_.load(); }

 private:
  void run();
  // One attempt to take or renew the Lease; true when this replica holds it afterwards.
  bool try_acquire_or_renew();
  void set_leading(bool leading);
  void release();

  kube::Client client_;
  LeaderElectionOptions options_;
  SteadyClock steady_;
  const Clock* clock_;
  std::function<void(bool)> on_change_;
  std::atomic<bool> leading_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  // What this replica last saw in the Lease, and when (its own clock).
  std::string observed_record_;
  Clock::time_point observed_at_{};
  Clock::time_point last_renew_{};
};

}  // namespace kopiur::controller
