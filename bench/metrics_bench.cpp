// Metrics hot paths, rendering and memory per series, kopiur against prometheus-cpp, one binary,
// one run (tools/bench.sh runs it and writes docs/performance.md from the JSON).
#include <array>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "kopiur/telemetry/log/dispatcher.hpp"
#include "kopiur/telemetry/log/span.hpp"
#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"

namespace {

namespace km = kopiur::telemetry::metrics;

// Observed values cycle through these, so bucket search and min/max see realistic variety.
constexpr std::array<double, 8> kValues = {0.003, 0.04, 0.2, 0.7, 1.5, 3.0, 8.0, 0.09};
const std::vector<double> kBounds = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

struct KopiurSetup {
  km::MeterProvider provider;
  km::Meter meter = provider.meter();
  km::Counter<std::uint64_t> counter = meter.create_counter_u64("bench_ops", "", "Ops.");
  km::Histogram histogram = meter.create_histogram("bench_latency", "s", "Latency.", kBounds);
  km::Gauge<double> gauge = meter.create_gauge_double("bench_level", "", "Level.");
  km::BoundCounter<std::uint64_t> bound_counter = counter.bind({{"kind", "Backup"}});
  km::BoundHistogram bound_histogram = histogram.bind({{"kind", "Backup"}});
  // The in-span rows record into a series of their own: a thread's shard is found fastest when
  // it heads the series' shard list, so sharing one series would make the row order matter.
  km::BoundHistogram bound_histogram_in_span = histogram.bind({{"kind", "Restore"}});
  km::BoundGauge<double> bound_gauge = gauge.bind({{"kind", "Backup"}});
  KopiurSetup() {
    // Other series exist too, as in a running controller.
    for (int i = 0; i < 1000; ++i) {
      counter.add(1, {{"kind", "Backup"}, {"namespace", "ns"}, {"name", "b" + std::to_string(i)}});
    }
  }
};

KopiurSetup& kopiur_setup() {
  static KopiurSetup setup;
  return setup;
}

struct PromSetup {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& counters =
      prometheus::BuildCounter().Name("bench_ops_total").Help("Ops.").Register(registry);
  prometheus::Family<prometheus::Histogram>& histograms = prometheus::BuildHistogram()
                                                              .Name("bench_latency_seconds")
                                                              .Help("Latency.")
                                                              .Register(registry);
  prometheus::Family<prometheus::Gauge>& gauges =
      prometheus::BuildGauge().Name("bench_level").Help("Level.").Register(registry);
  prometheus::Counter& bound_counter = counters.Add({{"kind", "Backup"}});
  prometheus::Histogram& bound_histogram = histograms.Add({{"kind", "Backup"}}, kBounds);
  prometheus::Gauge& bound_gauge = gauges.Add({{"kind", "Backup"}});
  PromSetup() {
    for (int i = 0; i < 1000; ++i) {
      counters.Add({{"kind", "Backup"}, {"namespace", "ns"}, {"name", "b" + std::to_string(i)}})
          .Increment();
    }
  }
};

PromSetup& prom_setup() {
  static PromSetup setup;
  return setup;
}

// --- counter add, handle resolved once ---------------------------------------------------------

void BM_Baseline_RelaxedFetchAdd(benchmark::State& state) {
  static std::atomic<std::uint64_t> cell{0};
  for (auto _ : state) cell.fetch_add(1, std::memory_order_relaxed);
  benchmark::DoNotOptimize(cell.load());
}
BENCHMARK(BM_Baseline_RelaxedFetchAdd)->Threads(1)->Threads(2);

void BM_Kopiur_BoundCounterAdd(benchmark::State& state) {
  const auto& c = kopiur_setup().bound_counter;
  for (auto _ : state) c.add(1);
}
BENCHMARK(BM_Kopiur_BoundCounterAdd)->Threads(1)->Threads(2);

void BM_PromCpp_BoundCounterIncrement(benchmark::State& state) {
  auto& c = prom_setup().bound_counter;
  for (auto _ : state) c.Increment();
}
BENCHMARK(BM_PromCpp_BoundCounterIncrement)->Threads(1)->Threads(2);

// --- counter add resolving 3 attributes each call ----------------------------------------------

void BM_Kopiur_CounterAdd3Attributes(benchmark::State& state) {
  const auto& c = kopiur_setup().counter;
  const std::string ns = "default";
  const std::string name = "nightly-backup";
  for (auto _ : state) c.add(1, {{"kind", "Backup"}, {"namespace", ns}, {"name", name}});
}
BENCHMARK(BM_Kopiur_CounterAdd3Attributes)->Threads(1)->Threads(2);

void BM_PromCpp_FamilyAdd3LabelsIncrement(benchmark::State& state) {
  auto& family = prom_setup().counters;
  const std::string ns = "default";
  const std::string name = "nightly-backup";
  for (auto _ : state) {
    family.Add({{"kind", "Backup"}, {"namespace", ns}, {"name", name}}).Increment();
  }
}
BENCHMARK(BM_PromCpp_FamilyAdd3LabelsIncrement)->Threads(1)->Threads(2);

// --- histogram record, handle resolved once ----------------------------------------------------

void BM_Kopiur_HistogramRecord(benchmark::State& state) {
  const auto& h = kopiur_setup().bound_histogram;
  std::size_t i = 0;
  for (auto _ : state) h.record(kValues[i++ & 7U]);
}
BENCHMARK(BM_Kopiur_HistogramRecord)->Threads(1)->Threads(2);

// The same record with exemplars switched off (no span-context call): what the exemplar costs.
void BM_Kopiur_HistogramRecordNoExemplars(benchmark::State& state) {
  static km::MeterProvider provider({.span_context = nullptr});
  static const km::BoundHistogram h =
      provider.meter().create_histogram("bench_latency", "s", "Latency.", kBounds).bind({});
  std::size_t i = 0;
  for (auto _ : state) h.record(kValues[i++ & 7U]);
}
BENCHMARK(BM_Kopiur_HistogramRecordNoExemplars)->Threads(1)->Threads(2);

// Inside a span: the thread has entered a real kopiur_log span (as a reconcile has), so every
// record finds span ids and keeps a sampled exemplar. prometheus-cpp has no spans: its Observe is
// the same call inside or outside one.
struct InSpan {
  std::shared_ptr<kopiur::telemetry::log::Dispatcher> logger =
      kopiur::telemetry::log::Dispatcher::create(
          {.filter = kopiur::telemetry::log::Filter::parse("info").filter});
  kopiur::telemetry::log::Dispatcher::ScopedDefault use{logger};
  kopiur::telemetry::log::Span span = kopiur::telemetry::log::Span::create(
      kopiur::telemetry::log::Level::Info, "bench", "reconcile");
  kopiur::telemetry::log::SpanGuard entered = span.enter();
};

void BM_Kopiur_HistogramRecordInSpan(benchmark::State& state) {
  const auto& h = kopiur_setup().bound_histogram_in_span;
  const InSpan in_span;
  if (!in_span.span.enabled()) state.SkipWithError("the span is disabled");
  std::size_t i = 0;
  for (auto _ : state) h.record(kValues[i++ & 7U]);
}
BENCHMARK(BM_Kopiur_HistogramRecordInSpan)->Threads(1)->Threads(2);

void BM_PromCpp_HistogramObserve(benchmark::State& state) {
  auto& h = prom_setup().bound_histogram;
  std::size_t i = 0;
  for (auto _ : state) h.Observe(kValues[i++ & 7U]);
}
BENCHMARK(BM_PromCpp_HistogramObserve)->Threads(1)->Threads(2);

void BM_Kopiur_HistogramRecord3Attributes(benchmark::State& state) {
  const auto& h = kopiur_setup().histogram;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(kValues[i++ & 7U], {{"kind", "Backup"}, {"namespace", "default"}, {"name", "x"}});
  }
}
BENCHMARK(BM_Kopiur_HistogramRecord3Attributes)->Threads(1);

