// OTLP benchmarks: recording and logging latency with OTLP export on, against OTLP off, in one
// binary and one run.
//
//   kopiur_bench_otlp --benchmark_repetitions=3 --benchmark_report_aggregates_only
//
// Scenarios, each measured on the calling thread only (export happens on worker threads):
//   Off    – the production stack without OTLP: the fmt layer (text, to a sink that discards).
//   Dead   – plus the OTLP trace and log layers / metrics reader aimed at a port nothing listens
//            on: every export fails and retries, queues run full, drops are counted.
//   Alive  – plus the same exporters talking to an in-process collector that accepts everything
//            (the cost of actually queueing every span and record).
// The goal (issue 5): Dead within 1.1x of Off.
#include <memory>
#include <optional>
#include <string>

#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kopiur/telemetry/log/dispatcher.hpp"
#include "kopiur/telemetry/log/fmt_layer.hpp"
#include "kopiur/telemetry/log/log.hpp"
#include "kopiur/telemetry/log/sink.hpp"
#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/otlp/log_layer.hpp"
#include "kopiur/telemetry/otlp/metrics_reader.hpp"
#include "kopiur/telemetry/otlp/trace_layer.hpp"

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace {

namespace log = kopiur::telemetry::log;
namespace metrics = kopiur::telemetry::metrics;
namespace otlp = kopiur::telemetry::otlp;
namespace pb = opentelemetry::proto::collector;
using namespace std::chrono_literals;

enum class Mode { kOff, kDead, kAlive };

int dead_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A collector that accepts every export and keeps nothing.
class SinkCollector {
 public:
  SinkCollector() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&logs_);
    builder.RegisterService(&traces_);
    builder.RegisterService(&metrics_);
    server_ = builder.BuildAndStart();
  }
  ~SinkCollector() { server_->Shutdown(std::chrono::system_clock::now() + 1s); }
  [[nodiscard]] int port() const { return port_; }

 private:
  struct Logs final : pb::logs::v1::LogsService::Service {
    grpc::Status Export(grpc::ServerContext*, const pb::logs::v1::ExportLogsServiceRequest*,
                        pb::logs::v1::ExportLogsServiceResponse*) override {
      return grpc::Status::OK;
    }
  } logs_;
  struct Traces final : pb::trace::v1::TraceService::Service {
    grpc::Status Export(grpc::ServerContext*, const pb::trace::v1::ExportTraceServiceRequest*,
                        pb::trace::v1::ExportTraceServiceResponse*) override {
      return grpc::Status::OK;
    }
  } traces_;
  struct Metrics final : pb::metrics::v1::MetricsService::Service {
    grpc::Status Export(grpc::ServerContext*, const pb::metrics::v1::ExportMetricsServiceRequest*,
                        pb::metrics::v1::ExportMetricsServiceResponse*) override {
      return grpc::Status::OK;
    }
  } metrics_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

otlp::OtlpConfig config_for(Mode mode, const SinkCollector* collector) {
  const int port = mode == Mode::kAlive ? collector->port() : dead_port();
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(port);
  auto parsed = otlp::parse_otlp_config([&](std::string_view name) -> std::optional<std::string> {
    if (name == "OTEL_EXPORTER_OTLP_ENDPOINT") return endpoint;
    if (name == "OTEL_METRIC_EXPORT_INTERVAL") return "10";  // collect often: worst case
    return std::nullopt;
  });
  return *parsed.config;
}

// The logging stack of a program, with or without the OTLP layers.
struct LogStack {
  std::unique_ptr<SinkCollector> collector;
  std::shared_ptr<otlp::OtlpTraceLayer> traces;
  std::shared_ptr<otlp::OtlpLogLayer> logs;
  std::shared_ptr<log::Dispatcher> dispatcher;

