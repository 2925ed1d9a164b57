// FakeMeter: a stand-in for the MeterProvider's read side. Tests set cumulative values per series
// and the collect callback walks them through a CollectVisitor exactly as the contract describes.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kopiur/telemetry/metrics/collect.hpp"

namespace kopiur::telemetry::otlp::testing {

class FakeMeter {
 public:
  struct Series {
    std::uint64_t id = 0;
    std::vector<std::pair<std::string, std::string>> attributes;  // sorted by key
    metrics::NumberPoint number;
    std::vector<std::uint64_t> buckets;
    std::uint64_t count = 0;
    double sum = 0;
    double min = 0;
    double max = 0;
    bool has_exemplar = false;
    metrics::Exemplar exemplar;
  };
  struct Instrument {
    metrics::InstrumentDescriptor descriptor;
    std::vector<Series> series;
  };

  // Adds an instrument; returns its index.
  std::size_t add(metrics::InstrumentDescriptor descriptor) {
    std::lock_guard lock(mutex_);
    instruments_.push_back({std::move(descriptor), {}});
    return instruments_.size() - 1;
  }
  // Returns the series with these attributes, creating it (ids are unique, never reused).
  template <class F>
  void update(std::size_t instrument, std::vector<std::pair<std::string, std::string>> attributes,
              F&& change) {
    std::lock_guard lock(mutex_);
    auto& inst = instruments_.at(instrument);
    for (auto& s : inst.series) {
      if (s.attributes == attributes) {
        change(s);
        return;
      }
    }
    Series s;
    s.id = ++next_id_;
    s.attributes = std::move(attributes);
    s.buckets.assign(inst.descriptor.bounds.size() + 1, 0);
    change(s);
    inst.series.push_back(std::move(s));
  }
  // Records a histogram observation into a series.
  void observe(std::size_t instrument, std::vector<std::pair<std::string, std::string>> attributes,
               double value) {
    const auto bounds = descriptor(instrument).bounds;
    update(instrument, std::move(attributes), [&](Series& s) {
      std::size_t i = 0;
      while (i < bounds.size() && value > bounds[i]) ++i;
      ++s.buckets[i];
      s.min = s.count == 0 ? value : std::min(s.min, value);
      s.max = s.count == 0 ? value : std::max(s.max, value);
      ++s.count;
      s.sum += value;
    });
  }
  metrics::InstrumentDescriptor descriptor(std::size_t instrument) {
    std::lock_guard lock(mutex_);
    return instruments_.at(instrument).descriptor;
  }

  void collect(metrics::CollectVisitor& visitor) {
    std::lock_guard lock(mutex_);
    ++collects_;
    for (const auto& inst : instruments_) {
      visitor.begin_instrument(inst.descriptor);
      for (const auto& s : inst.series) {
        std::vector<metrics::Attribute> attributes;
        for (const auto& [k, v] : s.attributes) attributes.push_back({k, v});
        if (inst.descriptor.kind == metrics::InstrumentKind::Histogram) {
          metrics::HistogramPoint point;
          point.bucket_counts = s.buckets;
          point.count = s.count;
          point.sum = s.sum;
          point.min = s.min;
          point.max = s.max;
          point.exemplar = s.has_exemplar ? &s.exemplar : nullptr;
          visitor.histogram(s.id, attributes, point);
        } else {
          visitor.number(s.id, attributes, s.number);
        }
      }
      visitor.end_instrument();
    }
  }
  int collects() {
    std::lock_guard lock(mutex_);
    return collects_;
  }

 private:
  std::mutex mutex_;
  std::vector<Instrument> instruments_;
  std::uint64_t next_id_ = 0;
  int collects_ = 0;
};

}  // namespace kopiur::telemetry::otlp::testing
