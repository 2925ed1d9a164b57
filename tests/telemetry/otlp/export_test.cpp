// Content of each signal as the collector receives it.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/otlp/log_layer.hpp"
#include "kopiur/telemetry/otlp/metrics_reader.hpp"
#include "kopiur/telemetry/otlp/trace_layer.hpp"
#include "kopiur/telemetry/resource_builder.hpp"

#include "telemetry/otlp/fake_meter.hpp"
#include "telemetry/otlp/test_collector.hpp"
#include "telemetry/otlp/test_env.hpp"

namespace kopiur::telemetry::otlp {
namespace {

using testing::config_for;
using testing::FakeMeter;
using testing::TestCollector;
namespace pb_metrics = opentelemetry::proto::metrics::v1;
namespace pb_common = opentelemetry::proto::common::v1;
using namespace std::chrono_literals;

constexpr auto kWait = std::chrono::milliseconds{10000};

std::string attr(const google::protobuf::RepeatedPtrField<pb_common::KeyValue>& kvs,
                 const std::string& key) {
  for (const auto& kv : kvs) {
    if (kv.key() == key) {
      const auto& v = kv.value();
      switch (v.value_case()) {
        case pb_common::AnyValue::kStringValue:
          return v.string_value();
        case pb_common::AnyValue::kIntValue:
          return "int:" + std::to_string(v.int_value());
        case pb_common::AnyValue::kDoubleValue:
          return "double:" + std::to_string(v.double_value());
        case pb_common::AnyValue::kBoolValue:
          return v.bool_value() ? "bool:true" : "bool:false";
        default:
          return "<other>";
      }
    }
  }
  return "<absent>";
}

const pb_metrics::Metric* find_metric(const pb_metrics::ScopeMetrics& scope,
                                      const std::string& name) {
  for (const auto& m : scope.metrics()) {
    if (m.name() == name) return &m;
  }
  return nullptr;
}

TraceId trace_id(std::uint8_t seed) {
  TraceId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(seed + i);
  return id;
}
SpanId span_id(std::uint8_t seed) {
  SpanId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(seed + i);
  return id;
}
std::string bytes_of(const TraceId& id) {
  return {reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size()};
}
std::string bytes_of(const SpanId& id) {
  return {reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size()};
}

OtlpConfig config_with(const TestCollector& collector, testing::EnvMap extra = {}) {
  extra.emplace("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint());
  auto config = config_for(std::move(extra));
  config.retry.initial_backoff = 10ms;
  config.retry.max_backoff = 50ms;
  return config;
}

// FakeMeter with one instrument of each kind, and recordings on them.
struct MeterFixture {
  FakeMeter meter;
  std::size_t counter, updown, gauge, histogram;
  metrics::Exemplar exemplar;

  MeterFixture() {
    counter = meter.add({"kopiur_controller_reconciliations",
                         "",
                         "Reconciles started",
                         metrics::InstrumentKind::Counter,
                         metrics::ValueType::Int64,
                         {}});
    updown = meter.add({"kopiur_inflight",
                        "1",
                        "",
                        metrics::InstrumentKind::UpDownCounter,
                        metrics::ValueType::Double,
                        {}});
    gauge = meter.add({"kopiur_resource_phase",
                       "",
                       "",
                       metrics::InstrumentKind::Gauge,
                       metrics::ValueType::Int64,
                       {}});
    histogram = meter.add({"kopiur_reconcile_duration_seconds",
                           "s",
                           "Reconcile time",
                           metrics::InstrumentKind::Histogram,
                           metrics::ValueType::Double,
                           {0.1, 1, 10}});
    exemplar.value = 5;
    exemplar.trace_id = trace_id(1);
    exemplar.span_id = span_id(100);
    exemplar.time = std::chrono::system_clock::now();
  }
  void add_counter(const std::string& kind, std::int64_t n) {
    meter.update(counter, {{"kind", kind}}, [n](auto& s) { s.number.as_int += n; });
  }
};

TEST(OtlpMetrics, EveryInstrumentKindArrivesWithItsValuesAndAttributes) {
  TestCollector collector;
  MeterFixture f;
  f.add_counter("Backup", 3);
  f.add_counter("Restore", 1);
  f.meter.update(f.updown, {}, [](auto& s) { s.number.as_double = -2.5; });
  f.meter.update(f.gauge, {{"kind", "Backup"}, {"phase", "Ready"}},
                 [](auto& s) { s.number.as_int = 1; });
  for (double v : {0.05, 0.5, 5.0, 50.0}) f.meter.observe(f.histogram, {{"kind", "Backup"}}, v);
  f.meter.update(f.histogram, {{"kind", "Backup"}}, [&](auto& s) {
    s.has_exemplar = true;
    s.exemplar = f.exemplar;
  });

  auto config = config_with(collector);
  // What init_telemetry() hands every exporter.
  const KeyValues resource =
      build_resource({.service_name = "kopiur-controller"}, testing::map_env({}))
          .resource.attributes();
  OtlpMetricsReader reader(config, resource,
                           [&](metrics::CollectVisitor& v) { f.meter.collect(v); });
  ASSERT_TRUE(reader.force_flush(kWait));
  const auto requests = collector.metrics();
  ASSERT_EQ(requests.size(), 1u);
  ASSERT_EQ(requests[0].resource_metrics_size(), 1);
  const auto& rm = requests[0].resource_metrics(0);
  EXPECT_EQ(attr(rm.resource().attributes(), "service.name"), "kopiur-controller");
  EXPECT_EQ(attr(rm.resource().attributes(), "service.instance.id"),
            std::find_if(resource.begin(), resource.end(), [](auto& kv) {
              return kv.first == "service.instance.id";
            })->second);
  ASSERT_EQ(rm.scope_metrics_size(), 1);
  const auto& scope = rm.scope_metrics(0);
  EXPECT_EQ(scope.scope().name(), "kopiur");
  EXPECT_EQ(scope.metrics_size(), 4);

  const auto* counter = find_metric(scope, "kopiur_controller_reconciliations");
  ASSERT_NE(counter, nullptr);
  EXPECT_EQ(counter->description(), "Reconciles started");
  ASSERT_TRUE(counter->has_sum());
  EXPECT_TRUE(counter->sum().is_monotonic());
  EXPECT_EQ(counter->sum().aggregation_temporality(),
            pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  ASSERT_EQ(counter->sum().data_points_size(), 2);
  std::map<std::string, std::int64_t> by_kind;
  for (const auto& p : counter->sum().data_points()) {
    EXPECT_EQ(p.value_case(), pb_metrics::NumberDataPoint::kAsInt);
    EXPECT_GT(p.time_unix_nano(), 0u);
    EXPECT_LE(p.start_time_unix_nano(), p.time_unix_nano());
    by_kind[attr(p.attributes(), "kind")] = p.as_int();
  }
  EXPECT_EQ(by_kind, (std::map<std::string, std::int64_t>{{"Backup", 3}, {"Restore", 1}}));

  const auto* updown = find_metric(scope, "kopiur_inflight");
  ASSERT_NE(updown, nullptr);
  ASSERT_TRUE(updown->has_sum());
  EXPECT_FALSE(updown->sum().is_monotonic());
  EXPECT_EQ(updown->unit(), "1");
  ASSERT_EQ(updown->sum().data_points_size(), 1);
  EXPECT_DOUBLE_EQ(updown->sum().data_points(0).as_double(), -2.5);

  const auto* gauge = find_metric(scope, "kopiur_resource_phase");
  ASSERT_NE(gauge, nullptr);
  ASSERT_TRUE(gauge->has_gauge());
  ASSERT_EQ(gauge->gauge().data_points_size(), 1);
  EXPECT_EQ(gauge->gauge().data_points(0).as_int(), 1);
  EXPECT_EQ(attr(gauge->gauge().data_points(0).attributes(), "phase"), "Ready");

  const auto* histogram = find_metric(scope, "kopiur_reconcile_duration_seconds");
  ASSERT_NE(histogram, nullptr);
  ASSERT_TRUE(histogram->has_histogram());
  EXPECT_EQ(histogram->unit(), "s");
  ASSERT_EQ(histogram->histogram().data_points_size(), 1);
  const auto& h = histogram->histogram().data_points(0);
  EXPECT_EQ(std::vector<double>(h.explicit_bounds().begin(), h.explicit_bounds().end()),
            (std::vector<double>{0.1, 1, 10}));
  EXPECT_EQ(std::vector<std::uint64_t>(h.bucket_counts().begin(), h.bucket_counts().end()),
            (std::vector<std::uint64_t>{1, 1, 1, 1}));
  EXPECT_EQ(h.count(), 4u);
  EXPECT_DOUBLE_EQ(h.sum(), 55.55);
  ASSERT_TRUE(h.has_min() && h.has_max());
  EXPECT_DOUBLE_EQ(h.min(), 0.05);
  EXPECT_DOUBLE_EQ(h.max(), 50.0);
  ASSERT_EQ(h.exemplars_size(), 1);
  EXPECT_DOUBLE_EQ(h.exemplars(0).as_double(), 5.0);
  EXPECT_EQ(h.exemplars(0).trace_id(), bytes_of(f.exemplar.trace_id));
  EXPECT_EQ(h.exemplars(0).span_id(), bytes_of(f.exemplar.span_id));
  EXPECT_EQ(reader.counters().exported, 5u);
  EXPECT_TRUE(reader.shutdown(kWait));
}

TEST(OtlpMetrics, DeltaTemporalitySendsDifferencesAndFoldsAFailedInterval) {
  TestCollector collector;
  MeterFixture f;
  auto config =
      config_with(collector, {{"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta"}});
  OtlpMetricsReader reader(config, {}, [&](metrics::CollectVisitor& v) { f.meter.collect(v); });
  auto counter_points = [&](std::size_t request) {
    std::vector<std::int64_t> out;
    const auto requests = collector.metrics();
    const auto& scope = requests.at(request).resource_metrics(0).scope_metrics(0);
    if (const auto* m = find_metric(scope, "kopiur_controller_reconciliations")) {
      EXPECT_EQ(m->sum().aggregation_temporality(), pb_metrics::AGGREGATION_TEMPORALITY_DELTA);
      for (const auto& p : m->sum().data_points()) out.push_back(p.as_int());
    }
    return out;
  };

  f.add_counter("Backup", 5);
  f.meter.observe(f.histogram, {}, 0.5);
  ASSERT_TRUE(reader.force_flush(kWait));
  EXPECT_EQ(counter_points(0), (std::vector<std::int64_t>{5}));

  f.add_counter("Backup", 3);
  f.meter.observe(f.histogram, {}, 20);
  ASSERT_TRUE(reader.force_flush(kWait));
  EXPECT_EQ(counter_points(1), (std::vector<std::int64_t>{3}));
  {
    const auto requests = collector.metrics();
    const auto& scope = requests.at(1).resource_metrics(0).scope_metrics(0);
    const auto& h = find_metric(scope, "kopiur_reconcile_duration_seconds")->histogram();
    EXPECT_EQ(h.aggregation_temporality(), pb_metrics::AGGREGATION_TEMPORALITY_DELTA);
    ASSERT_EQ(h.data_points_size(), 1);
    EXPECT_EQ(h.data_points(0).count(), 1u);
    EXPECT_DOUBLE_EQ(h.data_points(0).sum(), 20);
    EXPECT_EQ(std::vector<std::uint64_t>(h.data_points(0).bucket_counts().begin(),
                                         h.data_points(0).bucket_counts().end()),
              (std::vector<std::uint64_t>{0, 0, 0, 1}));
    EXPECT_FALSE(h.data_points(0).has_min()) << "an interval's min is unknown after the first";
    // The delta point starts where the previous one ended.
    const auto& first = find_metric(requests.at(0).resource_metrics(0).scope_metrics(0),
                                    "kopiur_reconcile_duration_seconds")
                            ->histogram()
                            .data_points(0);
    EXPECT_EQ(h.data_points(0).start_time_unix_nano(), first.time_unix_nano());
  }

  // A rejected export does not advance the baseline: the next delta covers both intervals.
  f.add_counter("Backup", 2);
  collector.fail_next(1, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_FALSE(reader.force_flush(kWait));
  f.add_counter("Backup", 4);
  ASSERT_TRUE(reader.force_flush(kWait));
  ASSERT_EQ(collector.metrics().size(), 3u);
  EXPECT_EQ(counter_points(2), (std::vector<std::int64_t>{6}));

  // Nothing recorded: the counter sends no point at all.
  f.meter.update(f.gauge, {}, [](auto& s) { s.number.as_int = 7; });
  ASSERT_TRUE(reader.force_flush(kWait));
  EXPECT_TRUE(counter_points(3).empty());
  EXPECT_EQ(reader.counters().failed_exports, 1u);
}

// The reader's per-series mirror follows the provider: a removed series stops being exported, and
// when it comes back its delta starts from zero instead of the old cumulative value.
TEST(OtlpMetrics, RemovedSeriesLeaveTheExportAndComeBackAfresh) {
  TestCollector collector;
  metrics::MeterProvider provider({.span_context = nullptr});
  auto counter = provider.meter().create_counter_u64("kopiur_things", "", "Things.");
  std::vector<std::string> observed = {"a", "b"};
  provider.meter().create_observable_gauge_i64(
      "kopiur_observed", "", "Observed.", [&](metrics::ObservableResult& result) {
        for (const auto& name : observed) result.observe(std::int64_t{1}, {{"name", name}});
      });
  auto config =
      config_with(collector, {{"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta"}});
  OtlpMetricsReader reader(config, {}, [&](metrics::CollectVisitor& v) { provider.collect(v); });
  auto points = [&](std::size_t request, const char* name) {
    std::map<std::string, std::int64_t> out;
    const auto requests = collector.metrics();
    const auto& scope = requests.at(request).resource_metrics(0).scope_metrics(0);
    if (const auto* m = find_metric(scope, name)) {
      const auto& data = m->has_sum() ? m->sum().data_points() : m->gauge().data_points();
      for (const auto& p : data) out[p.attributes(0).value().string_value()] = p.as_int();
    }
    return out;
  };

  counter.add(10, {{"name", "x"}});
  counter.add(1, {{"name", "y"}});
  ASSERT_TRUE(reader.force_flush(kWait));
  EXPECT_EQ(points(0, "kopiur_things"), (std::map<std::string, std::int64_t>{{"x", 10}, {"y", 1}}));
  EXPECT_EQ(points(0, "kopiur_observed").size(), 2U);

  counter.remove_matching({{"name", "x"}});
  counter.add(1, {{"name", "y"}});
  observed = {"a"};
  ASSERT_TRUE(reader.force_flush(kWait));
  EXPECT_EQ(points(1, "kopiur_things"), (std::map<std::string, std::int64_t>{{"y", 1}}));
  EXPECT_EQ(points(1, "kopiur_observed"), (std::map<std::string, std::int64_t>{{"a", 1}}));

  counter.add(2, {{"name", "x"}});  // back: a new series, its delta counts from zero
  ASSERT_TRUE(reader.force_flush(kWait));
  EXPECT_EQ(points(2, "kopiur_things"), (std::map<std::string, std::int64_t>{{"x", 2}}));
}

TEST(OtlpMetrics, PeriodicReaderExportsOnItsOwn) {
  TestCollector collector;
  MeterFixture f;
  f.add_counter("Backup", 1);
  auto config = config_with(collector, {{"OTEL_METRIC_EXPORT_INTERVAL", "20"}});
  OtlpMetricsReader reader(config, {}, [&](metrics::CollectVisitor& v) { f.meter.collect(v); });
  EXPECT_TRUE(collector.wait_for([](const auto& c) { return c.metrics().size() >= 2; }, kWait));
  EXPECT_TRUE(reader.shutdown(kWait));
  const auto after = collector.metrics().size();
  f.add_counter("Backup", 1);
  EXPECT_FALSE(reader.force_flush(100ms)) << "nothing is exported after shutdown";
  EXPECT_EQ(collector.metrics().size(), after);
}

// The self-metric reads the counters through counters_source(): a collect that runs after the
// reader is destroyed (teardown) reads shared counters, never the freed reader (ASan checks).
TEST(OtlpMetrics, CountersSourceOutlivesTheReader) {
  TestCollector collector;
  MeterFixture f;
  f.add_counter("Backup", 1);
  std::function<ExportCounters()> source;
  {
    OtlpMetricsReader reader(config_with(collector), {},
                             [&](metrics::CollectVisitor& v) { f.meter.collect(v); });
    ASSERT_TRUE(reader.force_flush(kWait));
    source = reader.counters_source();
    EXPECT_EQ(source().exported, reader.counters().exported);
  }
  EXPECT_GE(source().exported, 1u);
  EXPECT_EQ(source().failed_exports, 0u);
}

TEST(OtlpMetrics, InertWithoutAMetricsEndpoint) {
  auto config = config_for({{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://127.0.0.1:1"}});
  int collects = 0;
  OtlpMetricsReader reader(config, {}, [&](metrics::CollectVisitor&) { ++collects; });
  EXPECT_TRUE(reader.force_flush(10ms));
  EXPECT_TRUE(reader.shutdown(10ms));
  EXPECT_EQ(collects, 0);
}

log::SpanRecord make_span(std::string name, TraceId trace, SpanId span, SpanId parent) {
  log::SpanRecord record;
  record.name = std::move(name);
  record.target = "kopiur::controller";
  record.context.trace_id = trace;
  record.context.span_id = span;
  record.context.trace_flags = 1;
  record.parent_span_id = parent;
  record.start = std::chrono::system_clock::now();
  record.end = record.start + 1500us;
  return record;
}

TEST(OtlpTraces, SpansArriveWithParentLinksAttributesAndStatus) {
  TestCollector collector;
  OtlpTraceLayer layer(config_with(collector), {{"service.name", "kopiur-controller"}});
  auto root = make_span("reconciling object", trace_id(10), span_id(1), SpanId{});
  root.fields.push_back({"object.ref", std::string("Backup/ns/b1"), false});
  auto child = make_span("reconcile", trace_id(10), span_id(2), root.context.span_id);
  child.fields.push_back({"kind", std::string("Backup"), false});
  child.fields.push_back({"generation", std::int64_t{7}, false});
  child.fields.push_back({"ratio", 0.5, false});
  child.fields.push_back({"dry_run", false, false});
  child.error = true;
  child.error_message = "repository unreachable";
  layer.on_event({});  // events are not spans: ignored
  layer.on_span_close(child);
  layer.on_span_close(root);
  ASSERT_TRUE(layer.flush(kWait));

  std::vector<opentelemetry::proto::trace::v1::Span> spans;
  for (const auto& request : collector.traces()) {
    for (const auto& rs : request.resource_spans()) {
      EXPECT_EQ(attr(rs.resource().attributes(), "service.name"), "kopiur-controller");
      for (const auto& ss : rs.scope_spans()) {
        EXPECT_EQ(ss.scope().name(), "kopiur");
        spans.insert(spans.end(), ss.spans().begin(), ss.spans().end());
      }
    }
  }
  ASSERT_EQ(spans.size(), 2u);
  const auto& c = spans[0].name() == "reconcile" ? spans[0] : spans[1];
  const auto& r = spans[0].name() == "reconcile" ? spans[1] : spans[0];
  EXPECT_EQ(r.name(), "reconciling object");
  EXPECT_EQ(r.trace_id(), bytes_of(trace_id(10)));
  EXPECT_EQ(r.trace_id().size(), 16u);
  EXPECT_EQ(r.span_id().size(), 8u);
  EXPECT_TRUE(r.parent_span_id().empty());
  EXPECT_EQ(c.trace_id(), r.trace_id());
  EXPECT_EQ(c.parent_span_id(), r.span_id());
  EXPECT_EQ(c.span_id(), bytes_of(span_id(2)));
  EXPECT_EQ(c.end_time_unix_nano() - c.start_time_unix_nano(), 1500000u);
  EXPECT_EQ(attr(c.attributes(), "kind"), "Backup");
  EXPECT_EQ(attr(c.attributes(), "generation"), "int:7");
  EXPECT_EQ(attr(c.attributes(), "ratio"), "double:0.500000");
  EXPECT_EQ(attr(c.attributes(), "dry_run"), "bool:false");
  EXPECT_EQ(attr(r.attributes(), "object.ref"), "Backup/ns/b1");
  EXPECT_EQ(c.status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(c.status().message(), "repository unreachable");
  EXPECT_EQ(r.status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_UNSET);
  EXPECT_EQ(layer.counters().exported, 2u);
}

TEST(OtlpTraces, BatchesAreCappedAtTheConfiguredSize) {
  TestCollector collector;
  OtlpTraceLayer layer(config_with(collector, {{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "3"}}), {});
  for (std::uint8_t i = 0; i < 7; ++i) {
    layer.on_span_close(make_span("s", trace_id(1), span_id(i + 1), SpanId{}));
  }
  ASSERT_TRUE(layer.flush(kWait));
  std::size_t total = 0;
  for (const auto& request : collector.traces()) {
    const auto n = request.resource_spans(0).scope_spans(0).spans_size();
    EXPECT_LE(n, 3);
    total += static_cast<std::size_t>(n);
  }
  EXPECT_EQ(total, 7u);
}

TEST(OtlpLogs, RecordsCarrySeverityBodyAttributesTraceIdsAndScope) {
  TestCollector collector;
  OtlpLogLayer layer(config_with(collector), {});
  auto span = make_span("reconcile", trace_id(20), span_id(30), SpanId{});
  const std::array<log::Field, 3> fields{
      log::Field{"kind", std::string_view("Backup")}, log::Field{"attempt", std::uint64_t{3}},
      log::Field{"error", log::ErrorValue{"connection refused"}}};
  const auto t = std::chrono::system_clock::now();
  layer.on_event({t, log::Level::Warn, "kopiur::controller", "reconcile failed", fields, &span});
  layer.on_event({t, log::Level::Debug, "kopia", "progress 50%", {}, nullptr});
  layer.on_span_close(span);  // spans are not log records: ignored
  ASSERT_TRUE(layer.flush(kWait));

  std::map<std::string, opentelemetry::proto::logs::v1::LogRecord> by_scope;
  for (const auto& request : collector.logs()) {
    for (const auto& rl : request.resource_logs()) {
      for (const auto& sl : rl.scope_logs()) {
        for (const auto& record : sl.log_records()) by_scope[sl.scope().name()] = record;
      }
    }
  }
  ASSERT_EQ(by_scope.size(), 2u);
  const auto& warn = by_scope.at("kopiur::controller");
  EXPECT_EQ(warn.severity_number(), opentelemetry::proto::logs::v1::SEVERITY_NUMBER_WARN);
  EXPECT_EQ(warn.severity_text(), "WARN");
  EXPECT_EQ(warn.body().string_value(), "reconcile failed");
  EXPECT_EQ(
      warn.time_unix_nano(),
      static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count()));
  EXPECT_GE(warn.observed_time_unix_nano(), warn.time_unix_nano());
  EXPECT_EQ(attr(warn.attributes(), "kind"), "Backup");
  EXPECT_EQ(attr(warn.attributes(), "attempt"), "int:3");
  EXPECT_EQ(attr(warn.attributes(), "error"), "connection refused");
  EXPECT_EQ(warn.trace_id(), bytes_of(trace_id(20)));
  EXPECT_EQ(warn.span_id(), bytes_of(span_id(30)));
  const auto& debug = by_scope.at("kopia");
  EXPECT_EQ(debug.severity_number(), opentelemetry::proto::logs::v1::SEVERITY_NUMBER_DEBUG);
  EXPECT_EQ(debug.body().string_value(), "progress 50%");
  EXPECT_TRUE(debug.trace_id().empty());
  EXPECT_TRUE(debug.span_id().empty());
}

TEST(OtlpLogs, SeverityNumbersFollowTheSpec) {
  TestCollector collector;
  OtlpLogLayer layer(config_with(collector), {});
  const auto t = std::chrono::system_clock::now();
  for (auto level : {log::Level::Error, log::Level::Warn, log::Level::Info, log::Level::Debug,
                     log::Level::Trace}) {
    layer.on_event({t, level, "t", "message", {}, nullptr});
  }
  ASSERT_TRUE(layer.flush(kWait));
  std::map<std::string, int> numbers;
  for (const auto& request : collector.logs()) {
    for (const auto& record : request.resource_logs(0).scope_logs(0).log_records()) {
      numbers[record.severity_text()] = record.severity_number();
    }
  }
  EXPECT_EQ(numbers, (std::map<std::string, int>{
                         {"ERROR", 17}, {"WARN", 13}, {"INFO", 9}, {"DEBUG", 5}, {"TRACE", 1}}));
}

}  // namespace
}  // namespace kopiur::telemetry::otlp
