// File: kopiur/telemetry/metrics/meter.hpp
//
// MeterProvider owns the one metrics storage of a program (or of a test); Meter creates
// instruments in it; readers (the Prometheus pull reader, the OTLP push reader) walk it through
// collect(). Values are recorded once and every reader sees them (cumulative temporality).
// There is no process-global provider: each program and each test builds its own.
//
//   MeterProvider provider;                       // or MeterProvider({.max_series_per_instrument =
//   N}) Meter meter = provider.meter(); Histogram h =
//   meter.create_histogram("kopiur_x_duration_seconds", "s", "What it measures"); PrometheusReader
//   reader(provider, resource);  // prometheus.hpp
//
// Thread-safety: everything here is safe to call concurrently, including creating instruments
// while others record and collect. Creating an instrument takes the provider's lock; recording
// never does (see instruments.hpp); collect() walks the live storage without blocking recorders.
// Cardinality: no limit by default (200,000 series per instrument are routine). An explicit
// max_series_per_instrument folds new sets past the limit into one series labelled
// otel_metric_overflow="true" and counts each folded record in
// kopiur_telemetry_metric_overflow_records_total{instrument=...}: never silent. Past the limit a
// new set takes no lock and allocates nothing.
// Failures: nothing throws after construction. Out of memory, a record that needs a new series is
// dropped and counted (kopiur_telemetry_metric_rejected_records_total{reason="out_of_memory"}).
// Observable instruments export only the attribute sets their callbacks observed in that collect;
// collects run one at a time. Re-creating an instrument with the same name and
// kind returns the existing one; the same name with another kind or value type yields a working
// instrument that no reader exports, plus a message in warnings(); so does a new name whose
// Prometheus names (family, _total, _bucket/_sum/_count) meet an existing instrument's (`a.b`
// after `a_b`), since two blocks with one name make Prometheus reject the whole scrape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/metrics/attributes.hpp"
#include "kopiur/telemetry/metrics/collect.hpp"
#include "kopiur/telemetry/metrics/instruments.hpp"

namespace kopiur::telemetry::metrics {

namespace detail {
class ProviderState;
}

struct MeterProviderOptions {
  // 0 = no limit (the default). Otherwise the number of distinct attribute sets an instrument
  // keeps before folding new ones into its overflow series.
  std::size_t max_series_per_instrument = 0;
  SpanContextSource span_context = &entered_span_context;
};

// The OTel SDK default explicit bucket bounds.
inline const std::vector<double>& default_histogram_bounds() {
  static const std::vector<double> kBounds = {0,   5,   10,   25,   50,   75,   100,  250,
                                              500, 750, 1000, 2500, 5000, 7500, 10000};
  return kBounds;
}

// ObservableResult: handed to an observable instrument's callback at collect time.
class ObservableResult {
 public:
  explicit ObservableResult(detail::InstrumentStorage* storage) noexcept : storage_(storage) {}
  void observe(std::int64_t value, AttributeList attributes = {}) noexcept;
  void observe(double value, AttributeList attributes = {}) noexcept;

 private:
  detail::InstrumentStorage* storage_;
};

// Callback of an observable instrument: called on the collecting thread, once per collect,
// serialized with the other callbacks of the provider. Exceptions are caught and counted.
using ObservableCallback = std::function<void(ObservableResult&)>;

// ObservableInstrument: an observable instrument created without a callback of its own, reported
// by a batch callback (Meter::register_callback). Copyable; valid while its MeterProvider lives.
class ObservableInstrument {
 public:
  explicit ObservableInstrument(detail::InstrumentStorage* storage) noexcept : storage_(storage) {}

 private:
  friend class BatchObservableResult;
  friend class Meter;
  detail::InstrumentStorage* storage_;
};

// BatchObservableResult: handed to a batch callback at collect time; observes into the
// instruments the callback was registered with (an observation of any other is dropped).
class BatchObservableResult {
 public:
  explicit BatchObservableResult(std::span<detail::InstrumentStorage* const> instruments) noexcept
      : instruments_(instruments) {}
  void observe(ObservableInstrument instrument, std::int64_t value,
               AttributeList attributes = {}) noexcept;
  void observe(ObservableInstrument instrument, double value,
               AttributeList attributes = {}) noexcept;

 private:
  [[nodiscard]] bool registered(ObservableInstrument instrument) const noexcept;
  std::span<detail::InstrumentStorage* const> instruments_;
};

// Callback of several observable instruments (OpenTelemetry's multi-instrument callback): one
// call per collect reports them all, so values read together (one /proc sample) stay together.
// Same rules as ObservableCallback.
using BatchObservableCallback = std::function<void(BatchObservableResult&)>;

class Meter;

class MeterProvider {
 public:
  explicit MeterProvider(MeterProviderOptions options = {});
  ~MeterProvider();
  MeterProvider(const MeterProvider&) = delete;
  MeterProvider& operator=(const MeterProvider&) = delete;

