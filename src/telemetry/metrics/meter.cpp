// MeterProvider, Meter and the provider state: instrument registry, observables, collect walk.
#include "kopiur/telemetry/metrics/meter.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

#include "kopiur/telemetry/metrics/prometheus.hpp"

#include "telemetry/metrics/detail/storage.hpp"

namespace kopiur::telemetry::metrics {
namespace detail {
namespace {

std::vector<double> clean_bounds(std::vector<double> bounds) {
  std::erase_if(bounds, [](double b) { return std::isnan(b) || std::isinf(b); });
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  return bounds;
}

const char* kind_name(InstrumentKind kind) {
  switch (kind) {
    case InstrumentKind::Counter:
      return "counter";
    case InstrumentKind::UpDownCounter:
      return "up-down counter";
    case InstrumentKind::Gauge:
      return "gauge";
    case InstrumentKind::Histogram:
      return "histogram";
  }
  return "instrument";
}

std::int64_t to_int(double value) noexcept {
  if (!(value == value)) return 0;
  constexpr double kMax = 9.2233720368547748e18;
  if (value >= kMax) return std::numeric_limits<std::int64_t>::max();
  if (value <= -kMax) return std::numeric_limits<std::int64_t>::min();
  return std::llround(value);
}

// Every name an instrument's samples and family take in a Prometheus exposition, text or
// OpenMetrics: two instruments sharing one would make Prometheus reject the whole scrape.
std::vector<std::string> prometheus_names(const InstrumentDescriptor& descriptor) {
  const std::string family = prometheus_family_name(descriptor);
  switch (descriptor.kind) {
    case InstrumentKind::Counter:
      return {family, family + "_total"};
    case InstrumentKind::Histogram:
      return {family, family + "_bucket", family + "_sum", family + "_count"};
    case InstrumentKind::UpDownCounter:
    case InstrumentKind::Gauge:
      break;
  }
  return {family};
}

// One shard's buckets, sum, min and max as of one moment: read between two even, equal values of
// its sequence counter, retried while its writer is inside a record. A writer descheduled
// mid-record is waited for with yields; one stuck there past kStuckWriter (stopped in a debugger,
// say) gets its last read taken as it is, so collect never hangs.
struct ShardSnapshot {
  std::vector<std::uint64_t> buckets;
  double sum = 0;
  double min = 0;
  double max = 0;
  std::int64_t exemplar_time_ns = 0;  // 0: no exemplar
  double exemplar_value = 0;
  std::uint64_t exemplar_trace_hi = 0;
  std::uint64_t exemplar_trace_lo = 0;
  std::uint64_t exemplar_span = 0;

  // Keeps this shard's exemplar in `out` when it is newer than what `out` holds.
  void newest_exemplar(Exemplar& out, std::int64_t& out_time_ns) const {
    if (exemplar_time_ns == 0 || exemplar_time_ns <= out_time_ns) return;
    out_time_ns = exemplar_time_ns;
    out.value = exemplar_value;
    std::memcpy(out.trace_id.bytes.data(), &exemplar_trace_hi, 8);
    std::memcpy(out.trace_id.bytes.data() + 8, &exemplar_trace_lo, 8);
    std::memcpy(out.span_id.bytes.data(), &exemplar_span, 8);
    out.time = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(exemplar_time_ns)));
  }
};

class ShardReader {
 public:
  const ShardSnapshot& read(const HistogramShard& shard, std::size_t bucket_count) {
    constexpr auto kStuckWriter = std::chrono::milliseconds(200);
    snap_.buckets.resize(bucket_count);
    std::chrono::steady_clock::time_point give_up{};
    for (std::uint32_t attempt = 1;; ++attempt) {
      const std::uint32_t before = shard.sequence.load(std::memory_order_acquire);
      for (std::size_t i = 0; i < bucket_count; ++i) {
        snap_.buckets[i] = shard.buckets[i].load(std::memory_order_relaxed);
      }
      snap_.sum = shard.sum.load(std::memory_order_relaxed);
      snap_.min = shard.min.load(std::memory_order_relaxed);
      snap_.max = shard.max.load(std::memory_order_relaxed);
      snap_.exemplar_time_ns = shard.exemplar_time_ns.load(std::memory_order_relaxed);
      snap_.exemplar_value = shard.exemplar_value.load(std::memory_order_relaxed);
      snap_.exemplar_trace_hi = shard.exemplar_trace_hi.load(std::memory_order_relaxed);
      snap_.exemplar_trace_lo = shard.exemplar_trace_lo.load(std::memory_order_relaxed);
      snap_.exemplar_span = shard.exemplar_span.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);  // the data before the second look
      const std::uint32_t after = shard.sequence.load(std::memory_order_relaxed);
      if ((before & 1U) == 0 && before == after) break;
      if (attempt % 64 == 0) {  // a writer inside for this long was likely descheduled
        const auto now = std::chrono::steady_clock::now();
        if (give_up == std::chrono::steady_clock::time_point{}) give_up = now + kStuckWriter;
        if (now >= give_up) break;
        std::this_thread::yield();
      }
    }
    return snap_;
  }

