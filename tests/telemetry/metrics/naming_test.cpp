// OTel -> Prometheus naming conventions, label escaping and Accept negotiation.
#include <gtest/gtest.h>

#include "kopiur/telemetry/metrics/prometheus.hpp"

namespace kopiur::telemetry::metrics {
namespace {

struct NamingCase {
  const char* name;
  InstrumentKind kind;
  const char* unit;
  const char* exported;  // the 0.0.4 sample / TYPE name
  const char* family;    // the OpenMetrics family name
};

constexpr InstrumentKind kC = InstrumentKind::Counter;
constexpr InstrumentKind kG = InstrumentKind::Gauge;
constexpr InstrumentKind kH = InstrumentKind::Histogram;
constexpr InstrumentKind kU = InstrumentKind::UpDownCounter;

const NamingCase kCases[] = {
    {"kopiur_x", kC, "", "kopiur_x_total", "kopiur_x"},
    {"kopiur_x_total", kC, "", "kopiur_x_total", "kopiur_x"},
    {"http.server.requests", kC, "{request}", "http_server_requests_total", "http_server_requests"},
    {"process_cpu", kC, "s", "process_cpu_seconds_total", "process_cpu_seconds"},
    {"process_cpu_seconds", kC, "s", "process_cpu_seconds_total", "process_cpu_seconds"},
    {"process_cpu_seconds_total", kC, "s", "process_cpu_seconds_total", "process_cpu_seconds"},
    {"hits", kC, "1", "hits_total", "hits"},
    {"kopiur_backup_size_bytes", kG, "By", "kopiur_backup_size_bytes", "kopiur_backup_size_bytes"},
    {"kopiur_repo_size", kG, "By", "kopiur_repo_size_bytes", "kopiur_repo_size_bytes"},
    {"kopiur_resource_phase", kG, "", "kopiur_resource_phase", "kopiur_resource_phase"},
    {"cpu_utilization", kG, "1", "cpu_utilization_ratio", "cpu_utilization_ratio"},
    {"cpu_utilization_ratio", kG, "1", "cpu_utilization_ratio", "cpu_utilization_ratio"},
    {"queue_fill", kU, "1", "queue_fill_ratio", "queue_fill_ratio"},
    {"latency", kH, "ms", "latency_milliseconds", "latency_milliseconds"},
    {"reconcile_duration", kH, "s", "reconcile_duration_seconds", "reconcile_duration_seconds"},
    {"throughput", kG, "By/s", "throughput_bytes_per_second", "throughput_bytes_per_second"},
    {"packets", kG, "{packet}/s", "packets_per_second", "packets_per_second"},
    {"temperature", kG, "Cel", "temperature_celsius", "temperature_celsius"},
    {"dropped", kC, "packets", "dropped_packets_total", "dropped_packets"},
    {"files", kG, "{file}", "files", "files"},
    {"a.b-c d", kG, "", "a_b_c_d", "a_b_c_d"},
    {"a..b", kG, "", "a_b", "a_b"},
    {"9lives", kG, "", "_9lives", "_9lives"},
    {"ns:subsystem_x", kG, "", "ns:subsystem_x", "ns:subsystem_x"},
};

TEST(Naming, ExportedNamesFollowTheOtelPrometheusRules) {
  for (const NamingCase& c : kCases) {
    InstrumentDescriptor d;
    d.name = c.name;
    d.kind = c.kind;
    d.unit = c.unit;
    EXPECT_EQ(prometheus_metric_name(d), c.exported) << c.name << " [" << c.unit << "]";
    EXPECT_EQ(prometheus_family_name(d), c.family) << c.name << " [" << c.unit << "]";
  }
}

TEST(Naming, LabelNamesAreSanitized) {
  EXPECT_EQ(sanitize_label_name("service.name"), "service_name");
  EXPECT_EQ(sanitize_label_name("k8s.pod.name"), "k8s_pod_name");
  EXPECT_EQ(sanitize_label_name("kind"), "kind");
  EXPECT_EQ(sanitize_label_name("9x"), "key_9x");
  EXPECT_EQ(sanitize_label_name("__reserved"), "key__reserved");
  EXPECT_EQ(sanitize_label_name("with space"), "with_space");
  EXPECT_EQ(sanitize_label_name(""), "key_");
}

TEST(Naming, LabelValuesEscapeBackslashQuoteAndNewline) {
  std::string out;
  append_escaped_label_value(out, "a\\b\"c\nd\te");
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd\te");
  out.clear();
  append_escaped_label_value(out, "plain");
  EXPECT_EQ(out, "plain");
}

TEST(Naming, AcceptHeaderChoosesTheFormat) {
  EXPECT_EQ(negotiate_format(""), ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("*/*"), ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("text/plain;version=0.0.4"), ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("application/openmetrics-text"), ExpositionFormat::kOpenMetrics100);
  // What Prometheus 2.x sends.
  EXPECT_EQ(negotiate_format("application/openmetrics-text;version=1.0.0,application/"
                             "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0."
                             "5,*/*;q=0.1"),
            ExpositionFormat::kOpenMetrics100);
  EXPECT_EQ(negotiate_format("application/openmetrics-text;version=0.0.1"),
            ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("application/openmetrics-text;q=0"), ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("text/plain;q=1,application/openmetrics-text;q=0.5"),
            ExpositionFormat::kText004);
}

}  // namespace
}  // namespace kopiur::telemetry::metrics
