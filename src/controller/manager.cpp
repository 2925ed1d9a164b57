#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller"

#include "kopiur/controller/manager.hpp"

#include <exception>

#include "kopiur/controller/health.hpp"
#include "kopiur/controller/kinds.hpp"
#include "kopiur/kube/config.hpp"
#include "kopiur/telemetry/log/log.hpp"

#include "controller/runtime/runtime_metric.hpp"

namespace kopiur::controller {

namespace log = telemetry::log;

namespace {

// Counts and times every API request of the client (kopiur_kube_client_*).
void observe_requests(kube::Config& config, telemetry::metrics::Meter& meter) {
  const auto& count = detail::runtime_metric("kopiur_kube_client_requests");
  const auto& latency = detail::runtime_metric("kopiur_kube_client_request_duration");
  auto requests = meter.create_counter_u64(count.instrument_name, count.unit, count.description);
  auto duration = meter.create_histogram(latency.instrument_name, latency.unit, latency.description,
                                         latency.bounds);
  config.on_request = [requests, duration](const std::string& method, int status,
                                           std::chrono::duration<double> took) {
    requests.add(1, {{"verb", method}, {"code", std::to_string(status)}});
    duration.record(took.count(), {{"verb", method}});
  };
}

}  // namespace

Manager::Connected Manager::connect(const ControllerConfig& config,
                                    telemetry::metrics::Meter meter) {
  auto kube =
      config.kubeconfig.empty() ? kube::default_config() : kube::load_kubeconfig(config.kubeconfig);
  if (!kube.ok()) {
    return {nullptr, "cannot find the Kubernetes API (" + kube.error().to_string() +
                         "): pass --kubeconfig, set KUBECONFIG, run in a pod, or use --standalone"};
  }
  KOPIUR_INFO("connecting to the Kubernetes API", log::kv("server", kube->server));
  if (config.mover_image.empty()) {
    KOPIUR_WARN("no mover image: set --mover-image or KOPIUR_MOVER_IMAGE, or no mover Job can run");
  }
  observe_requests(*kube, meter);
  return {std::make_unique<Manager>(Key{}, config, kube::Client(*kube), meter), {}};
}

Manager::Manager(Key /*key*/, const ControllerConfig& config, kube::Client client,
                 telemetry::metrics::Meter meter)
    : config_(config),
      client_(std::move(client)),
      events_(client_, "kopiur-controller", config.leader.identity),
      runtime_(client_, meter,
               RuntimeOptions{.namespaces = config.namespaces,
                              .workers = config.workers,
                              .phase_grace = config.phase_grace,
                              .events = &events_,
                              .leading = !config.leader_elect}),
      flows_{.client = client_,
             .runtime = &runtime_,
             .events = &events_,
             .mover = {.image = config.mover_image,
                       .image_pull_policy = config.mover_pull_policy.empty()
                                                ? std::string("IfNotPresent")
                                                : config.mover_pull_policy,
                       .env = telemetry::process_env()},
             .clock = &wall_clock_,
             .system_namespace = config.leader.lease_namespace} {
  for (auto& kind : kind_registrations(flows_)) runtime_.add_kind(std::move(kind));
  if (config.leader_elect) {
    elector_.emplace(client_, config.leader,
                     [this](bool leading) { runtime_.set_leading(leading); });
  }
}

Manager::~Manager() { stop(); }

void Manager::add_health_routes(telemetry::http::HttpServer& server) const {
  controller::add_health_routes(server, runtime_, config_.health);
}

void Manager::start() {
  runtime_.start();
  if (elector_) elector_->start();
}

void Manager::stop() {
  if (elector_) elector_->stop();
  runtime_.stop();
}

}  // namespace kopiur::controller