 private:
  ShardSnapshot snap_;
};

}  // namespace

ProviderState::ProviderState(MeterProviderOptions options) : options_(options) {
  InstrumentDescriptor rejected;
  rejected.name = "kopiur_telemetry_metric_rejected_records";
  rejected.description =
      "Records dropped because the instrument cannot take the value (negative or non-finite "
      "counter delta, NaN), by instrument and reason.";
  rejected.kind = InstrumentKind::Counter;
  rejected.value_type = ValueType::Int64;
  InstrumentDescriptor overflow;
  overflow.name = "kopiur_telemetry_metric_overflow_records";
  overflow.description =
      "Records folded into an instrument's otel_metric_overflow series because it reached "
      "max_series_per_instrument, by instrument.";
  overflow.kind = InstrumentKind::Counter;
  overflow.value_type = ValueType::Int64;
  auto r = std::make_unique<InstrumentStorage>(std::move(rejected), this, true);
  auto o = std::make_unique<InstrumentStorage>(std::move(overflow), this, true);
  rejected_ = r.get();
  overflow_ = o.get();
  exported_names_ = {{"target_info", "the resource"}};  // the Prometheus reader's own family
  for (const InstrumentStorage* self : {rejected_, overflow_}) {
    for (std::string& n : prometheus_names(self->descriptor())) {
      exported_names_.emplace_back(std::move(n), self->descriptor().name);
    }
  }
  instruments_.push_back(std::move(r));
  instruments_.push_back(std::move(o));
}

InstrumentStorage* ProviderState::create(InstrumentDescriptor descriptor) {
  if (descriptor.kind == InstrumentKind::Histogram) {
    descriptor.bounds = clean_bounds(descriptor.bounds.empty() ? default_histogram_bounds()
                                                               : std::move(descriptor.bounds));
  } else {
    descriptor.bounds.clear();
  }
  std::lock_guard lock(mutex_);
  // Creating a refused instrument again returns the same detached storage, warned about once.
  for (const auto& existing : detached_) {
    const InstrumentDescriptor& d = existing->descriptor();
    if (d.name == descriptor.name && d.kind == descriptor.kind &&
        d.value_type == descriptor.value_type) {
      return existing.get();
    }
  }
  for (const auto& existing : instruments_) {
    const InstrumentDescriptor& d = existing->descriptor();
    if (d.name != descriptor.name) continue;
    if (d.kind == descriptor.kind && d.value_type == descriptor.value_type) {
      return existing.get();
    }
    warnings_.push_back("instrument \"" + descriptor.name + "\" was created again as a " +
                        kind_name(descriptor.kind) + " but is already a " + kind_name(d.kind) +
                        " (or another value type); the second one records but is not exported. " +
                        "Give it another name.");
    detached_.push_back(std::make_unique<InstrumentStorage>(std::move(descriptor), this, false));
    return detached_.back().get();
  }
  std::vector<std::string> names = prometheus_names(descriptor);
  for (const std::string& name : names) {
    const auto taken = std::find_if(exported_names_.begin(), exported_names_.end(),
                                    [&](const auto& entry) { return entry.first == name; });
    if (taken == exported_names_.end()) continue;
    warnings_.push_back("instrument \"" + descriptor.name +
                        "\" would export the Prometheus name \"" + name + "\", which \"" +
                        taken->second +
                        "\" already exports; the second one records but is not exported. Give it "
                        "another name.");
    detached_.push_back(std::make_unique<InstrumentStorage>(std::move(descriptor), this, false));
    return detached_.back().get();
  }
  for (std::string& name : names) exported_names_.emplace_back(std::move(name), descriptor.name);
  instruments_.push_back(std::make_unique<InstrumentStorage>(std::move(descriptor), this, false));
  return instruments_.back().get();
}

