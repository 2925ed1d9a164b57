// Workloads (LocalApiServer::Options::run_jobs): the Job controller and the kubelet, driven by
// one level-triggered loop. After any change in the store (or when a timer falls due) both look
// at everything again; their writes are idempotent, so a pass that changes nothing lets the loop
// sleep until the next change.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "kopiur/localkube/server.hpp"

#include "localkube/detail/job_controller.hpp"
#include "localkube/detail/kubelet.hpp"
#include "localkube/detail/local_store.hpp"

namespace kopiur::localkube::detail {

class Workloads {
 public:
  // Prepares the work directory (Options::work_dir, else <data_dir>/pods, else a temporary one
  // removed again by stop()), the controller and the kubelet; nothing runs yet.
  static Result<std::unique_ptr<Workloads>> prepare(LocalStore& store,
                                                    const LocalApiServer::Options& options);
  // Use prepare(); public only for std::make_unique.
  Workloads(LocalStore& store, std::string work_dir, bool own_work_dir);
  ~Workloads();
  Workloads(const Workloads&) = delete;
  Workloads& operator=(const Workloads&) = delete;

  // The kubeconfig containers get (KUBECONFIG); the server writes it once it knows its port.
  [[nodiscard]] std::string kubeconfig_path() const;
  [[nodiscard]] LocalKubelet& kubelet() { return *kubelet_; }
  // Starts the loop. The store must be shut down before stop() for the loop to end.
  void start();
  // Joins the loop, stops the containers (SIGTERM, then SIGKILL after their grace; their final
  // status is still written) and removes a temporary work directory.
  void stop();

 private:
  void loop();

  LocalStore& store_;
  std::string work_dir_;
  bool own_work_dir_ = false;
  std::unique_ptr<LocalJobController> jobs_;
  std::unique_ptr<LocalKubelet> kubelet_;
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace kopiur::localkube::detail
