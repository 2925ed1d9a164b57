// kopiur-webhook's flags, their checks, and the cluster access behind reference checks.
#include "kopiur/webhook/config.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "kopiur/kube/config.hpp"

namespace kopiur::webhook {
namespace {

std::string env_or(const telemetry::EnvLookup& env, const char* name, std::string fallback) {
  auto value = env(name);
  return value && !value->empty() ? *value : fallback;
}

// "" when `path` can be opened for reading, else why not, naming the flag.
std::string unreadable(const char* flag, const std::string& path) {
  std::ifstream in(path);
  if (in.good()) return {};
  return std::string("--") + flag + " " + path + ": cannot read the file: " + std::strerror(errno);
}

}  // namespace

std::vector<app::FlagSpec> webhook_flags(const telemetry::EnvLookup& env) {
  return {
      {"listen", "ADDR", "Address of the HTTPS listener",
       env_or(env, "KOPIUR_WEBHOOK_ADDR", "0.0.0.0:8443")},
      {"tls-cert", "PATH", "PEM certificate chain (re-read when it changes)",
       env_or(env, "KOPIUR_WEBHOOK_TLS_CERT", "")},
      {"tls-key", "PATH", "PEM private key (re-read when it changes)",
       env_or(env, "KOPIUR_WEBHOOK_TLS_KEY", "")},
      {"insecure-http", "", "Serve plain HTTP without a certificate (local use only)", ""},
      {"kubeconfig", "PATH",
       "Kubeconfig for reference checks (default: $KUBECONFIG, ~/.kube/config, then in-cluster; "
       "without any, references are not checked)",
       ""},
      {"in-cluster", "",
       "Reference checks through the pod's ServiceAccount only (the chart's setting): start-up "
       "fails when its token is missing instead of leaving references unchecked",
       ""},
  };
}

std::vector<app::EnvSpec> webhook_env() {
  return {{"KOPIUR_WEBHOOK_ADDR", "Default for --listen"},
          {"KOPIUR_WEBHOOK_TLS_CERT", "Default for --tls-cert"},
          {"KOPIUR_WEBHOOK_TLS_KEY", "Default for --tls-key"},
          {"KUBECONFIG", "Kubeconfig path when --kubeconfig is not given"}};
}

WebhookConfigResult webhook_config(const app::Flags& flags) {
  WebhookConfig c;
  c.listen = flags.get("listen");
  c.kubeconfig = flags.get("kubeconfig");
  c.in_cluster = flags.enabled("in-cluster");
  if (c.in_cluster && !c.kubeconfig.empty()) {
    return {std::nullopt,
            "--in-cluster and --kubeconfig both say where the cluster is: give one of them"};
  }
  const std::string cert = flags.get("tls-cert");
  const std::string key = flags.get("tls-key");
  const bool insecure = flags.enabled("insecure-http");
  if (insecure && (!cert.empty() || !key.empty())) {
    return {std::nullopt,
            "--insecure-http serves plain HTTP, but a certificate or key is given "
            "(--tls-cert/--tls-key or KOPIUR_WEBHOOK_TLS_*): drop one or the other"};
  }
  if (cert.empty() != key.empty()) {
    return {std::nullopt, cert.empty() ? "--tls-key is given without --tls-cert: give both"
                                       : "--tls-cert is given without --tls-key: give both"};
  }
  if (cert.empty() && !insecure) {
    return {std::nullopt,
            "no certificate: give --tls-cert and --tls-key (PEM files), or --insecure-http to "
            "serve plain HTTP for local use"};
  }
  if (!cert.empty()) {
    if (auto why = unreadable("tls-cert", cert); !why.empty()) return {std::nullopt, why};
    if (auto why = unreadable("tls-key", key); !why.empty()) return {std::nullopt, why};
    c.tls = telemetry::http::TlsFiles{cert, key};
  }
  return {c, {}};
}

ClusterAccess connect_cluster(const WebhookConfig& config, kube::Watcher::ErrorHandler on_error) {
  ClusterAccess out;
  auto loaded = config.in_cluster           ? kube::in_cluster_config()
                : config.kubeconfig.empty() ? kube::default_config()
                                            : kube::load_kubeconfig(config.kubeconfig);
  if (!loaded.ok()) {
    // Only the default search may come up empty: a named source that fails is fatal.
    out.fatal = config.in_cluster || !config.kubeconfig.empty();
    const std::string flag = config.in_cluster ? "--in-cluster: " : "--kubeconfig: ";
    out.error = (out.fatal ? flag : "") + loaded.error().to_string();
    if (config.in_cluster) {
      out.error += " (mount the ServiceAccount token: automountServiceAccountToken: true)";
    }
    return out;
  }
  out.cache = std::make_unique<CacheLookup>(kube::Client(loaded.value()), std::move(on_error));
  return out;
}

}  // namespace kopiur::webhook
