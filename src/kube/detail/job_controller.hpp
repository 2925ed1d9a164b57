// LocalJobController: the part of kube-controller-manager the local server needs for Jobs. It
// creates a Job's Pods from its template (named <job>-<suffix>, labelled and owned by the Job),
// retries failures with exponential backoff up to spec.backoffLimit, enforces
// activeDeadlineSeconds, honours suspend, parallelism and completions, and keeps the Job status
// as batch/v1 does: active/ready/succeeded/failed counts, startTime, completionTime, and the
// conditions SuccessCriteriaMet + Complete, or FailureTarget + Failed with the reasons
// BackoffLimitExceeded or DeadlineExceeded. Finished Jobs are deleted after
// ttlSecondsAfterFinished; Pods whose Job is gone are deleted (background propagation).
//
// Thread-safety: sync() from one thread (the server's workload loop).
#pragma once

#include <chrono>

#include "kube/detail/local_store.hpp"

namespace kopiur::kube::detail {

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
  LocalStore& store_;
  Options options_;
  ResourceType jobs_;
  ResourceType pods_;
};

}  // namespace kopiur::kube::detail
