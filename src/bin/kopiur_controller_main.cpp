// kopiur-controller: reconciles kopiur's custom resources and serves /metrics, /healthz and
// /readyz. main() parses flags, starts telemetry and the HTTP endpoints, and runs until SIGTERM
// or SIGINT, then stops taking work, flushes telemetry within its bound and exits 0.
#include <cstdio>

#include "kopiur/app/cli.hpp"
#include "kopiur/app/program.hpp"
#include "kopiur/app/shutdown.hpp"
#include "kopiur/controller/resource_watch.hpp"
#include "kopiur/kube/config.hpp"
#include "kopiur/telemetry/http/server.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace {

namespace app = kopiur::app;
namespace http = kopiur::telemetry::http;
namespace log = kopiur::telemetry::log;

app::ProgramSpec controller_spec() {
  app::ProgramSpec spec;
  spec.name = "kopiur-controller";
  spec.summary = "Reconciles kopiur's backup resources; serves /metrics, /healthz and /readyz.";
  spec.flags = {
      {"http-addr", "ADDR", "Address for /metrics, /healthz and /readyz", "0.0.0.0:8080"},
      {"kubeconfig", "PATH", "Kubeconfig to use (default: $KUBECONFIG, then in-cluster)", ""},
      {"namespace", "NS", "Watch one namespace only (default: all)", ""},
      {"cluster-scope", "", "Watch every namespace (the default)", ""},
      {"leader-elect", "", "Take part in leader election (accepted; one replica assumed)", ""},
      {"standalone", "", "Run without a Kubernetes API: serve the endpoints only", ""},
  };
  spec.env = {{"KUBECONFIG", "Kubeconfig path when --kubeconfig is not given"}};
  app::add_telemetry_env_help(spec);
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  app::Flags flags;
  if (auto code = app::handle_command_line(controller_spec(), argc, argv, flags)) return *code;
  auto shutdown = app::ShutdownSignal::install();
  auto telemetry = app::start_telemetry("kopiur-controller");
  if (!telemetry) return 1;

  http::Health health;
  http::ServerOptions options;
  options.address = flags.get("http-addr");
  // TLS reloads that failed and the periodic summary of refused requests go to the log.
  options.on_warning = [](std::string_view message) {
    KOPIUR_WARN("http server", log::kv("detail", std::string(message)));
  };
  http::HttpServer server(options);
  app::add_observability_routes(server, *telemetry, health);
  if (std::string error = server.start(); !error.empty()) {
    KOPIUR_ERROR("cannot serve the HTTP endpoints", log::kv("error", error));
    return 1;
  }
  KOPIUR_INFO("serving /metrics, /healthz and /readyz", log::kv("address", flags.get("http-addr")),
              log::kv("port", static_cast<std::int64_t>(server.port())));

  std::unique_ptr<kopiur::controller::ResourceWatch> watch;
  if (flags.enabled("standalone")) {
    KOPIUR_INFO("standalone mode: no Kubernetes API, endpoints only");
    health.set_ready(true);
  } else {
    const std::string kubeconfig = flags.get("kubeconfig");
    auto config = kubeconfig.empty() ? kopiur::kube::default_config()
                                     : kopiur::kube::load_kubeconfig(kubeconfig);
    if (!config.ok()) {
      KOPIUR_ERROR(
          "cannot find the Kubernetes API: pass --kubeconfig, set KUBECONFIG, run "
          "in a pod, or use --standalone",
          log::kv("error", config.error().to_string()));
      return 1;
    }
    KOPIUR_INFO("connecting to the Kubernetes API", log::kv("server", config->server));
    watch = std::make_unique<kopiur::controller::ResourceWatch>(
        kopiur::kube::Client(*config),
        kopiur::controller::ResourceWatchOptions{.namespace_ = flags.get("namespace")});
    health.set_ready(false, "waiting for the first list of every kind");
    watch->set_on_ready([&health] { health.set_ready(true); });
    watch->start();
  }

  shutdown->wait();
  KOPIUR_INFO("shutting down", log::kv("cause", app::signal_name(shutdown->signal_number())));
  health.set_ready(false, "shutting down");
  if (watch) watch->stop();
  server.stop();
  telemetry->shutdown();
  return 0;
}
