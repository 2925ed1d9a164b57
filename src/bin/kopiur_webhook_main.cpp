// kopiur-webhook: the validating admission webhook. Serves POST /validate (and /admission) plus
// /metrics, /healthz and /readyz on one TLS port (8443), re-reading the certificate and key when
// they change on disk. main() checks the flags, starts telemetry, the reference caches and the
// server, and runs until SIGTERM or SIGINT.
#include <chrono>
#include <cstdio>

#include "kopiur/app/cli.hpp"
#include "kopiur/app/program.hpp"
#include "kopiur/app/shutdown.hpp"
#include "kopiur/telemetry/http/server.hpp"
#include "kopiur/telemetry/log/log.hpp"
#include "kopiur/webhook/config.hpp"
#include "kopiur/webhook/webhook.hpp"

namespace {

namespace app = kopiur::app;
namespace http = kopiur::telemetry::http;
namespace log = kopiur::telemetry::log;
namespace wh = kopiur::webhook;

app::ProgramSpec webhook_spec() {
  app::ProgramSpec spec;
  spec.name = "kopiur-webhook";
  spec.summary =
      "Validating admission webhook for kopiur's resources; serves /metrics, /healthz, "
      "/readyz.";
  spec.flags = wh::webhook_flags(kopiur::telemetry::process_env());
  spec.env = wh::webhook_env();
  app::add_telemetry_env_help(spec);
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  app::Flags flags;
  if (auto code = app::handle_command_line(webhook_spec(), argc, argv, flags)) return *code;
  const auto parsed = wh::webhook_config(flags);
  if (!parsed.config) {
    std::fprintf(stderr, "kopiur-webhook: %s\n", parsed.error.c_str());
    return 2;
  }
  auto shutdown = app::ShutdownSignal::install();
  auto telemetry = app::start_telemetry("kopiur-webhook");
  if (!telemetry) return 1;
  auto cluster = wh::connect_cluster(*parsed.config, [](const kopiur::kube::Error& e) {
    KOPIUR_WARN("reference cache", log::kv("error", e.to_string()));
  });
  if (cluster.fatal) {
    KOPIUR_ERROR("cannot start", log::kv("error", cluster.error));
    return 1;
  }
  if (!cluster.cache) {
    KOPIUR_WARN("no cluster access: references are not checked", log::kv("reason", cluster.error));
  }
  wh::AdmissionWebhook webhook(telemetry->meter(), cluster.cache.get());

  http::ServerOptions options;
  options.address = parsed.config->listen;
  options.tls = parsed.config->tls;
  options.max_body_bytes = wh::kMaxReviewBytes;
  options.on_body_too_large = webhook.oversized_counter();
  // TLS reloads that failed and the periodic summary of refused requests go to the log.
  options.on_warning = [](std::string_view message) {
    KOPIUR_WARN("http server", log::kv("detail", std::string(message)));
  };
  http::Health health;
  http::HttpServer server(options);
  app::add_observability_routes(server, *telemetry, health);
  webhook.add_routes(server);
  if (std::string error = server.start(); !error.empty()) {
    KOPIUR_ERROR("cannot serve the webhook endpoints", log::kv("error", error));
    return 1;
  }
  KOPIUR_INFO("serving POST /validate, /metrics, /healthz and /readyz",
              log::kv("address", options.address), log::kv("tls", options.tls.has_value()),
              log::kv("port", static_cast<std::int64_t>(server.port())));
  if (cluster.cache) {
    health.set_ready(false, "the reference caches have not listed the cluster yet");
    cluster.cache->start();
  }
  // Ready once the reference caches have listed (at once without them).
  while (cluster.cache && !cluster.cache->ready() &&
         !shutdown->wait_for(std::chrono::milliseconds(100))) {
  }
  if (!shutdown->requested()) health.set_ready(true);

  shutdown->wait();
  KOPIUR_INFO("shutting down", log::kv("cause", app::signal_name(shutdown->signal_number())));
  health.set_ready(false, "shutting down");
  server.stop();
  if (cluster.cache) cluster.cache->stop();
  telemetry->shutdown();
  return 0;
}
