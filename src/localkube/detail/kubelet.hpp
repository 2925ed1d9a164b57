// LocalKubelet: runs the local server's Pods as local processes, as a node's kubelet would run
// their containers. Each container's command and args (with $(VAR) references expanded) run with
// the environment the pod spec defines (env, envFrom, Secret and ConfigMap keys, pod fields), its
// output goes to a log file that `kubectl logs` reads, and its end is recorded in the Pod status:
// phase, and per container state.terminated {exitCode, signal, reason, message, startedAt,
// finishedAt}. The message is the termination-message file's content (or, with
// FallbackToLogsOnError and a failure, the log's tail). Because container paths do not exist on
// this machine, each container gets its own termination-message file, named in its environment
// as KOPIUR_TERMINATION_MESSAGE_PATH, and KUBECONFIG pointing at the local server.
//
// A deleted pod's containers get SIGTERM, then SIGKILL after the grace period; while a finalizer
// keeps the pod, their end is still recorded. When a container's main process ends, whatever it
// left in its process group is killed. A pod left Running by a crashed server has its processes
// killed (when still the same processes) and is marked ContainerStatusUnknown.
//
// What differs from a node: no images (a container without a command cannot start: StartError,
// exit code 128), no volumes (paths are the host's), no restarts (restartPolicy Always behaves as
// Never), no init containers (the pod fails with a message saying so).
//
// Thread-safety: sync() and stop() from one thread (the server's workload loop); log_file() from
// any. Each running container has a waiter thread that records its end.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

#include "localkube/detail/local_store.hpp"
#include "localkube/detail/pod_volumes.hpp"

namespace kopiur::localkube::detail {

class LocalKubelet {
 public:
  struct Options {
    std::string work_dir;         // per-pod directories: logs, termination messages
    std::string volumes_dir;      // PersistentVolumeClaims: <volumes_dir>/<namespace>/<claim>
    std::string kubeconfig_path;  // given to containers as KUBECONFIG
    std::string node_name = "localkube";
    std::vector<std::string> base_env;           // "NAME=value" every container starts with
    std::chrono::milliseconds max_grace{10000};  // cap on terminationGracePeriodSeconds
  };

  LocalKubelet(LocalStore& store, Options options);
  ~LocalKubelet();
  LocalKubelet(const LocalKubelet&) = delete;
  LocalKubelet& operator=(const LocalKubelet&) = delete;

  // sync(): starts pods that are due, terminates containers of deleted pods, forgets finished
  // runs. Returns when it next needs to run (a grace period ending), or time_point::max().
  std::chrono::steady_clock::time_point sync();
  // stop(): SIGTERM to every container, SIGKILL after the grace period, final statuses written.
  void stop();

  // log_file(): the file holding a container's output (it may not exist yet).
  std::string log_file(const nlohmann::json& pod, const std::string& container) const;
  // container_running(): whether that container is running now (for following logs).
  bool container_running(const std::string& pod_uid, const std::string& container) const;

 private:
  struct ContainerRun;
  struct PodRun;
  struct ContainerPlan;

  void start_pod(const nlohmann::json& pod);
  std::unique_ptr<PodRun> new_run(const nlohmann::json& pod) const;
  // Resolves every container's env, mounts and command into `plans` (and run.containers). False
  // when the pod cannot start now: it is then marked waiting (retried on the next sync) or failed.
  bool plan_containers(const nlohmann::json& pod, PodRun& run, std::vector<ContainerPlan>& plans);
  ContainerPlan plan_container(const nlohmann::json& container, const EnvList& env,
                               const std::vector<LocalMount>& mounts, const PodRun& run,
                               ContainerRun& c) const;
  // Starts each planned container; one that cannot start is terminated with StartError.
  void launch_locked(PodRun& run, std::vector<ContainerPlan>& plans);
  void mark_waiting(const nlohmann::json& pod, const std::string& container,
                    const std::string& image, const char* reason, const std::string& message);
  void fail_pod(const nlohmann::json& pod, const std::string& message);
  void recover_lost(const nlohmann::json& pod);
  void remove_stale_dirs(const std::set<std::string>& pod_uids);
  void await_container(PodRun* run, std::size_t index);
  void begin_termination(PodRun& run, std::chrono::steady_clock::time_point now);
  void write_status_locked(const PodRun& run);
  void write_status(const nlohmann::json& pod, const nlohmann::json& status);
  std::string pod_dir(const nlohmann::json& pod) const;

  LocalStore& store_;
  Options options_;
  ResourceType pods_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<PodRun>> runs_;  // by pod uid
  std::set<std::string> last_present_;                   // pod uids seen by the previous sync()
  bool dirs_stale_ = true;                               // a pod directory may have lost its pod
};

}  // namespace kopiur::localkube::detail
