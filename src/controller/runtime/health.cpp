#include "kopiur/controller/health.hpp"

#include <algorithm>

namespace kopiur::controller {
namespace {

std::int64_t seconds(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

telemetry::http::Response answer(const Verdict& verdict, const char* what) {
  telemetry::http::Response r;
  if (verdict.ok) {
    r.body = "ok";
  } else {
    r.status = 503;
    r.body = std::string(what) + ": " + verdict.reason;
  }
  return r;
}

}  // namespace

Verdict readiness(const Runtime& runtime, const HealthOptions& options) {
  if (auto waiting = runtime.not_synced_reason(); !waiting.empty()) return {false, waiting};
  const auto p = runtime.progress();
  const auto silent = runtime.clock().now() - p.last_api_reply;
  if (silent > options.api_freshness) {
    return {false, "the API server has not answered for " + std::to_string(seconds(silent)) + "s"};
  }
  return {true, {}};
}

Verdict liveness(const Runtime& runtime, const HealthOptions& options) {
  if (!runtime.leading()) return {true, {}};
  const auto p = runtime.progress();
  const auto work = p.queue.ready + p.queue.processing;
  if (work == 0) return {true, {}};
  const auto since = std::max(p.last_progress, p.queue.busy_since);
  const auto stalled = runtime.clock().now() - since;
  if (stalled <= options.stall_timeout) return {true, {}};
  return {false, "no reconcile has started or finished for " + std::to_string(seconds(stalled)) +
                     "s while " + std::to_string(work) + " objects are queued or running"};
}

void add_health_routes(telemetry::http::HttpServer& server, const Runtime& runtime,
                       HealthOptions options) {
  server.route(
      "GET", "/readyz",
      [&runtime, options](const telemetry::http::Request&) {
        return answer(readiness(runtime, options), "not ready");
      },
      telemetry::http::Execution::kInline);
  server.route(
      "GET", "/healthz",
      [&runtime, options](const telemetry::http::Request&) {
        return answer(liveness(runtime, options), "unhealthy");
      },
      telemetry::http::Execution::kInline);
}

}  // namespace kopiur::controller
