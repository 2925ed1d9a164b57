// File: kopiur/kube/local_server.hpp
//
// LocalApiServer: a small Kubernetes API server on 127.0.0.1 for development and tests, enough
// for the real kubectl and for kopiur's own client: discovery (/api, /apis, group/version
// resource lists, /version), CRD registration, namespaces, Secrets, ConfigMaps, PVCs, Jobs, Pods,
// Events (core and events.k8s.io) and any kind a CRD defines; get, list (label and field
// selectors), watch (chunked JSON lines, resourceVersion, bookmarks, 410 Expired when the
// history is too old), create, update, merge/JSON/strategic patch, server-side apply (as a merge
// that creates when missing), delete with finalizers and deletionTimestamp, the status
// subresource, 409 on resourceVersion conflicts, Kubernetes Status bodies for every error.
// kopiur kinds are validated with the same C++ description the CRDs come from (422 + field paths).
// State lives in memory and, with Options::data_dir, in <data_dir>/state.json (written on every
// change; watch history is not kept across restarts, so old watches get 410 and re-list).
//
// Thread-safety: all methods may be called from any thread; requests are served by a pool.
// Cost: each write serialises the whole state when persisting (fine for development sizes).
// Failure: start() returns an Error naming the step (bind, load state); a malformed request gets
// a Status error answer, never a crash.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "kopiur/kube/result.hpp"

namespace kopiur::kube {

class LocalApiServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;                      // 0 = any free port
    std::string data_dir;              // empty = memory only
    std::size_t watch_history = 1000;  // events kept for resuming watches
    std::chrono::milliseconds bookmark_interval{5000};
    std::size_t threads = 32;  // each open watch holds one
  };

  static Result<std::unique_ptr<LocalApiServer>> start(Options options);
  ~LocalApiServer();
  LocalApiServer(const LocalApiServer&) = delete;
  LocalApiServer& operator=(const LocalApiServer&) = delete;

  int port() const;
  std::string url() const;  // http://127.0.0.1:<port>
  // kubeconfig(): a kubeconfig (YAML) whose current context points at this server.
  std::string kubeconfig() const;
  Status write_kubeconfig(const std::string& path) const;
  // stop(): ends open watches and stops serving; idempotent.
  void stop();

 private:
  struct Impl;
  explicit LocalApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kopiur::kube
