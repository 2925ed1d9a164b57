// File: kopiur/app/program.hpp
//
// Pieces every kopiur program's main() shares once flags are parsed: the telemetry environment
// listed in --help, and serving /metrics + /healthz + /readyz from one Telemetry on one
// HttpServer. Kept out of the libraries so that they stay free of program wiring.
#pragma once

#include <memory>
#include <string>

#include "kopiur/app/cli.hpp"
#include "kopiur/telemetry/http/server.hpp"
#include "kopiur/telemetry/telemetry.hpp"

namespace kopiur::app {

// Appends the telemetry variables (RUST_LOG, KOPIUR_LOG_FORMAT, OTEL_*, ...) to spec.env.
void add_telemetry_env_help(ProgramSpec& spec);

// add_metrics_route(): GET /metrics from the program's telemetry (for programs with their own
// health routes, like the controller).
void add_metrics_route(telemetry::http::HttpServer& server, telemetry::Telemetry& telemetry);

// Registers GET /metrics (backed by telemetry.scrape) and the health routes on `server`.
void add_observability_routes(telemetry::http::HttpServer& server, telemetry::Telemetry& telemetry,
                              const telemetry::http::Health& health);

// Starts telemetry for a program; on a strict-mode failure prints the reason on stderr and
// returns nullptr (the caller exits 1).
std::unique_ptr<telemetry::Telemetry> start_telemetry(const std::string& service_name);

// "SIGTERM", "SIGINT", or "request" for a programmatic stop.
std::string signal_name(int signo);

}  // namespace kopiur::app
