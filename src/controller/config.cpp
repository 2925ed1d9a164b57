#include "kopiur/controller/config.hpp"

#include <charconv>

#include <unistd.h>

#include "kopiur/schedule/duration.hpp"

namespace kopiur::controller {
namespace {

std::vector<std::string> split_namespaces(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// A namespace name: a DNS-1123 label.
bool valid_namespace(const std::string& ns) {
  if (ns.empty() || ns.size() > 63 || ns.front() == '-' || ns.back() == '-') return false;
  for (const char c : ns) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// The flag's value, or the environment variable's when the flag was not given.
std::string flag_or_env(const app::Flags& flags, const telemetry::EnvLookup& env,
                        std::string_view flag, std::string_view variable) {
  if (!flags.given(flag)) {
    if (auto value = env(variable); value && !value->empty()) return *value;
  }
  return flags.get(flag);
}

std::string duration_flag(const app::Flags& flags, const char* name,
                          std::chrono::milliseconds& out) {
  const auto text = flags.get(name);
  const auto parsed = parse_duration(text);
  if (!parsed || parsed->count() <= 0) {
    return std::string("--") + name +
           ": expected a positive duration such as 15s, 10m or 500ms, got \"" + text + "\"";
  }
  out = *parsed;
  return {};
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  return schedule::parse_duration(text);
}

std::vector<app::FlagSpec> controller_flags() {
  return {
      {"http-addr", "ADDR", "Address for /metrics, /healthz and /readyz", "0.0.0.0:8080"},
      {"kubeconfig", "PATH", "Kubeconfig to use (default: $KUBECONFIG, then in-cluster)", ""},
      {"namespace", "NS[,NS...]",
       "Watch these namespaces only (comma list, or the flag repeated; default: all)", "", true},
      {"cluster-scope", "", "Watch every namespace (the default)", ""},
      {"workers", "N", "Reconcile workers shared by all kinds, 1-64 (env KOPIUR_WORKER_THREADS)",
       "4"},
      {"leader-elect", "", "Take part in leader election; only the leader reconciles", ""},
      {"leader-elect-lease-duration", "DURATION", "How long a Lease holds without renewal", "15s"},
      {"leader-elect-renew-deadline", "DURATION", "How long the leader keeps trying to renew",
       "10s"},
      {"leader-elect-retry-period", "DURATION", "Between two attempts to take or renew", "2s"},
      {"leader-elect-namespace", "NS", "Namespace of the Lease (env KOPIUR_NAMESPACE)",
       "kopiur-system"},
      {"mover-image", "IMAGE", "Image of mover Jobs (env KOPIUR_MOVER_IMAGE)", ""},
      {"mover-pull-policy", "POLICY",
       "imagePullPolicy of mover Jobs: Always, IfNotPresent or Never (env "
       "KOPIUR_MOVER_PULL_POLICY)",
       "IfNotPresent"},
      {"phase-series-grace", "DURATION",
       "How long kopiur_resource_phase keeps a deleted object's zeroed series", "10m"},
      {"stall-timeout", "DURATION",
       "/healthz fails when queued work makes no progress for this long", "5m"},
      {"standalone", "", "Run without a Kubernetes API: serve the endpoints only", ""},
  };
}

std::vector<app::EnvSpec> controller_env() {
  return {{"KUBECONFIG", "Kubeconfig path when --kubeconfig is not given"},
          {"KOPIUR_WORKER_THREADS", "--workers when the flag is not given"},
          {"KOPIUR_MOVER_IMAGE", "--mover-image when the flag is not given"},
          {"KOPIUR_MOVER_PULL_POLICY", "--mover-pull-policy when the flag is not given"},
          {"KOPIUR_NAMESPACE", "The controller's namespace: the Lease's, unless given"},
          {"KOPIUR_POD_NAME", "This replica's identity in leader election (default: hostname)"}};
}

ConfigResult controller_config(const app::Flags& flags, const telemetry::EnvLookup& env) {
  ControllerConfig c;
  c.http_addr = flags.get("http-addr");
  c.kubeconfig = flags.get("kubeconfig");
  c.standalone = flags.enabled("standalone");
  c.namespaces = split_namespaces(flags.get("namespace"));
  if (flags.enabled("cluster-scope") && !c.namespaces.empty()) {
    return {std::nullopt, "--cluster-scope and --namespace exclude each other: pass one of them"};
  }
  for (const auto& ns : c.namespaces) {
    if (!valid_namespace(ns)) {
      return {std::nullopt, "--namespace: \"" + ns +
                                "\" is not a namespace name (lower-case letters, digits and '-', "
                                "at most 63)"};
    }
  }
  const auto workers = flag_or_env(flags, env, "workers", "KOPIUR_WORKER_THREADS");
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(workers.data(), workers.data() + workers.size(), n);
  if (ec != std::errc() || end != workers.data() + workers.size() || n < 1 || n > 64) {
    return {std::nullopt,
            "--workers: expected a whole number from 1 to 64, got \"" + workers + "\""};
  }
  c.workers = n;
  c.leader_elect = flags.enabled("leader-elect");
  for (const auto& [name, target] :
       {std::pair{"leader-elect-lease-duration", &c.leader.lease_duration},
        std::pair{"leader-elect-renew-deadline", &c.leader.renew_deadline},
        std::pair{"leader-elect-retry-period", &c.leader.retry_period},
        std::pair{"phase-series-grace", &c.phase_grace},
        std::pair{"stall-timeout", &c.health.stall_timeout}}) {
    if (auto error = duration_flag(flags, name, *target); !error.empty())
      return {std::nullopt, error};
  }
  c.leader.lease_namespace = flag_or_env(flags, env, "leader-elect-namespace", "KOPIUR_NAMESPACE");
  if (auto pod = env("KOPIUR_POD_NAME"); pod && !pod->empty()) {
    c.leader.identity = *pod;
  } else {
    char host[256] = {};
    (void)gethostname(host, sizeof host - 1);
    c.leader.identity = std::string(host) + "-" + std::to_string(getpid());
  }
  if (c.leader_elect) {
    if (auto error = validate_leader_election(c.leader); !error.empty())
      return {std::nullopt, error};
    if (!valid_namespace(c.leader.lease_namespace)) {
      return {std::nullopt, "--leader-elect-namespace: \"" + c.leader.lease_namespace +
                                "\" is not a namespace name"};
    }
  }
  c.mover_image = flag_or_env(flags, env, "mover-image", "KOPIUR_MOVER_IMAGE");
  c.mover_pull_policy = flag_or_env(flags, env, "mover-pull-policy", "KOPIUR_MOVER_PULL_POLICY");
  if (c.mover_pull_policy != "Always" && c.mover_pull_policy != "IfNotPresent" &&
      c.mover_pull_policy != "Never") {
    return {std::nullopt, "--mover-pull-policy: expected Always, IfNotPresent or Never, got \"" +
                              c.mover_pull_policy + "\""};
  }
  return {std::move(c), {}};
}

}  // namespace kopiur::controller
