// LocalJobController: the part of kube-controller-manager the local server needs for Jobs. It
// creates a Job's Pods from its template (named <job>-<suffix>, labelled and owned by the Job),
// retries failures with exponential backoff up to spec.backoffLimit, enforces
// activeDeadlineSeconds, honours suspend, parallelism and completions (unset: a work queue), and
// keeps the Job status as batch/v1 does: active/ready/terminating/succeeded/failed, startTime,
// completionTime, and the conditions SuccessCriteriaMet + Complete, or FailureTarget + Failed
// with the reasons BackoffLimitExceeded or DeadlineExceeded. Finished Jobs are deleted after
// ttlSecondsAfterFinished; Pods whose Job is gone are deleted (background propagation).
//
// Like Kubernetes, it tracks pods with the batch.kubernetes.io/job-tracking finalizer: a pod is
// counted once, when it ends (its uid goes to status.uncountedTerminatedPods in the same write as
// the count), then the finalizer is released. So a pod deleted while it runs is stopped, records
// how it ended, and counts as a failure, as it does on a cluster.
//
// Thread-safety: sync() from one thread (the server's workload loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "localkube/detail/local_store.hpp"

namespace kopiur::localkube::detail {

class LocalJobController {
 public:
  struct Options {
    std::string node_name = "localkube";  // set on the Pods it creates
    // The delay before recreating a failed pod: base × 2^(failures−1), at most max.
    std::chrono::milliseconds backoff_base{10000};
    std::chrono::milliseconds backoff_max{360000};
  };

  LocalJobController(LocalStore& store, Options options);

  // sync(): one level-triggered pass over every Job. Returns when something next falls due (a
  // backoff ending, a deadline, a TTL), or time_point::max().
  std::chrono::system_clock::time_point sync();

 private:
  using Clock = std::chrono::system_clock;
  using Pods = std::vector<const nlohmann::json*>;
  // What one pass found about a Job's pods; the counts become its status.
  struct Tally {
    nlohmann::json counted_now;  // {"succeeded": [uid...], "failed": [uid...]} counted this pass
    std::int64_t succeeded = 0;
    std::int64_t failed = 0;
    std::int64_t active = 0;
    std::int64_t ready = 0;
    std::int64_t terminating = 0;
    std::optional<Clock::time_point> last_failure;
    Pods to_release;  // ended pods whose tracking finalizer goes once the status is written
  };

  void sync_job(const nlohmann::json& job, const Pods& pods, Clock::time_point now,
                Clock::time_point* next);
  Tally tally(const nlohmann::json& status, const Pods& pods, Clock::time_point now);
  void delete_active(const std::string& ns, const Pods& pods, Tally& tally);
  // A finished Job: its leftover pods go, and it goes after its TTL. False once it is deleted.
  bool sync_finished(const nlohmann::json& job, const Pods& pods, Tally& tally,
                     Clock::time_point now, Clock::time_point* next);
  // A running Job: fails it (backoff limit, deadline), completes it, or starts the pods it lacks.
  void sync_running(const nlohmann::json& job, nlohmann::json& status, const Pods& pods,
                    Tally& tally, Clock::time_point now, Clock::time_point* next);
  // How many pods to start now (0 while a failure's backoff runs; then *next is its end).
  std::int64_t pods_wanted(const nlohmann::json& spec, const Tally& tally, Clock::time_point now,
                           Clock::time_point* next) const;
  void start_pods(const nlohmann::json& job, std::int64_t count, Tally& tally);
  void write_status(const nlohmann::json& job, const nlohmann::json& old_status,
                    nlohmann::json status, const Tally& tally);
  void collect_orphans(const std::vector<const nlohmann::json*>& pods);
  void release(const nlohmann::json& pod);

  LocalStore& store_;
  Options options_;
  // When this controller first saw each failed pod (more precise than finishedAt's whole
  // seconds, for short test backoffs); falls back to finishedAt after a restart.
  std::map<std::string, std::chrono::system_clock::time_point> failure_seen_;
  ResourceType jobs_;
  ResourceType pods_;
};

}  // namespace kopiur::localkube::detail
