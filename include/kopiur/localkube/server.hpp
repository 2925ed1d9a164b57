// File: kopiur/localkube/server.hpp
//
// LocalApiServer: a small Kubernetes API server on 127.0.0.1 for development and tests, enough
// for the real kubectl and for kopiur's own client: discovery (/api, /apis, group/version
// resource lists, /version), CRD registration, namespaces, Secrets, ConfigMaps, PVCs, Jobs, Pods,
// Events (one store served as core/v1 and events.k8s.io/v1) and any kind a CRD defines; get,
// list (label and field selectors, `limit` and `continue` pages), watch (chunked JSON lines,
// resourceVersion, bookmarks, 410 Expired when the history is too old), create, update,
// merge/JSON/strategic patch, server-side apply (as a merge that creates when missing), delete with
// finalizers and deletionTimestamp, the status subresource, 409 on resourceVersion conflicts,
// Kubernetes Status bodies for every error. Names, labels and annotations are validated as the API
// server does, unknown fields follow fieldValidation (Strict/Warn/Ignore), and kopiur kinds are
// validated with the same C++ description the CRDs come from; every 422 carries details
// (docs/kubernetes.md). State lives in memory and, with Options::data_dir, in <data_dir>/state.json
// (written on every change; watch history is not kept across restarts, so old watches get 410 and
// re-list). With Options::run_jobs it also acts as the Job controller and a kubelet: a Job's Pods
// are created from its template and run as local processes (the container's command, args and env),
// and each container's exit code and termination message land in the Pod status, the Job's
// counts and conditions follow (Complete, or Failed with BackoffLimitExceeded/DeadlineExceeded),
// and `kubectl logs` reads their output (pods/log). See detail/kubelet.hpp for what differs from
// a real node (no images, no volumes).
//
// HTTP is kopiur_http's event-driven server (docs/http.md): request bodies over 3 MiB get 413
// unread, watches and `logs -f` are streamed chunk by chunk (never gzip-buffered) and hold no
// thread while idle (one pump thread serves them all), and a watcher that stops reading is
// dropped once max_watch_buffer_bytes queue up for it, as a real API server drops slow watchers.
//
// Thread-safety: all methods may be called from any thread; requests are served by a pool.
// Cost: each write serialises the whole state when persisting (fine for development sizes).
// Failure: start() returns an Error naming the step (bind, load state); a malformed request gets
// a Status error answer, never a crash.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kopiur/kube/result.hpp"

namespace kopiur::localkube {

class LocalApiServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;                      // 0 = any free port
    std::string data_dir;              // empty = memory only
    std::size_t watch_history = 1000;  // events kept for resuming watches
    std::chrono::milliseconds bookmark_interval{5000};
    // Threads running request handlers; watches and log streams hold none while they wait.
    std::size_t threads = 8;
    std::size_t max_connections = 4096;             // open connections (each watch keeps one)
    std::size_t max_body_bytes = 3u << 20;          // larger request bodies get 413
    std::size_t max_watch_buffer_bytes = 4u << 20;  // a slower watcher is dropped
    // Running workloads (off by default: a plain API server, as the client tests want).
    bool run_jobs = false;
    std::string work_dir;  // pods' logs and files; default <data_dir>/pods or a temporary dir
    // PersistentVolumeClaims' data, <volumes_dir>/<namespace>/<claimName> (docs/kubernetes.md,
    // "Volumes"); default <data_dir>/volumes, else <work_dir>/volumes.
    std::string volumes_dir;
    std::chrono::milliseconds job_backoff{10000};  // first retry delay of a failed Job pod
    std::chrono::milliseconds max_grace{10000};    // cap on a pod's termination grace period
    // Environment variables every container starts with, taken from this process's environment
    // when set there (a container's own env comes on top).
    std::vector<std::string> inherited_env = {"PATH", "HOME",   "USER", "LOGNAME",
                                              "LANG", "LC_ALL", "TZ",   "TMPDIR"};
    // Faults for tests (docs/reliability.md). max_watch_duration: every watch ends (cleanly, as
    // at its timeoutSeconds) at a random time between half this and this, whatever it asked for,
    // so that clients' re-watching runs all the time; 0 = watches end at their timeoutSeconds.
    std::chrono::milliseconds max_watch_duration{0};
    // With max_watch_duration: cut each watch abruptly instead (a connection reset in the middle
    // of the stream, without its last chunk), as a dying proxy or server does.
    bool abort_cut_watches = false;
    // fault: called before each request is served, from the serving thread, with its method,
    // path and query; an Error it returns is the answer instead (a Status body with its
    // http_status and reason, as the server's own errors). Empty = none.
    std::function<std::optional<kube::Error>(const std::string& method, const std::string& path,
                                             const std::string& query)>
        fault;
  };

  static kube::Result<std::unique_ptr<LocalApiServer>> start(Options options);
  ~LocalApiServer();
  LocalApiServer(const LocalApiServer&) = delete;
  LocalApiServer& operator=(const LocalApiServer&) = delete;

  int port() const;
  std::string url() const;  // http://127.0.0.1:<port>
  // kubeconfig(): a kubeconfig (YAML) whose current context points at this server.
  std::string kubeconfig() const;
  kube::Status write_kubeconfig(const std::string& path) const;
  // stop(): ends open watches and stops serving; idempotent.
  void stop();

 private:
  struct Impl;
  explicit LocalApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kopiur::localkube
