// `promtool check metrics` (the Debian package `prometheus`) on the exposition of every
// instrument type with nasty label values: it must report nothing.
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "kopiur/telemetry/utf8.hpp"

#include "metrics_test_util.hpp"
#include "promtool_check.hpp"

namespace kopiur::telemetry::metrics {
namespace {

using testing::kPromtool;
using testing::promtool_check;
using testing::PromtoolResult;

TEST(Promtool, EveryInstrumentTypeWithNastyLabelsPassesTheLinter) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool))
      << "promtool is missing: tools/setup-deps.sh installs it (Debian package prometheus)";
  MeterProvider provider;
  Meter m = provider.meter();
  const std::vector<Attribute> nasty = {{"path", "C:\\dir\\\"quoted\"\nline2"},
                                        {"empty", ""},
                                        {"k8s.pod.name", "pod-ünï-😀"},
                                        {"9lives", "x"}};
  m.create_counter_u64("kopiur_nasty_requests", "{request}", "Requests \\ with \"help\"\nlines.")
      .add(3, nasty);
  m.create_counter_double("kopiur_nasty_work", "s", "Work done.").add(1.5, nasty);
  m.create_up_down_counter_i64("kopiur_nasty_inflight", "{request}", "In flight.").add(-2, nasty);
  m.create_up_down_counter_double("kopiur_nasty_level", "1", "Level.").add(0.5, nasty);
  m.create_gauge_i64("kopiur_nasty_size_bytes", "By", "Size.").set(1024, nasty);
  m.create_gauge_double("kopiur_nasty_temperature", "Cel", "Temperature.").set(-3.5, nasty);
  m.create_gauge_double("kopiur_nasty.dotted-name", "", "Dotted name.").set(1, nasty);
  auto h = m.create_histogram("kopiur_nasty_duration", "s", "Duration.");
  for (double v : {0.0, 3.0, 11.0, 20000.0}) h.record(v, nasty);
  m.create_counter_double("kopiur_nasty_rejections", "", "Rejections.").add(-1);  // self-metric

  PrometheusReader reader(provider,
                          Resource(Resource::Attributes{{"service.name", "kopiur-test"}}));
  const std::string text = reader.scrape("text/plain").body;
  ASSERT_NE(text.find("kopiur_nasty_duration_seconds_bucket"), std::string::npos);
  ASSERT_NE(text.find("kopiur_telemetry_metric_rejected_records_total"), std::string::npos);
  const PromtoolResult r = promtool_check(text);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- exposition ---\n" << text;
  EXPECT_EQ(r.output, "") << "\n--- exposition ---\n" << text;
}

TEST(Promtool, InvalidUtf8InLabelValuesIsReplaced) {
  // One bad byte must not take the whole target down: it becomes U+FFFD where it enters. (The
  // resource's own repair is build_resource()'s, tested with kopiur_telemetry_catalog.)
  ASSERT_TRUE(std::filesystem::exists(kPromtool)) << "promtool missing (Debian package prometheus)";
  MeterProvider provider;
  Meter m = provider.meter();
  auto requests = m.create_counter_u64("kopiur_utf8_requests", "{request}", "Requests.");
  requests.add(1, {{"path", "bad\xFFx"}});
  requests.add(1, {{"path", "bad\xFFx"}});  // the same series again
  requests.add(1, {{"path", "cut\xE2\x82"}, {"ok", "ünï"}});
  m.create_histogram("kopiur_utf8_duration", "s", "Duration.")
      .record(1, {{"k\xC0", "\xED\xA0\x80"}});

  PrometheusReader reader(provider,
                          Resource(Resource::Attributes{{"service.name", "kopiur-test"}}));
  for (const char* accept : {"text/plain", "application/openmetrics-text; version=1.0.0"}) {
    SCOPED_TRACE(accept);
    const std::string text = reader.scrape(accept).body;
    EXPECT_TRUE(is_valid_utf8(text)) << text;
    EXPECT_NE(text.find("kopiur_utf8_requests_total{path=\"bad\xEF\xBF\xBDx\"} 2"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("path=\"cut\xEF\xBF\xBD\xEF\xBF\xBD\""), std::string::npos) << text;
    if (accept == std::string_view("text/plain")) {
      const PromtoolResult r = promtool_check(text);
      EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- exposition ---\n" << text;
    }
  }
}

// Every sample line's label names, in order ("name{a="x",b="y"} 1" -> {a, b}). Values here hold
// no quotes, so a quote always opens or closes one.
std::vector<std::string> label_names(std::string_view line) {
  std::vector<std::string> names;
  const std::size_t open = line.find('{');
  if (open == std::string_view::npos) return names;
  std::size_t pos = open + 1;
  while (pos < line.size() && line[pos] != '}') {
    const std::size_t eq = line.find('=', pos);
    names.emplace_back(line.substr(pos, eq - pos));
    const std::size_t close = line.find('"', eq + 2);
    pos = close + 1;
    if (pos < line.size() && line[pos] == ',') ++pos;
  }
  return names;
}

TEST(Promtool, CollidingAndReservedLabelNamesPassTheLinter) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool))
      << "promtool is missing: tools/setup-deps.sh installs it (Debian package prometheus)";
  MeterProvider provider;
  Meter m = provider.meter();
  const std::vector<Attribute> colliding = {{"a.b", "dot"}, {"a_b", "under"}, {"a-b", "dash"},
                                            {"le", "mine"}, {"le_", "other"}, {"quantile", "q"}};
  m.create_counter_u64("kopiur_collide_requests", "{request}", "Requests.").add(1, colliding);
  m.create_gauge_i64("kopiur_collide_size_bytes", "By", "Size.").set(5, colliding);
  m.create_histogram("kopiur_collide_duration", "s", "Duration.").record(0.2, colliding);
  PrometheusReader reader(
      provider, Resource({{"service.name", "svc"}, {"service_name", "dup"}, {"le", "x"}}));
  for (const char* accept : {"text/plain", "application/openmetrics-text; version=1.0.0"}) {
    SCOPED_TRACE(accept);
    const std::string text = reader.scrape(accept).body;
    ASSERT_NE(text.find("kopiur_collide_duration_seconds_bucket{a_b=\"dash;dot;under\","
                        "le_=\"mine;other\",quantile_=\"q\",le=\"0\"}"),
              std::string::npos)
        << text;
    // promtool does not flag a repeated `le`, so check every line's names are unique here.
    std::size_t lines = 0;
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = text.find('\n', start);
      const std::string_view line(text.data() + start, end - start);
      start = end + 1;
      if (line.empty() || line.front() == '#') continue;
      std::vector<std::string> names = label_names(line);
      std::sort(names.begin(), names.end());
      EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << line;
      ++lines;
    }
    EXPECT_GT(lines, 10U);
    if (accept == std::string_view("text/plain")) {
      const PromtoolResult r = promtool_check(text);
      EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- exposition ---\n" << text;
      EXPECT_EQ(r.output, "") << "\n--- exposition ---\n" << text;
    }
  }
}

