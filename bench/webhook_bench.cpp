// Admission reviews per second and latency percentiles over HTTPS with keep-alive: an in-process
// HttpServer (TLS, the webhook's routes, a MapLookup for references) and C client threads, each
// on one kept-alive connection, posting a valid BackupConfig review (allowed, references checked)
// and an invalid BackupSchedule (denied, three problems) in turn.
//   kopiur_bench_webhook [requests per client = 5000] [clients = 1,4]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "kopiur/telemetry/http/server.hpp"
#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/webhook/webhook.hpp"

#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "webhook/objects.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace http = kopiur::telemetry::http;
namespace wt = kopiur::webhook::test;

std::vector<std::string> bodies() {
  nlohmann::json denied = wt::backup_schedule();
  denied["spec"]["schedule"] = {{"cron", "0 25 * * *"}, {"timezone", "Mars/Base"}};
  denied["spec"]["configRef"]["name"] = "missing";
  return {wt::review(wt::backup_config()).dump(), wt::review(denied).dump()};
}

// One client: `n` reviews on one connection; returns each latency in microseconds.
std::vector<double> run_client(int port, const std::string& ca, int n) {
  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path(ca.c_str());
  client.enable_server_certificate_verification(true);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // as Go's net/http (the API server) does
  const auto payloads = bodies();
  std::vector<double> latencies;
  latencies.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto start = Clock::now();
    auto res =
        client.Post("/validate", payloads[static_cast<std::size_t>(i) % 2], "application/json");
    if (!res || res->status != 200) {
      std::fprintf(stderr, "request failed: %s\n", res ? res->body.c_str() : "no answer");
      std::exit(1);
    }
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  return latencies;
}

void measure(int port, const std::string& ca, int clients, int per_client) {
  std::vector<std::vector<double>> results(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back(
        [&, c] { results[static_cast<std::size_t>(c)] = run_client(port, ca, per_client); });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& r : results) all.insert(all.end(), r.begin(), r.end());
  if (all.empty()) {
    std::printf("| %d | 0 | - | - | - | - |\n", clients);
    return;
  }
  std::sort(all.begin(), all.end());
  const auto pct = [&](double p) { return all[static_cast<std::size_t>(p * (all.size() - 1))]; };
  std::printf("| %d | %zu | %.0f | %.0f | %.0f | %.0f |\n", clients, all.size(),
              static_cast<double>(all.size()) / seconds, pct(0.5), pct(0.99), all.back());
}

}  // namespace

int main(int argc, char** argv) {
  // `kopiur_bench_webhook [REVIEWS_PER_CLIENT]` (default 5000). Google Benchmark style flags (the
  // smoke run of tools/test.sh passes --benchmark_min_time) ask for a short run of 50.
  int per_client = 5000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--benchmark", 0) == 0) {
      per_client = 50;
    } else if (const int n = std::atoi(arg.c_str()); n > 0) {
      per_client = n;
    } else {
      std::fprintf(stderr, "usage: kopiur_bench_webhook [REVIEWS_PER_CLIENT > 0]\n");
      return 2;
    }
  }
  kopiur::test::TempDir dir("kopiur-bench-webhook-");
  kopiur::test::TestCa ca;
  const auto pem = ca.issue("kopiur-webhook", 1);
  kopiur::test::write_file_atomically(dir.file("tls.crt"), pem.cert);
  kopiur::test::write_file_atomically(dir.file("tls.key"), pem.key);
  kopiur::test::write_file_atomically(dir.file("ca.crt"), ca.cert_pem());

  kopiur::telemetry::metrics::MeterProvider provider;
  auto meter = provider.meter();
  const auto lookup = wt::cluster();
  kopiur::webhook::AdmissionWebhook webhook(meter, &lookup);
  http::ServerOptions options;
  options.address = "127.0.0.1:0";
  options.tls = http::TlsFiles{dir.file("tls.crt"), dir.file("tls.key")};
  http::HttpServer server(options);
  webhook.add_routes(server);
  if (auto error = server.start(); !error.empty()) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::printf(
      "| clients | reviews | reviews/s | p50 µs | p99 µs | max µs |\n|---|---|---|---|---|---|\n");
  for (const int clients : {1, 4}) measure(server.port(), dir.file("ca.crt"), clients, per_client);

  // The same reviews straight into the handler: decoding, validation and metrics, no network.
  const auto payloads = bodies();
  http::Request request;
  const auto start = Clock::now();
  for (int i = 0; i < per_client; ++i) {
    request.body = payloads[static_cast<std::size_t>(i) % 2];
    if (webhook.handle(request).status != 200) return 1;
  }
  const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  std::printf("\nin-process handle(): %.1f µs per review (%d reviews)\n", us / per_client,
              per_client);
  return 0;
}