void ProviderState::add_observable(std::unique_ptr<Observable> observable) {
  for (InstrumentStorage* storage : observable->storages) storage->mark_observable();
  std::lock_guard lock(mutex_);
  observables_.push_back(std::move(observable));
}

std::vector<std::string> ProviderState::warnings() const {
  std::lock_guard lock(mutex_);
  return warnings_;
}

void ProviderState::count_rejected(std::string_view instrument, std::string_view reason) noexcept {
  rejected_->find_or_create({{"instrument", instrument}, {"reason", reason}})
      ->number.bits.fetch_add(1, std::memory_order_relaxed);
}

void ProviderState::count_overflow(std::string_view instrument) noexcept {
  overflow_->find_or_create({{"instrument", instrument}})
      ->number.bits.fetch_add(1, std::memory_order_relaxed);
}

void ProviderState::collect(CollectVisitor& visitor) {
  std::lock_guard collecting(observe_mutex_);
  const std::uint64_t round = ++round_;
  {
    // Callbacks run without the registry lock so they may create
    // instruments or record freely.
    std::size_t index = 0;
    while (true) {
      const Observable* observable = nullptr;
      {
        std::lock_guard lock(mutex_);
        if (index >= observables_.size()) break;
        observable = observables_[index++].get();
      }
      for (InstrumentStorage* storage : observable->storages) storage->set_round(round);
      try {
        if (observable->single) {
          ObservableResult result(observable->storages.front());
          observable->single(result);
        } else {
          BatchObservableResult result(observable->storages);
          observable->batch(result);
        }
      } catch (...) {
        for (const InstrumentStorage* storage : observable->storages) {
          count_rejected(storage->descriptor().name, "callback_failed");
        }
      }
    }
  }
  std::vector<InstrumentStorage*> list;
  {
    std::lock_guard lock(mutex_);
    list.reserve(instruments_.size());
    for (const auto& s : instruments_) list.push_back(s.get());
  }
  // Records dropped for want of memory could not be counted when they happened: count them now.
  for (InstrumentStorage* storage : list) {
    if (const std::uint64_t dropped = storage->take_out_of_memory()) {
      rejected_
          ->find_or_create(
              {{"instrument", storage->descriptor().name}, {"reason", "out_of_memory"}})
          ->number.bits.fetch_add(dropped, std::memory_order_relaxed);
    }
  }
  std::vector<std::uint64_t> buckets;
  ShardReader snapshot;
  Exemplar exemplar;
  for (InstrumentStorage* storage : list) {
    const InstrumentDescriptor& d = storage->descriptor();
    visitor.begin_instrument(d);
    const bool observable = storage->observable();
    for (Series* s = storage->first(); s != nullptr; s = s->next.load(std::memory_order_acquire)) {
      if (s->hidden.load(std::memory_order_acquire)) continue;  // removed
      // An observable instrument exports only what its callbacks observed in this round.
      if (observable && s->observed_round.load(std::memory_order_relaxed) != round) continue;
      const std::uint64_t id = s->id.load(std::memory_order_relaxed);
      if (d.kind == InstrumentKind::Histogram) {
        const HistogramCell& cell = *s->histogram;
        buckets.assign(d.bounds.size() + 1, 0);
        HistogramPoint point;
        double min = std::numeric_limits<double>::infinity();
        double max = -min;
        std::int64_t exemplar_time_ns = 0;
        for (const HistogramShard* shard = cell.shards.load(std::memory_order_acquire);
             shard != nullptr; shard = shard->next) {
          const ShardSnapshot& snap = snapshot.read(*shard, buckets.size());
          for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += snap.buckets[i];
          point.sum += snap.sum;
          min = std::min(min, snap.min);
          max = std::max(max, snap.max);
          snap.newest_exemplar(exemplar, exemplar_time_ns);
        }
        for (const std::uint64_t b : buckets) point.count += b;  // always consistent with buckets
        point.bucket_counts = buckets;
        point.min = point.count == 0 ? 0 : min;
        point.max = point.count == 0 ? 0 : max;
        point.exemplar = exemplar_time_ns != 0 ? &exemplar : nullptr;
        visitor.histogram(id, s->attributes, point);
      } else {
        const std::uint64_t bits = s->number.bits.load(std::memory_order_relaxed);
        NumberPoint point;
        if (d.value_type == ValueType::Int64) {
          point.as_int = std::bit_cast<std::int64_t>(bits);
          point.as_double = static_cast<double>(point.as_int);
        } else {
          point.as_double = std::bit_cast<double>(bits);
          point.as_int = to_int(point.as_double);
        }
        visitor.number(id, s->attributes, point);
      }
    }
    visitor.end_instrument();
  }
}

}  // namespace detail

