// File: kopiur/webhook/config.hpp
//
// kopiur-webhook's command line: the flags and environment its --help lists, their checks, and
// the cluster access that reference checks read through.
//
//   auto parsed = webhook_config(flags, telemetry::process_env());
//   if (!parsed.config) { print parsed.error; exit 2; }     // names the flag at fault
//   auto cluster = connect_cluster(*parsed.config);          // caches, or a reason there are none
//
// TLS is the default: --tls-cert and --tls-key together (readable files), or --insecure-http to
// serve plain HTTP on purpose. One of the pair alone, an unreadable file, or neither without
// --insecure-http is an error naming the flag, never a silent fall-back to plain HTTP.
//
// Thread-safety: plain functions. Failure: errors are returned as sentences, nothing throws.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kopiur/app/cli.hpp"
#include "kopiur/telemetry/env.hpp"
#include "kopiur/telemetry/http/server.hpp"
#include "kopiur/webhook/lookup.hpp"

namespace kopiur::webhook {

struct WebhookConfig {
  std::string listen = "0.0.0.0:8443";
  std::optional<telemetry::http::TlsFiles> tls;  // nullopt only with --insecure-http
  std::string kubeconfig;                        // --kubeconfig; "" = $KUBECONFIG, then in-cluster
  bool in_cluster = false;                       // --in-cluster: only the pod's ServiceAccount
};

struct WebhookConfigResult {
  std::optional<WebhookConfig> config;
  std::string error;  // when !config: what is wrong, naming the flag
};

std::vector<app::FlagSpec> webhook_flags(const telemetry::EnvLookup& env);
std::vector<app::EnvSpec> webhook_env();
WebhookConfigResult webhook_config(const app::Flags& flags);

// ClusterAccess: the reference caches, or why there are none. `fatal` when --kubeconfig or
// --in-cluster was given and cannot be used (the program exits); otherwise a missing kubeconfig
// only turns reference checks off (the program warns at start-up and in each affected review).
struct ClusterAccess {
  std::unique_ptr<CacheLookup> cache;
  std::string error;
  bool fatal = false;
};
ClusterAccess connect_cluster(const WebhookConfig& config, kube::Watcher::ErrorHandler on_error);

}  // namespace kopiur::webhook
