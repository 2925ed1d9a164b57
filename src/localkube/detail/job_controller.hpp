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
#include <map>
#include <string>

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
  void sync_job(const nlohmann::json& job, const std::vector<const nlohmann::json*>& pods,
                std::chrono::system_clock::time_point now,
                std::chrono::system_clock::time_point* next);
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