// --- ObservableResult -----------------------------------------------------------------------

void ObservableResult::observe(std::int64_t value, AttributeList attributes) noexcept {
  detail::Series* s = storage_->find_or_create(attributes);
  s->observed_round.store(storage_->round(), std::memory_order_relaxed);
  const std::uint64_t bits = storage_->descriptor().value_type == ValueType::Int64
                                 ? std::bit_cast<std::uint64_t>(value)
                                 : std::bit_cast<std::uint64_t>(static_cast<double>(value));
  s->number.bits.store(bits, std::memory_order_relaxed);
}

void ObservableResult::observe(double value, AttributeList attributes) noexcept {
  detail::Series* s = storage_->find_or_create(attributes);
  s->observed_round.store(storage_->round(), std::memory_order_relaxed);
  const std::uint64_t bits = storage_->descriptor().value_type == ValueType::Int64
                                 ? std::bit_cast<std::uint64_t>(detail::to_int(value))
                                 : std::bit_cast<std::uint64_t>(value);
  s->number.bits.store(bits, std::memory_order_relaxed);
}

// --- BatchObservableResult ------------------------------------------------------------------

bool BatchObservableResult::registered(ObservableInstrument instrument) const noexcept {
  return std::find(instruments_.begin(), instruments_.end(), instrument.storage_) !=
         instruments_.end();
}

void BatchObservableResult::observe(ObservableInstrument instrument, std::int64_t value,
                                    AttributeList attributes) noexcept {
  if (!registered(instrument)) return;
  ObservableResult(instrument.storage_).observe(value, attributes);
}

void BatchObservableResult::observe(ObservableInstrument instrument, double value,
                                    AttributeList attributes) noexcept {
  if (!registered(instrument)) return;
  ObservableResult(instrument.storage_).observe(value, attributes);
}

// --- MeterProvider / Meter ------------------------------------------------------------------

MeterProvider::MeterProvider(MeterProviderOptions options)
    : state_(std::make_unique<detail::ProviderState>(options)) {}

MeterProvider::~MeterProvider() = default;

Meter MeterProvider::meter(std::string_view scope_name) {
  return Meter(state_.get(), std::string(scope_name));
}

void MeterProvider::collect(CollectVisitor& visitor) const { state_->collect(visitor); }

std::vector<std::string> MeterProvider::warnings() const { return state_->warnings(); }

detail::InstrumentStorage* Meter::create(InstrumentKind kind, ValueType value_type,
                                         std::string_view name, std::string_view unit,
                                         std::string_view description, std::vector<double> bounds) {
  InstrumentDescriptor d;
  d.name = std::string(name);
  d.unit = std::string(unit);
  d.description = std::string(description);
  d.kind = kind;
  d.value_type = value_type;
  d.bounds = std::move(bounds);
  return state_->create(std::move(d));
}