  // meter: a handle creating instruments in this provider (scope name kept for OTLP readers).
  [[nodiscard]] Meter meter(std::string_view scope_name = "kopiur");

  // collect: runs the observable callbacks, then walks every instrument (creation order) and every
  // series (creation order) through the visitor. Instruments with no series are still visited.
  void collect(CollectVisitor& visitor) const;

  // Human-readable notes about instrument-creation conflicts (empty normally).
  [[nodiscard]] std::vector<std::string> warnings() const;

 private:
  std::unique_ptr<detail::ProviderState> state_;
};

// Meter: cheap copyable handle; valid while its MeterProvider lives.
class Meter {
 public:
  Meter(detail::ProviderState* state, std::string scope_name)
      : state_(state), scope_name_(std::move(scope_name)) {}

  [[nodiscard]] const std::string& scope_name() const noexcept { return scope_name_; }

  // Names are given without the Prometheus _total / unit suffixes (the reader adds them, never
  // doubling one the name already has). Units are UCUM ("s", "By", "1", "{file}").
  [[nodiscard]] Counter<std::uint64_t> create_counter_u64(std::string_view name,
                                                          std::string_view unit = {},
                                                          std::string_view description = {});
  [[nodiscard]] Counter<double> create_counter_double(std::string_view name,
                                                      std::string_view unit = {},
                                                      std::string_view description = {});
  [[nodiscard]] UpDownCounter<std::int64_t> create_up_down_counter_i64(
      std::string_view name, std::string_view unit = {}, std::string_view description = {});
  [[nodiscard]] UpDownCounter<double> create_up_down_counter_double(
      std::string_view name, std::string_view unit = {}, std::string_view description = {});
  [[nodiscard]] Gauge<std::int64_t> create_gauge_i64(std::string_view name,
                                                     std::string_view unit = {},
                                                     std::string_view description = {});
  [[nodiscard]] Gauge<double> create_gauge_double(std::string_view name, std::string_view unit = {},
                                                  std::string_view description = {});
  // bounds: ascending upper bounds; empty = default_histogram_bounds(). NaNs and duplicates are
  // dropped, the rest sorted.
  [[nodiscard]] Histogram create_histogram(std::string_view name, std::string_view unit = {},
                                           std::string_view description = {},
                                           std::vector<double> bounds = {});

  // Observable (asynchronous) instruments: the callback reports absolute values at collect time.
  void create_observable_gauge_i64(std::string_view name, std::string_view unit,
                                   std::string_view description, ObservableCallback callback);
  void create_observable_gauge_double(std::string_view name, std::string_view unit,
                                      std::string_view description, ObservableCallback callback);
  void create_observable_counter_u64(std::string_view name, std::string_view unit,
                                     std::string_view description, ObservableCallback callback);
  void create_observable_counter_double(std::string_view name, std::string_view unit,
                                        std::string_view description, ObservableCallback callback);
  // The same four without a callback, for register_callback(). Such an instrument exports only
  // what a callback registered with it observed in that collect (nothing until one is).
  [[nodiscard]] ObservableInstrument create_observable_gauge_i64(std::string_view name,
                                                                 std::string_view unit,
                                                                 std::string_view description);
  [[nodiscard]] ObservableInstrument create_observable_gauge_double(std::string_view name,
                                                                    std::string_view unit,
                                                                    std::string_view description);
  [[nodiscard]] ObservableInstrument create_observable_counter_u64(std::string_view name,
                                                                   std::string_view unit,
                                                                   std::string_view description);
  [[nodiscard]] ObservableInstrument create_observable_counter_double(std::string_view name,
                                                                      std::string_view unit,
                                                                      std::string_view description);
  // register_callback: `callback` runs once per collect and reports any of `instruments`. An empty
  // callback is ignored.
  void register_callback(std::vector<ObservableInstrument> instruments,
                         BatchObservableCallback callback);

 private:
  detail::InstrumentStorage* create(InstrumentKind kind, ValueType value_type,
                                    std::string_view name, std::string_view unit,
                                    std::string_view description, std::vector<double> bounds);
  void add_callback(InstrumentKind kind, ValueType value_type, std::string_view name,
                    std::string_view unit, std::string_view description,
                    ObservableCallback callback);
  ObservableInstrument create_observable(InstrumentKind kind, ValueType value_type,
                                         std::string_view name, std::string_view unit,
                                         std::string_view description);

  detail::ProviderState* state_;
  std::string scope_name_;
};

}  // namespace kopiur::telemetry::metrics
