// Exposition goldens for text 0.0.4 and OpenMetrics 1.0, target_info, exemplars.
#include <cctype>

#include <gtest/gtest.h>

#include "metrics_test_util.hpp"

namespace kopiur::telemetry::metrics {
namespace {

using testing::fake_span;
using testing::no_span;
using testing::t_span;

using testing::render;

Resource test_resource() { return Resource({{"service.name", "svc"}, {"k8s.pod.name", "p-1"}}); }

void record_sample(Meter& meter) {
  auto jobs = meter.create_counter_u64("kopiur_jobs", "", "Jobs run.");
  jobs.add(3, {{"kind", "Backup"}});
  jobs.add(2, {{"kind", "Restore"}});
  auto temp = meter.create_gauge_double("kopiur_temperature", "Cel",
                                        "Temp \\ with \"quotes\"\nand newline.");
  temp.set(21.5);
  auto op = meter.create_histogram("kopiur_op_duration", "s", "Op time.", {0.5, 1});
  op.record(0.25, {{"op", "a"}});
  op.record(0.5, {{"op", "a"}});
  op.record(3.25, {{"op", "a"}});
  auto inflight = meter.create_up_down_counter_i64("kopiur_inflight", "{request}", "In flight.");
  inflight.add(5);
  inflight.add(-2);
  // Created but never recorded: no family in the output.
  (void)meter.create_gauge_i64("kopiur_unused", "", "Never set.");
}

TEST(Exposition, Text004Golden) {
  MeterProvider provider({.span_context = &no_span});
  Meter meter = provider.meter();
  record_sample(meter);
  EXPECT_EQ(render(provider, test_resource()),
            "# HELP target_info Target metadata\n"
            "# TYPE target_info gauge\n"
            "target_info{service_name=\"svc\",k8s_pod_name=\"p-1\"} 1\n"
            "# HELP kopiur_jobs_total Jobs run.\n"
            "# TYPE kopiur_jobs_total counter\n"
            "kopiur_jobs_total{kind=\"Backup\"} 3\n"
            "kopiur_jobs_total{kind=\"Restore\"} 2\n"
            "# HELP kopiur_temperature_celsius Temp \\\\ with \"quotes\"\\nand newline.\n"
            "# TYPE kopiur_temperature_celsius gauge\n"
            "kopiur_temperature_celsius 21.5\n"
            "# HELP kopiur_op_duration_seconds Op time.\n"
            "# TYPE kopiur_op_duration_seconds histogram\n"
            "kopiur_op_duration_seconds_bucket{op=\"a\",le=\"0.5\"} 2\n"
            "kopiur_op_duration_seconds_bucket{op=\"a\",le=\"1\"} 2\n"
            "kopiur_op_duration_seconds_bucket{op=\"a\",le=\"+Inf\"} 3\n"
            "kopiur_op_duration_seconds_sum{op=\"a\"} 4\n"
            "kopiur_op_duration_seconds_count{op=\"a\"} 3\n"
            "# HELP kopiur_inflight In flight.\n"
            "# TYPE kopiur_inflight gauge\n"
            "kopiur_inflight 3\n");
}

TEST(Exposition, OpenMetricsGolden) {
  MeterProvider provider({.span_context = &no_span});
  Meter meter = provider.meter();
  record_sample(meter);
  EXPECT_EQ(render(provider, test_resource(), ExpositionFormat::kOpenMetrics100),
            "# HELP target Target metadata\n"
            "# TYPE target info\n"
            "target_info{service_name=\"svc\",k8s_pod_name=\"p-1\"} 1\n"
            "# HELP kopiur_jobs Jobs run.\n"
            "# TYPE kopiur_jobs counter\n"
            "kopiur_jobs_total{kind=\"Backup\"} 3\n"
            "kopiur_jobs_total{kind=\"Restore\"} 2\n"
            "# HELP kopiur_temperature_celsius Temp \\\\ with \\\"quotes\\\"\\nand newline.\n"
            "# TYPE kopiur_temperature_celsius gauge\n"
            "kopiur_temperature_celsius 21.5\n"
            "# HELP kopiur_op_duration_seconds Op time.\n"
            "# TYPE kopiur_op_duration_seconds histogram\n"
            "kopiur_op_duration_seconds_bucket{op=\"a\",le=\"0.5\"} 2\n"
            "kopiur_op_duration_seconds_bucket{op=\"a\",le=\"1\"} 2\n"
            "kopiur_op_duration_seconds_bucket{op=\"a\",le=\"+Inf\"} 3\n"
            "kopiur_op_duration_seconds_sum{op=\"a\"} 4\n"
            "kopiur_op_duration_seconds_count{op=\"a\"} 3\n"
            "# HELP kopiur_inflight In flight.\n"
            "# TYPE kopiur_inflight gauge\n"
            "kopiur_inflight 3\n"
            "# EOF\n");
}

TEST(Exposition, NastyLabelValuesAreEscapedAndKeysSanitized) {
  MeterProvider provider({.span_context = &no_span});
  auto g = provider.meter().create_gauge_i64("g", "", "G.");
  g.set(1, {{"path", "C:\\dir\\\"x\"\nnext"}, {"k8s.pod", ""}, {"9th", "ünïcödé"}});
  EXPECT_EQ(render(provider),
            "# HELP g G.\n# TYPE g gauge\n"
            "g{key_9th=\"ünïcödé\",k8s_pod=\"\",path=\"C:\\\\dir\\\\\\\"x\\\"\\nnext\"} 1\n");
}

// OTel-to-Prometheus compatibility: keys that sanitize to one label name become one label, their
// values joined with ';' in the byte order of the original keys ('-' < '.' < '_').
TEST(Exposition, CollidingLabelNamesAreMergedInKeyOrder) {
  MeterProvider provider({.span_context = &no_span});
  auto g = provider.meter().create_gauge_i64("g", "", "G.");
  g.set(1, {{"a_b", "under"}, {"z", "last"}, {"a.b", "dot"}, {"0x", "digit"}, {"a-b", "dash"}});
  auto c = provider.meter().create_counter_u64("c", "", "C.");
  c.add(2, {{"k8s.pod", "p\"1"}, {"k8s_pod", "p;2"}});
  EXPECT_EQ(render(provider),
            "# HELP g G.\n# TYPE g gauge\n"
            "g{key_0x=\"digit\",a_b=\"dash;dot;under\",z=\"last\"} 1\n"
            "# HELP c_total C.\n# TYPE c_total counter\n"
            "c_total{k8s_pod=\"p\\\"1;p;2\"} 2\n");
}

// target_info follows the same rule for resource attributes.
TEST(Exposition, CollidingResourceAttributesAreMerged) {
  MeterProvider provider({.span_context = &no_span});
  EXPECT_EQ(
      render(provider,
             Resource({{"service_name", "b"}, {"service.name", "a"}, {"k8s.pod.name", "p-1"}})),
      "# HELP target_info Target metadata\n"
      "# TYPE target_info gauge\n"
      "target_info{service_name=\"a;b\",k8s_pod_name=\"p-1\"} 1\n");
}

// `le` (a histogram bucket's bound) and `quantile` (a summary's) are reserved: an attribute of that
// name would clash with the bucket bound, and promtool rejects them on other kinds. It is exposed
// as `le_` / `quantile_` on every line of the series, on every instrument kind (and merged with an
// attribute really named `le_`).
TEST(Exposition, ReservedLabelNamesLeAndQuantileAreRenamed) {
  MeterProvider provider({.span_context = &no_span});
  Meter meter = provider.meter();
  meter.create_histogram("h", "s", "H.", {1}).record(0.5, {{"op", "x"}, {"le", "mine"}});
  meter.create_histogram("h2", "", "H2.", {1}).record(2, {{"le_", "b"}, {"le", "a"}});
  meter.create_gauge_i64("g", "", "G.").set(7, {{"quantile", "q"}, {"le", "l"}});
  const std::string expected =
      "# HELP h_seconds H.\n"
      "# TYPE h_seconds histogram\n"
      "h_seconds_bucket{le_=\"mine\",op=\"x\",le=\"1\"} 1\n"
      "h_seconds_bucket{le_=\"mine\",op=\"x\",le=\"+Inf\"} 1\n"
      "h_seconds_sum{le_=\"mine\",op=\"x\"} 0.5\n"
      "h_seconds_count{le_=\"mine\",op=\"x\"} 1\n"
      "# HELP h2 H2.\n"
      "# TYPE h2 histogram\n"
      "h2_bucket{le_=\"a;b\",le=\"1\"} 0\n"
      "h2_bucket{le_=\"a;b\",le=\"+Inf\"} 1\n"
      "h2_sum{le_=\"a;b\"} 2\n"
      "h2_count{le_=\"a;b\"} 1\n"
      "# HELP g G.\n"
      "# TYPE g gauge\n"
      "g{le_=\"l\",quantile_=\"q\"} 7\n";
  EXPECT_EQ(render(provider), expected);
  // OpenMetrics renders the same labels.
  const std::string om = render(provider, {}, ExpositionFormat::kOpenMetrics100);
  EXPECT_NE(om.find("h_seconds_bucket{le_=\"mine\",op=\"x\",le=\"+Inf\"} 1\n"), std::string::npos)
      << om;
  EXPECT_NE(om.find("h2_count{le_=\"a;b\"} 1\n"), std::string::npos) << om;
}

TEST(Exposition, DoubleValuesAndSpecialFloats) {
  MeterProvider provider({.span_context = &no_span});
  auto g = provider.meter().create_gauge_double("g", "", "G.");
  g.set(0.1, {{"v", "a"}});
  g.set(std::numeric_limits<double>::infinity(), {{"v", "b"}});
  g.set(-std::numeric_limits<double>::infinity(), {{"v", "c"}});
  g.set(std::numeric_limits<double>::quiet_NaN(), {{"v", "d"}});
  g.set(1e21, {{"v", "e"}});
  EXPECT_EQ(render(provider),
            "# HELP g G.\n# TYPE g gauge\n"
            "g{v=\"a\"} 0.1\ng{v=\"b\"} +Inf\ng{v=\"c\"} -Inf\ng{v=\"d\"} NaN\ng{v=\"e\"} 1e+21\n");
}

TEST(Exposition, OpenMetricsCarriesTheLatestExemplarOnItsBucket) {
  MeterProvider provider({.span_context = &fake_span});
  auto h = provider.meter().create_histogram("lat", "s", "Latency.", {1, 2});
  h.record(0.5);  // outside any span: no exemplar
  t_span.trace_id.bytes = {0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd,
                           0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c};
  t_span.span_id.bytes = {0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x1d};
  h.record(1.5);
  t_span = {};
  h.record(0.7);  // again outside: the exemplar stays the in-span one

  const std::string om = render(provider, {}, ExpositionFormat::kOpenMetrics100);
  const std::string prefix =
      "lat_seconds_bucket{le=\"2\"} 3 # "
      "{trace_id=\"0af7651916cd43dd8448eb211c80319c\",span_id=\"b7ad6b716920331d\"} 1.5 ";
  const std::size_t at = om.find(prefix);
  ASSERT_NE(at, std::string::npos) << om;
  // Then the timestamp: seconds with millisecond precision, e.g. 1764097392.123
  const std::string stamp = om.substr(at + prefix.size(), om.find('\n', at) - at - prefix.size());
  ASSERT_EQ(stamp.size(), 14U) << stamp;
  for (std::size_t i = 0; i < stamp.size(); ++i) {
    EXPECT_TRUE(i == 10 ? stamp[i] == '.' : std::isdigit(static_cast<unsigned char>(stamp[i])) != 0)
        << stamp;
  }
  // Exactly one exemplar, and none in the 0.0.4 text (which has no syntax for them).
  EXPECT_EQ(om.find(" # {"), om.rfind(" # {"));
  EXPECT_EQ(render(provider).find('#', render(provider).find("lat_seconds_bucket")),
            std::string::npos);
}

TEST(Exposition, ScrapeNegotiatesContentType) {
  MeterProvider provider({.span_context = &no_span});
  provider.meter().create_counter_u64("c", "", "C.").add(1);
  PrometheusReader reader(provider, Resource());
  const ScrapeResult text = reader.scrape("text/plain");
  EXPECT_EQ(text.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(text.body, "# HELP c_total C.\n# TYPE c_total counter\nc_total 1\n");
  const ScrapeResult om = reader.scrape("application/openmetrics-text; version=1.0.0");
  EXPECT_EQ(om.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_EQ(om.body, "# HELP c C.\n# TYPE c counter\nc_total 1\n# EOF\n");
}

// One reader keeps each instrument's names and HELP/TYPE lines from its first scrape: what it
// renders must not depend on whether they were cached (formats alternate, instruments and
// series arrive between scrapes).
TEST(Exposition, AReaderScrapingAgainMatchesAFreshReader) {
  MeterProvider provider({.span_context = &no_span});
  Meter m = provider.meter();
  m.create_counter_u64("reuse_requests", "{request}", "Requests.").add(1, {{"k", "a"}});
  auto h = m.create_histogram("reuse_latency", "s", "Latency.", {0.1, 1});
  h.record(0.5);
  PrometheusReader reader(provider, test_resource());
  const auto fresh = [&](ExpositionFormat format) {
    return render(provider, test_resource(), format);
  };
  const std::string om = "application/openmetrics-text; version=1.0.0";
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    EXPECT_EQ(reader.scrape("text/plain").body, fresh(ExpositionFormat::kText004));
    EXPECT_EQ(reader.scrape(om).body, fresh(ExpositionFormat::kOpenMetrics100));
    m.create_gauge_double("reuse_level_" + std::to_string(round), "1", "Level.").set(round);
    h.record(round, {{"round", std::to_string(round)}});
  }
  EXPECT_NE(reader.scrape("text/plain").body.find("reuse_level_2_ratio 2\n"), std::string::npos);
}

}  // namespace
}  // namespace kopiur::telemetry::metrics
