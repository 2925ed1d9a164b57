// kopiur-webhook: the admission webhook. Serves its admission routes plus /metrics, /healthz and
// /readyz on one TLS port (8443), re-reading the certificate and key when they change on disk.
#include <cstdio>
#include <cstdlib>

#include "kopiur/app/cli.hpp"
#include "kopiur/app/program.hpp"
#include "kopiur/app/shutdown.hpp"
#include "kopiur/telemetry/http/server.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace {

namespace app = kopiur::app;
namespace http = kopiur::telemetry::http;
namespace log = kopiur::telemetry::log;

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

app::ProgramSpec webhook_spec() {
  app::ProgramSpec spec;
  spec.name = "kopiur-webhook";
  spec.summary = "Admission webhook for kopiur's resources; serves /metrics, /healthz, /readyz.";
  spec.flags = {
      {"listen", "ADDR", "Address of the HTTPS listener",
       env_or("KOPIUR_WEBHOOK_ADDR", "0.0.0.0:8443")},
      {"tls-cert", "PATH", "PEM certificate chain", env_or("KOPIUR_WEBHOOK_TLS_CERT", "")},
      {"tls-key", "PATH", "PEM private key", env_or("KOPIUR_WEBHOOK_TLS_KEY", "")},
  };
  spec.env = {{"KOPIUR_WEBHOOK_ADDR", "Default for --listen"},
              {"KOPIUR_WEBHOOK_TLS_CERT", "Default for --tls-cert"},
              {"KOPIUR_WEBHOOK_TLS_KEY", "Default for --tls-key"}};
  app::add_telemetry_env_help(spec);
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  app::Flags flags;
  if (auto code = app::handle_command_line(webhook_spec(), argc, argv, flags)) return *code;
  auto shutdown = app::ShutdownSignal::install();
  auto telemetry = app::start_telemetry("kopiur-webhook");
  if (!telemetry) return 1;

  http::ServerOptions options;
  options.address = flags.get("listen");
  // TLS reloads that failed and the periodic summary of refused requests go to the log.
  options.on_warning = [](std::string_view message) {
    KOPIUR_WARN("http server", log::kv("detail", std::string(message)));
  };
  const std::string cert = flags.get("tls-cert");
  const std::string key = flags.get("tls-key");
  if (!cert.empty() && !key.empty()) {
    options.tls = http::TlsFiles{cert, key};
  } else {
    KOPIUR_WARN(
        "no TLS certificate and key given: serving plain HTTP, which the Kubernetes API "
        "server will not call; set --tls-cert and --tls-key");
  }
  http::Health health;
  http::HttpServer server(options);
  app::add_observability_routes(server, *telemetry, health);
  if (std::string error = server.start(); !error.empty()) {
    KOPIUR_ERROR("cannot serve the webhook endpoints", log::kv("error", error));
    return 1;
  }
  KOPIUR_INFO("serving admission, /metrics, /healthz and /readyz",
              log::kv("address", flags.get("listen")), log::kv("tls", options.tls.has_value()));
  health.set_ready(true);

  shutdown->wait();
  KOPIUR_INFO("shutting down", log::kv("cause", app::signal_name(shutdown->signal_number())));
  health.set_ready(false, "shutting down");
  server.stop();
  telemetry->shutdown();
  return 0;
}
