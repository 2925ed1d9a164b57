// File: kopiur/telemetry/metrics/collect.hpp
//
// The read side of the metrics storage: a reader (the Prometheus pull endpoint, the OTLP periodic
// push) walks every instrument and series through a CollectVisitor. Everything passed to the
// visitor is a view valid only during the callback; nothing is copied per series, so a collect of
// 100,000 series allocates nothing in the storage.
//
// Values are cumulative since the series was created. A reader that wants delta temporality keeps
// the previous value per series_id and subtracts (series ids are unique within a MeterProvider and
// never reused).
// Thread-safety: collects of one provider run one at a time, on the calling thread, so a visitor
// is never called concurrently by its provider; recorders keep recording meanwhile (each point is
// read consistently on its own, not the whole collect at one instant). A visitor may record and
// create instruments (new ones appear from the next collect) but must not collect the same
// provider from a callback (it would wait for itself). An exception a visitor throws ends the
// collect and reaches the caller of collect().
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/telemetry/context.hpp"

namespace kopiur::telemetry::metrics {

enum class InstrumentKind : std::uint8_t {
  Counter,        // monotonic sum
  UpDownCounter,  // non-monotonic sum
  Gauge,          // last value
  Histogram,      // explicit-bucket histogram
};

enum class ValueType : std::uint8_t { Int64, Double };

// InstrumentDescriptor: what an instrument was created with (name as given, e.g. kopiur_x for a
// counter exported as kopiur_x_total).
struct InstrumentDescriptor {
  std::string name;
  std::string unit;  // UCUM, e.g. "s", "By", "1"; empty when unitless
  std::string description;
  InstrumentKind kind = InstrumentKind::Counter;
  ValueType value_type = ValueType::Double;
  std::vector<double> bounds;  // histogram bucket upper bounds, ascending; empty otherwise
};

// Attribute: a borrowed key/value pair. Attribute sets are passed sorted by key.
struct Attribute {
  std::string_view key;
  std::string_view value;
};

// Exemplar: the last histogram observation made inside a span.
struct Exemplar {
  double value = 0;
  TraceId trace_id;
  SpanId span_id;
  std::chrono::system_clock::time_point time;
};

// HistogramPoint: cumulative explicit-bucket histogram data for one series.
struct HistogramPoint {
  std::span<const std::uint64_t> bucket_counts;  // per bucket (not cumulative), bounds.size() + 1
  std::uint64_t count = 0;
  double sum = 0;
  double min = 0;  // meaningful only when count > 0
  double max = 0;
  const Exemplar* exemplar = nullptr;  // nullptr when none was recorded inside a span
};

// NumberPoint: a counter, up-down counter or gauge value.
struct NumberPoint {
  std::int64_t as_int = 0;  // when the descriptor's value_type is Int64
  double as_double = 0;     // when Double
};

// CollectVisitor: implemented by readers. Calls arrive as
// begin_instrument, (number|histogram)*, end_instrument, for each instrument in creation order.
class CollectVisitor {
 public:
  virtual ~CollectVisitor() = default;
  virtual void begin_instrument(const InstrumentDescriptor& descriptor) = 0;
  virtual void number(std::uint64_t series_id, std::span<const Attribute> attributes,
                      const NumberPoint& point) = 0;
  virtual void histogram(std::uint64_t series_id, std::span<const Attribute> attributes,
                         const HistogramPoint& point) = 0;
  virtual void end_instrument() {}
};

}  // namespace kopiur::telemetry::metrics
