// File: kopiur/controller/health.hpp
//
// The controller's probes, from the runtime's state:
//   /readyz  200 only when every cache has synced and the API server answered within
//            api_freshness (30 s): a controller that cannot see the cluster takes no traffic.
//   /healthz 200 unless the controller is wedged: it leads, work is queued or running, and no
//            worker has taken or finished a key for stall_timeout (the heartbeat), so the kubelet
//            restarts it. A follower, or a leader with nothing to do, is always healthy.
//
//   add_health_routes(server, runtime, {.stall_timeout = std::chrono::minutes(5)});
//
// Thread-safety: the checks read atomics and the queue's counts; safe from HTTP threads.
#pragma once

#include <chrono>
#include <string>

#include "kopiur/controller/runtime.hpp"
#include "kopiur/telemetry/http/server.hpp"

namespace kopiur::controller {

struct HealthOptions {
  std::chrono::milliseconds api_freshness{std::chrono::seconds(30)};
  std::chrono::milliseconds stall_timeout{std::chrono::minutes(5)};
};

struct Verdict {
  bool ok = false;
  std::string reason;  // why not, for the 503 body
};

Verdict readiness(const Runtime& runtime, const HealthOptions& options);
Verdict liveness(const Runtime& runtime, const HealthOptions& options);

// Registers GET /readyz and GET /healthz. `runtime` must outlive the server.
void add_health_routes(telemetry::http::HttpServer& server, const Runtime& runtime,
                       HealthOptions options);

}  // namespace kopiur::controller