void BM_Kopiur_HistogramRecord3AttributesInSpan(benchmark::State& state) {
  const auto& h = kopiur_setup().histogram;
  const InSpan in_span;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(kValues[i++ & 7U], {{"kind", "Backup"}, {"namespace", "default"}, {"name", "x"}});
  }
}
BENCHMARK(BM_Kopiur_HistogramRecord3AttributesInSpan)->Threads(1);

void BM_PromCpp_HistogramAdd3LabelsObserve(benchmark::State& state) {
  auto& family = prom_setup().histograms;
  std::size_t i = 0;
  for (auto _ : state) {
    family.Add({{"kind", "Backup"}, {"namespace", "default"}, {"name", "x"}}, kBounds)
        .Observe(kValues[i++ & 7U]);
  }
}
BENCHMARK(BM_PromCpp_HistogramAdd3LabelsObserve)->Threads(1);

// --- gauge set, handle resolved once -----------------------------------------------------------

void BM_Kopiur_GaugeSet(benchmark::State& state) {
  const auto& g = kopiur_setup().bound_gauge;
  double v = 0;
  for (auto _ : state) g.set(v += 1);
}
BENCHMARK(BM_Kopiur_GaugeSet)->Threads(1)->Threads(2);

void BM_PromCpp_GaugeSet(benchmark::State& state) {
  auto& g = prom_setup().bound_gauge;
  double v = 0;
  for (auto _ : state) g.Set(v += 1);
}
BENCHMARK(BM_PromCpp_GaugeSet)->Threads(1)->Threads(2);