// Every line starting with `prefix` ("# TYPE name ..."), one string per line.
std::vector<std::string> lines_starting(const std::string& text, std::string_view prefix) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.substr(0, prefix.size()) == prefix) out.emplace_back(line);
  }
  return out;
}

TEST(Promtool, InstrumentsExportingTheSameFamilyNameKeepTheFirstAndWarn) {
  // `a.b` and `a_b` both export `a_b`; a counter `c` exports `c_total`, as does a gauge named
  // `c_total`; a histogram `h` exports `h_count`, as does a gauge named `h_count`. Two blocks for
  // one name make Prometheus reject the whole scrape: the later instrument is not exported.
  ASSERT_TRUE(std::filesystem::exists(kPromtool)) << "promtool missing (Debian package prometheus)";
  MeterProvider provider;
  Meter m = provider.meter();
  m.create_gauge_i64("kopiur_clash.size", "", "Dotted.").set(1, {{"k", "first"}});
  m.create_gauge_i64("kopiur_clash_size", "", "Underscored.").set(2, {{"k", "second"}});
  m.create_counter_u64("kopiur_clash_requests", "", "Counter.").add(3);
  m.create_gauge_i64("kopiur_clash_requests_total", "", "Gauge.").set(4);
  m.create_histogram("kopiur_clash_latency", "", "Histogram.").record(1);
  m.create_gauge_i64("kopiur_clash_latency_count", "", "Gauge.").set(5);
  m.create_gauge_i64("kopiur_clash_size", "", "Underscored.").set(6);  // same one again
  m.create_gauge_i64("kopiur_clash_other", "", "No clash.").set(7);
  const std::vector<std::string> warnings = provider.warnings();
  EXPECT_EQ(warnings.size(), 3U);
  for (const char* name :
       {"kopiur_clash_size", "kopiur_clash_requests_total", "kopiur_clash_latency_count"}) {
    EXPECT_EQ(std::count_if(warnings.begin(), warnings.end(),
                            [&](const std::string& w) {
                              return w.find(std::string("\"") + name + "\"") != std::string::npos;
                            }),
              1)
        << name;
  }
  PrometheusReader reader(provider, Resource(Resource::Attributes{{"service.name", "svc"}}));
  for (const char* accept : {"text/plain", "application/openmetrics-text; version=1.0.0"}) {
    SCOPED_TRACE(accept);
    const std::string text = reader.scrape(accept).body;
    std::vector<std::string> types = lines_starting(text, "# TYPE ");
    for (std::string& t : types) t = t.substr(0, t.rfind(' '));
    std::sort(types.begin(), types.end());
    EXPECT_EQ(std::adjacent_find(types.begin(), types.end()), types.end()) << text;
    EXPECT_NE(text.find("kopiur_clash_size{k=\"first\"} 1"), std::string::npos) << text;
    EXPECT_EQ(text.find("second"), std::string::npos) << text;
    EXPECT_NE(text.find("kopiur_clash_requests_total 3"), std::string::npos) << text;
    EXPECT_NE(text.find("kopiur_clash_latency_count 1"), std::string::npos) << text;
    EXPECT_NE(text.find("kopiur_clash_other 7"), std::string::npos) << text;
    if (accept == std::string_view("text/plain")) {
      const PromtoolResult r = promtool_check(text);
      EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- exposition ---\n" << text;
    }
  }
}

TEST(Promtool, TheLinterCatchesDuplicateLabelNames) {
  // What the merge above prevents: promtool rejects a series carrying a label name twice.
  ASSERT_TRUE(std::filesystem::exists(kPromtool))
      << "promtool is missing: tools/setup-deps.sh installs it (Debian package prometheus)";
  const PromtoolResult r =
      promtool_check("# HELP dup Dup.\n# TYPE dup gauge\ndup{a_b=\"1\",a_b=\"2\"} 1\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("duplicate label"), std::string::npos) << r.output;
}

TEST(Promtool, TheLinterDoesCatchProblems) {
  // The check above can fail: a counter without _total is reported.
  ASSERT_TRUE(std::filesystem::exists(kPromtool))
      << "promtool is missing: tools/setup-deps.sh installs it (Debian package prometheus)";
  const PromtoolResult r = promtool_check("# HELP bad Bad.\n# TYPE bad counter\nbad 1\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output, "");
}

}  // namespace
}  // namespace kopiur::telemetry::metrics
