// The same recordings, read by the Prometheus reader (/metrics) and pushed by the OTLP reader,
// give the same names, types, values and attributes once the OTel→Prometheus naming is applied.
#include <cstdio>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"
#include "kopiur/telemetry/otlp/metrics_reader.hpp"

#include "telemetry/otlp/test_collector.hpp"
#include "telemetry/otlp/test_env.hpp"

namespace kopiur::telemetry::otlp {
namespace {

namespace pb_metrics = opentelemetry::proto::metrics::v1;
using Samples = std::map<std::string, double>;  // "name{k="v",...}" (labels sorted) → value

std::string number(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

std::string key(const std::string& name, std::map<std::string, std::string> labels) {
  std::string out = name + "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    out += (first ? "" : ",") + k + "=\"" + v + "\"";
    first = false;
  }
  return out + "}";
}

// Samples of the Prometheus text, scope labels and target_info left out (OTLP carries them as
// the scope and the resource).
Samples parse_prometheus(const std::string& text) {
  Samples out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto brace = line.find('{');
    const auto space = line.rfind(' ');
    std::string name = line.substr(0, std::min(brace, space));
    if (name == "target_info") continue;
    std::map<std::string, std::string> labels;
    if (brace != std::string::npos) {
      const auto close = line.rfind('}');
      std::string body = line.substr(brace + 1, close - brace - 1);
      std::size_t pos = 0;
      while (pos < body.size()) {
        const auto eq = body.find('=', pos);
        const auto end_quote = body.find('"', eq + 2);
        std::string k = body.substr(pos, eq - pos);
        std::string v = body.substr(eq + 2, end_quote - eq - 2);
        if (k == "le") v = v == "+Inf" ? "+Inf" : number(std::stod(v));
        if (k.rfind("otel_scope_", 0) != 0) labels[k] = v;
        pos = end_quote + 2;  // skip '",'
      }
    }
    out[key(name, labels)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// The same samples computed from the OTLP request with the Prometheus naming rules.
Samples from_otlp(const pb_metrics::ScopeMetrics& scope) {
  Samples out;
  for (const auto& m : scope.metrics()) {
    metrics::InstrumentDescriptor d;
    d.name = m.name();
    d.unit = m.unit();
    d.kind = m.has_histogram()        ? metrics::InstrumentKind::Histogram
             : m.has_gauge()          ? metrics::InstrumentKind::Gauge
             : m.sum().is_monotonic() ? metrics::InstrumentKind::Counter
                                      : metrics::InstrumentKind::UpDownCounter;
    const std::string name = metrics::prometheus_metric_name(d);
    const std::string family = metrics::prometheus_family_name(d);
    auto labels_of = [](const auto& attributes) {
      std::map<std::string, std::string> labels;
      for (const auto& kv : attributes) labels[kv.key()] = kv.value().string_value();
      return labels;
    };
    auto add_numbers = [&](const auto& points) {
      for (const auto& p : points) {
        const double v = p.value_case() == pb_metrics::NumberDataPoint::kAsInt
                             ? static_cast<double>(p.as_int())
                             : p.as_double();
        out[key(name, labels_of(p.attributes()))] = v;
      }
    };
    if (m.has_sum()) add_numbers(m.sum().data_points());
    if (m.has_gauge()) add_numbers(m.gauge().data_points());
    if (m.has_histogram()) {
      for (const auto& p : m.histogram().data_points()) {
        auto labels = labels_of(p.attributes());
        std::uint64_t cumulative = 0;
        for (int i = 0; i < p.bucket_counts_size(); ++i) {
          cumulative += p.bucket_counts(i);
          auto with_le = labels;
          with_le["le"] = i < p.explicit_bounds_size() ? number(p.explicit_bounds(i)) : "+Inf";
          out[key(family + "_bucket", with_le)] = static_cast<double>(cumulative);
        }
        out[key(family + "_sum", labels)] = p.sum();
        out[key(family + "_count", labels)] = static_cast<double>(p.count());
      }
    }
  }
  return out;
}

TEST(OtlpAndPrometheus, SameRecordingsSameSeries) {
  testing::TestCollector collector;
  metrics::MeterProvider provider;
  auto meter = provider.meter();
  auto reconciles = meter.create_counter_u64("kopiur_controller_reconciliations", "", "Reconciles");
  auto bytes = meter.create_counter_double("kopiur_mover_bytes", "By", "Bytes moved");
  auto inflight = meter.create_up_down_counter_i64("kopiur_inflight_jobs");
  auto phase = meter.create_gauge_i64("kopiur_resource_phase");
  auto duration = meter.create_histogram("kopiur_controller_reconcile_duration_seconds", "s",
                                         "Reconcile time", {0.1, 1, 10});
  reconciles.add(3, {{"kind", "Backup"}});
  reconciles.add(2, {{"kind", "Restore"}});
  bytes.add(1536.5);
  inflight.add(4);
  inflight.add(-1);
  phase.set(1, {{"kind", "Backup"}, {"name", "b1"}, {"phase", "Ready"}});
  phase.set(0, {{"kind", "Backup"}, {"name", "b1"}, {"phase", "Failed"}});
  for (double v : {0.05, 0.5, 0.7, 30.0}) duration.record(v, {{"kind", "Backup"}});

  metrics::PrometheusReader prometheus(provider, Resource{});
  std::string text;
  prometheus.render(metrics::ExpositionFormat::kText004, text);
  const auto expected = parse_prometheus(text);

  OtlpMetricsReader reader(
      testing::config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()}}), {},
      [&](metrics::CollectVisitor& visitor) { provider.collect(visitor); });
  ASSERT_TRUE(reader.force_flush(std::chrono::milliseconds{10000}));
  const auto requests = collector.metrics();
  ASSERT_EQ(requests.size(), 1u);
  const auto actual = from_otlp(requests[0].resource_metrics(0).scope_metrics(0));

  // Every series /metrics shows is pushed with the same value, and nothing else is.
  ASSERT_FALSE(expected.empty());
  for (const auto& [series, value] : expected) {
    if (series.rfind("kopiur_", 0) != 0) continue;  // self-metrics of the provider, if any
    auto it = actual.find(series);
    ASSERT_NE(it, actual.end()) << series << " is on /metrics but not pushed\n" << text;
    EXPECT_DOUBLE_EQ(it->second, value) << series;
  }
  for (const auto& [series, value] : actual) {
    EXPECT_TRUE(expected.count(series)) << series << " pushed but not on /metrics\n" << text;
  }
  EXPECT_EQ(actual.size(), 12u);  // 2 + 1 + 1 + 2 number series, 4 buckets + sum + count
  EXPECT_EQ(actual.at("kopiur_controller_reconciliations_total{kind=\"Backup\"}"), 3);
  EXPECT_EQ(actual.at("kopiur_controller_reconcile_duration_seconds_count{kind=\"Backup\"}"), 4);
}

}  // namespace
}  // namespace kopiur::telemetry::otlp
