// Scraping and pushing 100,000 series end to end: /metrics over HTTP (kopiur's HttpServer and
// PrometheusReader against prometheus-cpp's Exposer, the same gauge series, one kept-alive
// client), and one OTLP export of the same series over real gRPC to the in-process test receiver
// (tests/telemetry/otlp). tools/bench.sh runs it and writes docs/performance.md from the JSON.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include <benchmark/benchmark.h>
#include <httplib.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "kopiur/telemetry/http/server.hpp"
#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"
#include "kopiur/telemetry/otlp/metrics_reader.hpp"

#include "telemetry/otlp/test_collector.hpp"
#include "telemetry/otlp/test_env.hpp"

namespace {

namespace km = kopiur::telemetry::metrics;
namespace khttp = kopiur::telemetry::http;
namespace kotlp = kopiur::telemetry::otlp;

std::string scrape_series_name(int i) { return "backup-" + std::to_string(i); }
std::string scrape_series_namespace(int i) { return "namespace-" + std::to_string(i % 50); }

// N gauge series labelled as bench/metrics_bench.cpp's render fixtures label theirs.
void fill_kopiur(km::MeterProvider& provider, int n) {
  auto g = provider.meter().create_gauge_i64("kopiur_backup_size_bytes", "By", "Size.");
  for (int i = 0; i < n; ++i) {
    g.set(1000000 + i,
          {{"namespace", scrape_series_namespace(i)}, {"name", scrape_series_name(i)}});
  }
}

// One GET /metrics per iteration, body read completely, uncompressed (neither side gzips: the
// comparison is rendering and serving, not zlib). kopiur's server keeps the connection alive;
// prometheus-cpp's civetweb closes it after each response, so its client connects every time
// (on 127.0.0.1 a connect is far below a scrape of this size).
void scrape_loop(benchmark::State& state, int port, bool keep_alive) {
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(keep_alive);
  client.set_decompress(false);
  client.set_read_timeout(60, 0);
  std::size_t size = 0;
  for (auto _ : state) {
    auto res = client.Get("/metrics");
    if (!res || res->status != 200) {
      state.SkipWithError("GET /metrics failed");
      return;
    }
    size = res->body.size();
  }
  state.counters["bytes"] = static_cast<double>(size);
}

void BM_Kopiur_ScrapeHttp(benchmark::State& state) {
  km::MeterProvider provider;
  fill_kopiur(provider, static_cast<int>(state.range(0)));
  km::PrometheusReader reader(provider, kopiur::telemetry::Resource());
  khttp::ServerOptions options;
  options.address = "127.0.0.1:0";
  khttp::HttpServer server(options);
  khttp::add_metrics_route(server, "/metrics", [&](std::string_view accept) {
    auto scraped = reader.scrape(accept);
    if (!scraped.ok()) throw std::runtime_error(scraped.error);
    return khttp::ScrapeResult{std::move(scraped.content_type), std::move(scraped.body)};
  });
  if (auto error = server.start(); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  scrape_loop(state, server.port(), true);
}
BENCHMARK(BM_Kopiur_ScrapeHttp)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PromCpp_ScrapeHttp(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family =
      prometheus::BuildGauge().Name("kopiur_backup_size_bytes").Help("Size.").Register(*registry);
  for (int i = 0; i < n; ++i) {
    family.Add({{"namespace", scrape_series_namespace(i)}, {"name", scrape_series_name(i)}})
        .Set(1000000 + i);
  }
  prometheus::Exposer exposer("127.0.0.1:0");
  exposer.RegisterCollectable(registry);
  scrape_loop(state, exposer.GetListeningPorts().at(0), false);
}
BENCHMARK(BM_PromCpp_ScrapeHttp)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

// One export of N gauge points per iteration: collect, encode, gRPC to the receiver on
// 127.0.0.1, answered. The periodic interval is an hour, so only force_flush exports.
void BM_Kopiur_OtlpExport(benchmark::State& state) {
  km::MeterProvider provider;
  fill_kopiur(provider, static_cast<int>(state.range(0)));
  // The receiver accepts requests up to 64 MiB: kopiur sends the whole collection as one request
  // (its size is the request_bytes counter), larger than gRPC's default limit of 4 MiB.
  kopiur::telemetry::otlp::testing::TestCollector collector(std::nullopt, 64 << 20);
  kotlp::OtlpMetricsReader reader(
      kotlp::testing::config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()},
                                  {"OTEL_METRIC_EXPORT_INTERVAL", "3600000"}}),
      {}, [&](km::CollectVisitor& visitor) { provider.collect(visitor); });
  for (auto _ : state) {
    if (!reader.force_flush(std::chrono::seconds{60})) {
      state.SkipWithError("export failed");
      return;
    }
  }
  const auto raw = collector.raw("metrics");
  state.counters["request_bytes"] = raw.empty() ? 0.0 : static_cast<double>(raw.back().size());
}
BENCHMARK(BM_Kopiur_OtlpExport)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