// --- rendering N gauge series -------------------------------------------------------------------

// The growth rows: 1k to 100k series, and 1M when KOPIUR_BENCH_MILLION=1 (tools/bench.sh's full
// run sets it; the smoke run of tools/test.sh leaves it out, building a million series takes
// seconds per row).
void series_counts(benchmark::internal::Benchmark* b) {
  for (int n : {1000, 10000, 100000}) b->Arg(n);
  const char* million = std::getenv("KOPIUR_BENCH_MILLION");
  if (million != nullptr && std::string_view(million) == "1") b->Arg(1000000);
}

std::string series_name(int i) { return "backup-" + std::to_string(i); }
std::string series_namespace(int i) { return "namespace-" + std::to_string(i % 50); }

void BM_Kopiur_Render(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  km::MeterProvider provider;
  auto g = provider.meter().create_gauge_i64("kopiur_backup_size_bytes", "By", "Size.");
  for (int i = 0; i < n; ++i) {
    g.set(1000000 + i, {{"namespace", series_namespace(i)}, {"name", series_name(i)}});
  }
  km::PrometheusReader reader(provider, kopiur::telemetry::Resource());
  std::string buffer;
  for (auto _ : state) {
    buffer.clear();  // reused: capacity stays
    reader.render(km::ExpositionFormat::kText004, buffer);
    benchmark::DoNotOptimize(buffer.data());
  }
  state.counters["bytes"] = static_cast<double>(buffer.size());
}
BENCHMARK(BM_Kopiur_Render)->Apply(series_counts)->Unit(benchmark::kMillisecond);

void BM_PromCpp_CollectSerialize(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  prometheus::Registry registry;
  auto& family =
      prometheus::BuildGauge().Name("kopiur_backup_size_bytes").Help("Size.").Register(registry);
  for (int i = 0; i < n; ++i) {
    family.Add({{"namespace", series_namespace(i)}, {"name", series_name(i)}}).Set(1000000 + i);
  }
  prometheus::TextSerializer serializer;
  std::size_t size = 0;
  for (auto _ : state) {
    const std::string text = serializer.Serialize(registry.Collect());
    size = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["bytes"] = static_cast<double>(size);
}
BENCHMARK(BM_PromCpp_CollectSerialize)->Apply(series_counts)->Unit(benchmark::kMillisecond);

// --- memory per series ---------------------------------------------------------------------------
// Heap bytes in use (glibc's mallinfo2().uordblks) after creating N gauge series, less before,
// divided by N: what one more labelled series costs each library, the instrument's own share
// amortised. One iteration per repetition: the figure is a count, not a time.

std::size_t heap_in_use() { return mallinfo2().uordblks; }

void BM_Kopiur_MemoryPerSeries(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  double per_series = 0;
  for (auto _ : state) {
    const std::size_t before = heap_in_use();
    auto provider = std::make_unique<km::MeterProvider>();
    auto g = provider->meter().create_gauge_i64("kopiur_backup_size_bytes", "By", "Size.");
    for (int i = 0; i < n; ++i) {
      g.set(1000000 + i, {{"namespace", series_namespace(i)}, {"name", series_name(i)}});
    }
    per_series = static_cast<double>(heap_in_use() - before) / n;
  }
  state.counters["bytes_per_series"] = per_series;
}
BENCHMARK(BM_Kopiur_MemoryPerSeries)
    ->Apply(series_counts)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_PromCpp_MemoryPerSeries(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  double per_series = 0;
  for (auto _ : state) {
    const std::size_t before = heap_in_use();
    auto registry = std::make_unique<prometheus::Registry>();
    auto& family =
        prometheus::BuildGauge().Name("kopiur_backup_size_bytes").Help("Size.").Register(*registry);
    for (int i = 0; i < n; ++i) {
      family.Add({{"namespace", series_namespace(i)}, {"name", series_name(i)}}).Set(1000000 + i);
    }
    per_series = static_cast<double>(heap_in_use() - before) / n;
  }
  state.counters["bytes_per_series"] = per_series;
}
BENCHMARK(BM_PromCpp_MemoryPerSeries)
    ->Apply(series_counts)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
