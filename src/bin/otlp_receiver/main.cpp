// kopiur-otlp-receiver: the OTLP/gRPC receiver of local runs and the end-to-end test. Writes every
// export request it receives as one OTLP/JSON line (receiver.hpp) and, at exit, how many requests
// and items came from each service. Runs until SIGTERM or SIGINT.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <utility>

#include "kopiur/app/cli.hpp"
#include "kopiur/app/shutdown.hpp"
#include "kopiur/telemetry/http/server.hpp"

#include "receiver.hpp"

namespace {

kopiur::app::ProgramSpec receiver_spec() {
  kopiur::app::ProgramSpec spec;
  spec.name = "kopiur-otlp-receiver";
  spec.summary = "OTLP/gRPC receiver writing what it gets as OTLP/JSON lines (local runs, tests).";
  spec.flags = {
      {"listen", "ADDR", "host:port of the gRPC listener (port 0 picks one)", "127.0.0.1:4317"},
      {"out", "PATH", "JSON-lines file to append to; - for standard output", "-"},
      {"prometheus", "ADDR",
       "Also serve the received metrics as Prometheus text on ADDR/metrics, as the Collector's "
       "Prometheus exporter does (empty: off)",
       ""},
  };
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  kopiur::app::Flags flags;
  if (auto code = kopiur::app::handle_command_line(receiver_spec(), argc, argv, flags)) {
    return *code;
  }
  std::ofstream file;
  if (flags.get("out") != "-") {
    file.open(flags.get("out"), std::ios::app);
    if (!file) {
      std::fprintf(stderr, "kopiur-otlp-receiver: cannot open --out %s for appending\n",
                   flags.get("out").c_str());
      return 2;
    }
  }
  auto shutdown = kopiur::app::ShutdownSignal::install();
  kopiur::otlp_receiver::OtlpReceiver receiver(file.is_open() ? file : std::cout);
  if (auto error = receiver.start(flags.get("listen")); !error.empty()) {
    std::fprintf(stderr, "kopiur-otlp-receiver: %s\n", error.c_str());
    return 1;
  }
  std::fprintf(stderr, "kopiur-otlp-receiver: listening on %s, port %d (OTLP/gRPC)\n",
               flags.get("listen").c_str(), receiver.port());
  std::optional<kopiur::telemetry::http::HttpServer> exporter;
  if (!flags.get("prometheus").empty()) {
    kopiur::telemetry::http::ServerOptions options;
    options.address = flags.get("prometheus");
    exporter.emplace(std::move(options));
    kopiur::telemetry::http::add_metrics_route(
        *exporter, "/metrics", [&receiver](std::string_view) {
          return kopiur::telemetry::http::ScrapeResult{"text/plain; version=0.0.4; charset=utf-8",
                                                       receiver.prometheus().render()};
        });
    if (auto error = exporter->start(); !error.empty()) {
      std::fprintf(stderr, "kopiur-otlp-receiver: --prometheus: %s\n", error.c_str());
      return 1;
    }
    std::fprintf(stderr, "kopiur-otlp-receiver: serving received metrics on %s/metrics\n",
                 flags.get("prometheus").c_str());
  }
  shutdown->wait();
  if (exporter) exporter->stop();
  receiver.stop();
  std::fprintf(stderr, "kopiur-otlp-receiver: stopped; received:\n%s", receiver.summary().c_str());
  return 0;
}
