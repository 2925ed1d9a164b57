// File: kopiur/kube/config.hpp
//
// Where the API server is and how to authenticate: from a kubeconfig file (current context or a
// named one; server; certificate-authority / -data; insecure-skip-tls-verify; client-certificate
// / -data and client-key / -data; token / tokenFile) or from inside a pod (the service-account
// token, CA and namespace under /var/run/secrets/kubernetes.io/serviceaccount plus
// KUBERNETES_SERVICE_HOST/PORT). default_config() tries $KUBECONFIG, ~/.kube/config, then
// in-cluster, like kubectl and client-go.
//
// Thread-safety: plain values and pure functions. Cost: reads files once. Failure: Error naming
// the file or field that is missing or wrong ("kubeconfig /x: context \"dev\" not found").
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "kopiur/kube/result.hpp"

namespace kopiur::kube {

inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

struct Config {
  std::string server;  // scheme://host:port
  std::string ca_pem;  // trusted CA bundle (PEM); empty = system default
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;       // static bearer token
  std::string token_file;  // re-read on every request, so rotated tokens are picked up
  std::string namespace_ = "default";
  // Deadlines (docs/kubernetes.md, "Deadlines"). timeout: the whole of an ordinary request.
  // connect_timeout: TCP connect plus TLS handshake, for every request and watch. A watch has no
  // total deadline (the server ends it after WatchOptions::timeout_seconds); instead it fails
  // when no byte arrives for watch_idle_timeout, longer than the minute between the bookmarks an
  // API server sends, so a silently stalled connection is replaced instead of waited on forever.
  std::chrono::seconds timeout{30};
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds watch_idle_timeout{150000};
  // Called after every request that is not a watch: its method, the HTTP status (0 when no
  // answer came) and how long it took. Must be cheap and thread-safe (request metrics).
  std::function<void(const std::string& method, int status, std::chrono::duration<double> took)>
      on_request{};
};

Result<Config> load_kubeconfig(const std::string& path, const std::string& context = "");
// load_kubeconfig_text(): relative file references resolve against base_dir.
Result<Config> load_kubeconfig_text(const std::string& yaml, const std::string& base_dir,
                                    const std::string& context = "");
Result<Config> in_cluster_config(const std::string& service_account_dir = kServiceAccountDir);
Result<Config> default_config();

}  // namespace kopiur::kube