  explicit LogStack(Mode mode) {
    std::vector<std::shared_ptr<log::Layer>> layers{
        log::make_fmt_layer(std::make_shared<log::NullSink>(), {})};
    if (mode == Mode::kAlive) collector = std::make_unique<SinkCollector>();
    if (mode != Mode::kOff) {
      const auto config = config_for(mode, collector.get());
      traces = std::make_shared<otlp::OtlpTraceLayer>(config, otlp::KeyValues{});
      logs = std::make_shared<otlp::OtlpLogLayer>(config, otlp::KeyValues{});
      layers.push_back(traces);
      layers.push_back(logs);
    }
    dispatcher = log::Dispatcher::create(
        {.filter = log::Filter::parse("info").filter, .layers = std::move(layers)});
  }
  ~LogStack() { dispatcher->shutdown(200ms); }
};

void report(benchmark::State& state, const LogStack& stack) {
  if (stack.logs) {
    const auto c = stack.logs->counters();
    state.counters["log_dropped"] =
        static_cast<double>(c.dropped_queue_full + c.dropped_export_failed);
    state.counters["log_exported"] = static_cast<double>(c.exported);
  }
}

// One INFO event with three fields inside an entered span.
void BM_LogEvent(benchmark::State& state) {
  LogStack stack(static_cast<Mode>(state.range(0)));
  log::Dispatcher::ScopedDefault use(stack.dispatcher);
  auto span = KOPIUR_INFO_SPAN("reconcile", log::kv("kind", "Backup"));
  auto entered = span.enter();
  std::int64_t i = 0;
  for (auto _ : state) {
    KOPIUR_INFO("snapshot progress", log::kv("namespace", "default"), log::kv("bytes", ++i),
                log::kv("done", false));
  }
  report(state, stack);
}

// A span opened, entered and closed (the trace layer copies it on close).
void BM_Span(benchmark::State& state) {
  LogStack stack(static_cast<Mode>(state.range(0)));
  log::Dispatcher::ScopedDefault use(stack.dispatcher);
  for (auto _ : state) {
    auto span = KOPIUR_INFO_SPAN("reconcile", log::kv("kind", "Backup"), log::kv("name", "b1"));
    auto entered = span.enter();
    benchmark::DoNotOptimize(span);
  }
  if (stack.traces) {
    const auto c = stack.traces->counters();
    state.counters["span_dropped"] =
        static_cast<double>(c.dropped_queue_full + c.dropped_export_failed);
  }
}

// Metric recordings while the OTLP reader collects every 10 ms.
struct MetricStack {
  std::unique_ptr<SinkCollector> collector;
  metrics::MeterProvider provider;
  std::unique_ptr<otlp::OtlpMetricsReader> reader;

  explicit MetricStack(Mode mode) {
    if (mode == Mode::kAlive) collector = std::make_unique<SinkCollector>();
    if (mode != Mode::kOff) {
      reader = std::make_unique<otlp::OtlpMetricsReader>(
          config_for(mode, collector.get()), otlp::KeyValues{},
          [this](metrics::CollectVisitor& visitor) { provider.collect(visitor); });
    }
  }
  ~MetricStack() {
    if (reader) reader->shutdown(200ms);
  }
};

void BM_CounterAdd3Attributes(benchmark::State& state) {
  MetricStack stack(static_cast<Mode>(state.range(0)));
  auto counter = stack.provider.meter().create_counter_u64("kopiur_bench_ops");
  for (auto _ : state) {
    counter.add(1, {{"kind", "Backup"}, {"namespace", "default"}, {"result", "ok"}});
  }
}

void BM_HistogramRecordBound(benchmark::State& state) {
  MetricStack stack(static_cast<Mode>(state.range(0)));
  auto histogram = stack.provider.meter().create_histogram("kopiur_bench_duration_seconds", "s");
  auto bound = histogram.bind({{"kind", "Backup"}});
  double v = 0;
  for (auto _ : state) {
    bound.record(v);
    v = v > 100 ? 0 : v + 0.37;
  }
}

void modes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"mode(0=off,1=dead,2=alive)"});
  for (int m : {0, 1, 2}) b->Arg(m);
}

BENCHMARK(BM_LogEvent)->Apply(modes);
BENCHMARK(BM_Span)->Apply(modes);
BENCHMARK(BM_CounterAdd3Attributes)->Apply(modes);
BENCHMARK(BM_HistogramRecordBound)->Apply(modes);

}  // namespace

BENCHMARK_MAIN();
