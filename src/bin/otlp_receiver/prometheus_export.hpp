// PrometheusExport: what the OpenTelemetry Collector's Prometheus exporter does for the metrics
// this receiver gets: keeps the newest cumulative value of every series and renders them as
// Prometheus text, so a local Prometheus scrapes the mover's pushed metrics as it would from a
// collector on :8889. Names follow the OTLP-to-Prometheus rules (unit suffix `_seconds` for `s`,
// `_bytes` for `By`, `_total` for monotonic sums; `{...}` units add nothing); each resource's
// service.name and service.instance.id become the labels `job` and `instance`, so two mover runs
// never overwrite each other's counters. Delta points and exponential histograms are skipped (the
// programs push cumulative). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace opentelemetry::proto::collector::metrics::v1 {
class ExportMetricsServiceRequest;
}

namespace kopiur::otlp_receiver {

class PrometheusExport {
 public:
  void update(const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& r);
  // The exposition (text format 0.0.4) of every series kept.
  [[nodiscard]] std::string render() const;

  // The Prometheus name of an OTLP metric (exposed for tests and docs).
  static std::string prometheus_name(const std::string& name, const std::string& unit,
                                     bool monotonic_sum);

 private:
  struct Family {
    std::string type;  // counter, gauge, histogram
    std::string help;
    std::map<std::string, std::string> samples;  // series key (labels) -> its sample lines
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;  // by Prometheus name
};

}  // namespace kopiur::otlp_receiver
