#include "kopiur/app/program.hpp"

#include <cstdio>
#include <stdexcept>

#include <signal.h>

namespace kopiur::app {

void add_telemetry_env_help(ProgramSpec& spec) {
  for (auto& [name, help] : telemetry::telemetry_env_help()) spec.env.push_back({name, help});
}

void add_observability_routes(telemetry::http::HttpServer& server, telemetry::Telemetry& telemetry,
                              const telemetry::http::Health& health) {
  telemetry::http::add_health_routes(server, health);
  add_metrics_route(server, telemetry);
}

void add_metrics_route(telemetry::http::HttpServer& server, telemetry::Telemetry& telemetry) {
  telemetry::http::add_metrics_route(server, "/metrics", [&telemetry](std::string_view accept) {
    auto scraped = telemetry.scrape(accept);
    // The route answers 500 with this reason, so Prometheus records `up == 0`.
    if (!scraped.ok()) throw std::runtime_error(scraped.error);
    return telemetry::http::ScrapeResult{std::move(scraped.content_type), std::move(scraped.body)};
  });
}

std::unique_ptr<telemetry::Telemetry> start_telemetry(const std::string& service_name) {
  auto init = telemetry::init_telemetry({.service_name = service_name});
  if (!init.telemetry) {
    // Strict mode: the logger may not exist, so stderr is the only place this can go.
    std::fputs(init.fatal_error.c_str(), stderr);
    return nullptr;
  }
  return std::move(init.telemetry);
}

std::string signal_name(int signo) {
  switch (signo) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case 0:
      return "request";
    default:
      return "signal " + std::to_string(signo);
  }
}

}  // namespace kopiur::app
