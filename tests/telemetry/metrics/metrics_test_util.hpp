// Helpers shared by the metrics tests: a visitor that records what collect() reports, rendering.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/metrics/collect.hpp"
#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"

namespace kopiur::telemetry::metrics::testing {

// Span probes for MeterProviderOptions::span_context: none at all, or the span a test switches
// on and off for the current thread through t_span.
inline const SpanContext* no_span() noexcept { return nullptr; }
inline thread_local SpanContext t_span;
inline const SpanContext* fake_span() noexcept { return t_span.valid() ? &t_span : nullptr; }

// "k=v,k=v" in the order collect() hands them (sorted by key).
inline std::string attribute_key(std::span<const Attribute> attributes) {
  std::string out;
  for (const Attribute& a : attributes) {
    if (!out.empty()) out += ",";
    out += std::string(a.key) + "=" + std::string(a.value);
  }
  return out;
}

struct RecordedHistogram {
  std::vector<std::uint64_t> buckets;
  std::uint64_t count = 0;
  double sum = 0;
  double min = 0;
  double max = 0;
  bool has_exemplar = false;
  Exemplar exemplar;
};

// Recorder: instrument name -> attribute key -> value.
class Recorder final : public CollectVisitor {
 public:
  void begin_instrument(const InstrumentDescriptor& d) override {
    current_ = d.name;
    instruments.push_back(d.name);
    descriptors[d.name] = d;
  }
  void number(std::uint64_t id, std::span<const Attribute> attributes,
              const NumberPoint& point) override {
    numbers[current_][attribute_key(attributes)] = point;
    ids.push_back(id);
  }
  void histogram(std::uint64_t id, std::span<const Attribute> attributes,
                 const HistogramPoint& point) override {
    RecordedHistogram h;
    h.buckets.assign(point.bucket_counts.begin(), point.bucket_counts.end());
    h.count = point.count;
    h.sum = point.sum;
    h.min = point.min;
    h.max = point.max;
    if (point.exemplar != nullptr) {
      h.has_exemplar = true;
      h.exemplar = *point.exemplar;
    }
    histograms[current_][attribute_key(attributes)] = h;
    ids.push_back(id);
  }

  std::vector<std::string> instruments;
  std::map<std::string, InstrumentDescriptor> descriptors;
  std::map<std::string, std::map<std::string, NumberPoint>> numbers;
  std::map<std::string, std::map<std::string, RecordedHistogram>> histograms;
  std::vector<std::uint64_t> ids;

 private:
  std::string current_;
};

inline Recorder collect(const MeterProvider& provider) {
  Recorder r;
  provider.collect(r);
  return r;
}

inline std::string render(const MeterProvider& provider, Resource resource = {},
                          ExpositionFormat format = ExpositionFormat::kText004) {
  PrometheusReader reader(provider, std::move(resource));
  std::string out;
  reader.render(format, out);
  return out;
}

}  // namespace kopiur::telemetry::metrics::testing
