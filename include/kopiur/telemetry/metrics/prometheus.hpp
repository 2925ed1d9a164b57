// File: kopiur/telemetry/metrics/prometheus.hpp
//
// PrometheusReader: renders a MeterProvider's live storage as Prometheus text exposition 0.0.4,
// or OpenMetrics 1.0 text when the scraper's Accept header asks for it. It is transport-free: the
// HTTP server calls scrape(accept) and sends {content_type, body}.
//
//   PrometheusReader reader(provider, built.resource);
//   ScrapeResult r = reader.scrape(request.header("Accept"));
//
// OTel -> Prometheus conventions applied (OTel "Prometheus and OpenMetrics compatibility"):
// invalid name/label characters become `_`; a unit adds its suffix ("s" -> _seconds,
// "By" -> _bytes, "1" on gauges -> _ratio, "{thing}" -> nothing, "a/b" -> _a_per_b) unless the
// name already ends with it; counters end in _total, never _total_total (OpenMetrics: the family
// is named without _total); HELP from the description; up-down counters are gauges; the
// Resource is one `target_info` series (keys sanitized); in OpenMetrics, histogram buckets carry
// the latest in-span exemplar ` # {trace_id="..",span_id=".."} value timestamp`, and `# EOF` ends.
// Families with no series yet are omitted.
// Thread-safety: scrape()/render() may run concurrently with each other and with recording.
// Cost: one pass over the live cells writing into the caller's buffer; no allocation per series.
// Names, HELP/TYPE lines and bucket bounds are rendered once per instrument (the first scrape
// that meets it) and target_info once per reader, so a scrape renders only values and labels.
// Failures: render() throws what collecting or rendering throws (std::bad_alloc); scrape() never
// throws and reports it in ScrapeResult::error (empty body), for the HTTP route to answer 500:
// an empty 200 would make Prometheus see every series go stale instead of `up == 0`.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "kopiur/telemetry/metrics/collect.hpp"
#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/resource.hpp"

namespace kopiur::telemetry::metrics {

enum class ExpositionFormat { kText004, kOpenMetrics100 };

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

// negotiate_format: OpenMetrics when the Accept header lists application/openmetrics-text
// (version 1.x or unversioned) with a q-value above 0 and not below that of text/plain.
ExpositionFormat negotiate_format(std::string_view accept_header) noexcept;

// Naming, exposed for tests, docs generation and the catalog.
std::string sanitize_metric_name(std::string_view name);
std::string sanitize_label_name(std::string_view name);
// The unit's Prometheus suffix without the leading `_`, or "" when the unit adds none.
std::string prometheus_unit_suffix(std::string_view unit, InstrumentKind kind);
// The family name (OpenMetrics; for counters without _total).
std::string prometheus_family_name(const InstrumentDescriptor& descriptor);
// The exported sample name (0.0.4 TYPE name): the family name plus _total for counters.
std::string prometheus_metric_name(const InstrumentDescriptor& descriptor);
// Appends `value` with \\, \" and \n escaped (label values).
void append_escaped_label_value(std::string& out, std::string_view value);

struct ScrapeResult {
  std::string content_type;
  std::string body;
  std::string error{};  // empty when rendering succeeded; else why it failed (body empty)
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

namespace detail {
class PrometheusFamilyCache;
}

class PrometheusReader {
 public:
  // The provider must outlive the reader.
  PrometheusReader(const MeterProvider& provider, Resource resource);
  ~PrometheusReader();
  PrometheusReader(const PrometheusReader&) = delete;
  PrometheusReader& operator=(const PrometheusReader&) = delete;

  // scrape: collects and renders in the format the Accept header asks for, into a body reserved
  // at the previous scrape's size (one allocation, no regrowth). Never throws: a failure is
  // returned in `error`.
  [[nodiscard]] ScrapeResult scrape(std::string_view accept_header) const noexcept;
  // render: appends one exposition to `out` (reuse the buffer across scrapes to avoid regrowth).
  void render(ExpositionFormat format, std::string& out) const;

 private:
  const MeterProvider* provider_;
  Resource resource_;
  std::string target_info_text_;  // the resource never changes: rendered once per format
  std::string target_info_open_metrics_;
  std::unique_ptr<detail::PrometheusFamilyCache> families_;  // names and HELP/TYPE lines
  mutable std::atomic<std::size_t> last_size_{0};
};

}  // namespace kopiur::telemetry::metrics