Counter<std::uint64_t> Meter::create_counter_u64(std::string_view name, std::string_view unit,
                                                 std::string_view description) {
  return Counter<std::uint64_t>(
      create(InstrumentKind::Counter, ValueType::Int64, name, unit, description, {}));
}
Counter<double> Meter::create_counter_double(std::string_view name, std::string_view unit,
                                             std::string_view description) {
  return Counter<double>(
      create(InstrumentKind::Counter, ValueType::Double, name, unit, description, {}));
}
UpDownCounter<std::int64_t> Meter::create_up_down_counter_i64(std::string_view name,
                                                              std::string_view unit,
                                                              std::string_view description) {
  return UpDownCounter<std::int64_t>(
      create(InstrumentKind::UpDownCounter, ValueType::Int64, name, unit, description, {}));
}
UpDownCounter<double> Meter::create_up_down_counter_double(std::string_view name,
                                                           std::string_view unit,
                                                           std::string_view description) {
  return UpDownCounter<double>(
      create(InstrumentKind::UpDownCounter, ValueType::Double, name, unit, description, {}));
}
Gauge<std::int64_t> Meter::create_gauge_i64(std::string_view name, std::string_view unit,
                                            std::string_view description) {
  return Gauge<std::int64_t>(
      create(InstrumentKind::Gauge, ValueType::Int64, name, unit, description, {}));
}
Gauge<double> Meter::create_gauge_double(std::string_view name, std::string_view unit,
                                         std::string_view description) {
  return Gauge<double>(
      create(InstrumentKind::Gauge, ValueType::Double, name, unit, description, {}));
}
Histogram Meter::create_histogram(std::string_view name, std::string_view unit,
                                  std::string_view description, std::vector<double> bounds) {
  return Histogram(create(InstrumentKind::Histogram, ValueType::Double, name, unit, description,
                          std::move(bounds)));
}

void Meter::add_callback(InstrumentKind kind, ValueType value_type, std::string_view name,
                         std::string_view unit, std::string_view description,
                         ObservableCallback callback) {
  auto observable = std::make_unique<detail::Observable>();
  observable->storages.push_back(create(kind, value_type, name, unit, description, {}));
  observable->single = std::move(callback);
  if (!observable->single) {
    // Nothing will report it, but it is still an observable instrument: it exports nothing.
    observable->storages.front()->mark_observable();
    return;
  }
  state_->add_observable(std::move(observable));
}

ObservableInstrument Meter::create_observable(InstrumentKind kind, ValueType value_type,
                                              std::string_view name, std::string_view unit,
                                              std::string_view description) {
  detail::InstrumentStorage* storage = create(kind, value_type, name, unit, description, {});
  storage->mark_observable();
  return ObservableInstrument(storage);
}

void Meter::create_observable_gauge_i64(std::string_view name, std::string_view unit,
                                        std::string_view description, ObservableCallback callback) {
  add_callback(InstrumentKind::Gauge, ValueType::Int64, name, unit, description,
               std::move(callback));
}
void Meter::create_observable_gauge_double(std::string_view name, std::string_view unit,
                                           std::string_view description,
                                           ObservableCallback callback) {
  add_callback(InstrumentKind::Gauge, ValueType::Double, name, unit, description,
               std::move(callback));
}
void Meter::create_observable_counter_u64(std::string_view name, std::string_view unit,
                                          std::string_view description,
                                          ObservableCallback callback) {
  add_callback(InstrumentKind::Counter, ValueType::Int64, name, unit, description,
               std::move(callback));
}
void Meter::create_observable_counter_double(std::string_view name, std::string_view unit,
                                             std::string_view description,
                                             ObservableCallback callback) {
  add_callback(InstrumentKind::Counter, ValueType::Double, name, unit, description,
               std::move(callback));
}

ObservableInstrument Meter::create_observable_gauge_i64(std::string_view name,
                                                        std::string_view unit,
                                                        std::string_view description) {
  return create_observable(InstrumentKind::Gauge, ValueType::Int64, name, unit, description);
}
ObservableInstrument Meter::create_observable_gauge_double(std::string_view name,
                                                           std::string_view unit,
                                                           std::string_view description) {
  return create_observable(InstrumentKind::Gauge, ValueType::Double, name, unit, description);
}
ObservableInstrument Meter::create_observable_counter_u64(std::string_view name,
                                                          std::string_view unit,
                                                          std::string_view description) {
  return create_observable(InstrumentKind::Counter, ValueType::Int64, name, unit, description);
}
ObservableInstrument Meter::create_observable_counter_double(std::string_view name,
                                                             std::string_view unit,
                                                             std::string_view description) {
  return create_observable(InstrumentKind::Counter, ValueType::Double, name, unit, description);
}

void Meter::register_callback(std::vector<ObservableInstrument> instruments,
                              BatchObservableCallback callback) {
  if (!callback) return;
  auto observable = std::make_unique<detail::Observable>();
  observable->storages.reserve(instruments.size());
  for (const ObservableInstrument& instrument : instruments) {
    observable->storages.push_back(instrument.storage_);
  }
  observable->batch = std::move(callback);
  state_->add_observable(std::move(observable));
}

}  // namespace kopiur::telemetry::metrics
