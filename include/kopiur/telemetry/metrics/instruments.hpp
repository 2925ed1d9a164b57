// File: kopiur/telemetry/metrics/instruments.hpp
//
// The recording side of the metrics API: Counter, UpDownCounter, Gauge and Histogram, each with a
// bound handle that resolves its attribute set once.
//
//   auto reconciles = meter.create_counter_u64("kopiur_controller_reconciliations", "", "...");
//   reconciles.add(1, {{"kind", "Backup"}});           // finds the series, then one atomic add
//   BoundCounter<std::uint64_t> hot = reconciles.bind({{"kind", "Backup"}});
//   hot.add(1);                                         // one relaxed fetch_add
//
// Thread-safety: every call is safe from any thread at any time. Instruments and bound handles
// are small copyable values pointing into their MeterProvider's storage; they stay valid while
// that provider lives (series are never moved nor freed before it).
// Hot-path cost: a bound integer add is one relaxed atomic add; a bound double add is a relaxed
// compare-and-swap loop on the value's bits (uncontended: one iteration); a gauge set is one
// relaxed store; a histogram record is a branch-free bucket search plus relaxed load/store pairs
// on the recording thread's own shard of the series, between two stores of the shard's sequence
// counter (no locked instruction; count is derived from the buckets), one call to the span-context
// source, and inside a span a load and a compare on the same shard (the exemplar is sampled:
// the first record of each span, then one in kExemplarSampleEvery; a thread's first record into a
// histogram series allocates that thread's shard, once). An unbound call first hashes the caller's
// pairs in place and probes a lock-free index: no allocation and no lock unless the set is new.
// Failures: nothing throws. Values an instrument cannot take (a negative or NaN counter add, a NaN
// histogram record) are dropped and counted in kopiur_telemetry_metric_rejected_records_total.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/metrics/attributes.hpp"

namespace kopiur::telemetry::metrics {

// Where histogram exemplars take the current span from (entered_span_context by default; tests
// inject their own; nullptr turns exemplars off). Returns the context of the span entered on the
// calling thread (valid until it is left), or nullptr; called on every histogram record, so it
// must be cheap.
using SpanContextSource = const SpanContext* (*)() noexcept;

namespace detail {

class InstrumentStorage;

// HistogramShard: one recording thread's part of a histogram series. Exactly one thread writes a
// shard (the one whose token it carries), so its updates are plain relaxed load + store pairs:
// no locked read-modify-write on the hot path. Collect sums the shards. Cache-line aligned so two
// threads' shards never share a line.
// A record is wrapped in a sequence counter (odd while the writer is inside; two plain stores and
// compiler-only fences on x86), so collect reads each shard's buckets, sum, min and max as one
// snapshot and a point's _sum always agrees with its _count.
struct alignas(64) HistogramShard {
  HistogramShard(const void* owner, std::size_t bucket_count);
  const void* owner;                       // the writer's thread token (address of a thread_local)
  HistogramShard* next = nullptr;          // immutable once published
  std::atomic<std::uint32_t> sequence{0};  // odd while the writer is inside a record
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets;  // bounds + 1, not cumulative
  // atomic<double> (not bits in an integer) keeps the value in SSE registers: plain movsd.
  std::atomic<double> sum{0};
  std::atomic<double> min;
  std::atomic<double> max;
  // The writer's sampled in-span observation, written inside the sequence bracket like the data
  // (collect keeps the newest over the shards). Sampling: the first record in a span other than
  // the stored one, then one in kExemplarSampleEvery (read off the sequence counter the record
  // already holds); so inside one span a record costs a load and a compare more than outside,
  // and only a sample reads the clock.
  std::atomic<std::uint64_t> exemplar_span{0};  // span id bytes; 0 = none yet
  std::atomic<std::uint64_t> exemplar_trace_hi{0};
  std::atomic<std::uint64_t> exemplar_trace_lo{0};
  std::atomic<double> exemplar_value{0};
  std::atomic<std::int64_t> exemplar_time_ns{0};  // system_clock since the epoch
};

inline constexpr std::uint32_t kExemplarSampleEvery = 1024;

// HistogramCellBase: what the inline record path of a histogram series reads (the full cell,
// with its exemplar and shard ownership, lives in the library).
struct HistogramCellBase {
  const double* bounds = nullptr;  // the descriptor's, which never changes after creation
  std::size_t bound_count = 0;
  SpanContextSource span_context = nullptr;      // the provider's
  std::atomic<HistogramShard*> shards{nullptr};  // one per recording thread
};

// NumberCell: the one atomic word of a counter, up-down counter or gauge series. Integer
// instruments keep the two's-complement value, double instruments the IEEE-754 bits.
struct NumberCell {
  std::atomic<std::uint64_t> bits{0};
};

// Out-of-line halves of the API (src/telemetry/metrics/instruments.cpp).
NumberCell* resolve_number(InstrumentStorage* storage, AttributeList attributes) noexcept;
HistogramCellBase* resolve_histogram(InstrumentStorage* storage, AttributeList attributes) noexcept;
// The calling thread's shard when it is not the list head (creates it on first use); nullptr when
// out of memory (the record is then dropped and counted).
HistogramShard* attach_shard(InstrumentStorage* storage, HistogramCellBase* cell) noexcept;
// Stores an in-span observation as the shard's exemplar (the sampled, out-of-line half).
void sample_exemplar(HistogramShard* shard, double value, const SpanContext& span) noexcept;
void reject_record(InstrumentStorage* storage, std::string_view reason) noexcept;
void zero_matching(InstrumentStorage* storage, AttributeList attributes) noexcept;
std::size_t remove_matching(InstrumentStorage* storage, AttributeList attributes) noexcept;

inline void add_double(std::atomic<std::uint64_t>& bits, double delta) noexcept {
  std::uint64_t old = bits.load(std::memory_order_relaxed);
  while (!bits.compare_exchange_weak(
      old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + delta),
      std::memory_order_relaxed)) {
  }
}

// The calling thread's token: its thread_local's address, distinct among live threads.
inline const void* thread_token() noexcept {
  thread_local const char token = 0;
  return &token;
}

// Bucket i holds (bounds[i-1], bounds[i]]: its index is the number of bounds below the value.
// Counting without branches beats a binary search on the usual <= 32 bounds, whose branches
// mispredict on varied values; with SSE2 (every x86-64) two bounds are compared per instruction.
inline std::size_t bucket_index(const double* b, std::size_t n, double value) noexcept {
  if (n > 32) return static_cast<std::size_t>(std::lower_bound(b, b + n, value) - b);
  std::size_t i = 0;
  std::size_t index = 0;
#if defined(__SSE2__)
  const __m128d v = _mm_set1_pd(value);
  __m128i acc = _mm_setzero_si128();
  for (; i + 2 <= n; i += 2) {
    // Each lane is all ones (-1) where value > bound: subtracting counts it.
    acc = _mm_sub_epi64(acc, _mm_castpd_si128(_mm_cmpgt_pd(v, _mm_loadu_pd(b + i))));
  }
  index = static_cast<std::size_t>(_mm_cvtsi128_si64(acc)) +
          static_cast<std::size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc)));
#endif
  for (; i < n; ++i) index += static_cast<std::size_t>(value > b[i]);
  return index;
}

template <std::size_t N>
bool nonzero(const std::array<std::uint8_t, N>& bytes) noexcept {
  std::uint64_t any = 0;
  for (std::size_t i = 0; i < N; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, 8);
    any |= word;
  }
  return any != 0;
}

inline void record_histogram(InstrumentStorage* storage, HistogramCellBase* cell,
                             double value) noexcept {
  if (value != value) {
    reject_record(storage, "nan");
    return;
  }
  const std::size_t index = bucket_index(cell->bounds, cell->bound_count, value);
  // This thread's shard is usually the head of the list.
  HistogramShard* shard = cell->shards.load(std::memory_order_acquire);
  if (shard == nullptr || shard->owner != thread_token()) {
    shard = attach_shard(storage, cell);
    if (shard == nullptr) return;
  }
  const std::uint32_t sequence = shard->sequence.load(std::memory_order_relaxed);
  shard->sequence.store(sequence + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);  // the odd mark before the data
  std::atomic<std::uint64_t>& bucket = shard->buckets[index];
  bucket.store(bucket.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  shard->sum.store(shard->sum.load(std::memory_order_relaxed) + value, std::memory_order_relaxed);
  if (value < shard->min.load(std::memory_order_relaxed)) {
    shard->min.store(value, std::memory_order_relaxed);
  }
  if (value > shard->max.load(std::memory_order_relaxed)) {
    shard->max.store(value, std::memory_order_relaxed);
  }
  shard->sequence.store(sequence + 2, std::memory_order_release);  // the data before the even mark
  // Outside a span this is one call and one thread-local read; inside one, a load and a compare
  // on this thread's shard, and a sample now and then (see HistogramShard).
  if (const SpanContextSource source = cell->span_context) {
    if (const SpanContext* span = source()) {
      std::uint64_t span_bits = 0;
      std::memcpy(&span_bits, span->span_id.bytes.data(), sizeof span_bits);
      constexpr std::uint32_t kSampleMask = 2 * kExemplarSampleEvery - 1;  // 2 per record
      if (span_bits != shard->exemplar_span.load(std::memory_order_relaxed) ||
          (sequence & kSampleMask) == 0) {
        sample_exemplar(shard, value, *span);
      }
    }
  }
}

// A counter delta is valid when it is finite and not negative (NaN fails both comparisons).
inline bool valid_counter_delta(double delta) noexcept {
  return delta >= 0 && delta <= 1.7976931348623157e308;
}

}  // namespace detail

// BoundCounter: one series of a monotonic counter. add() is a relaxed atomic add (uint64_t) or
// CAS loop (double); valid while its MeterProvider lives.
template <typename T>
class BoundCounter {
  static_assert(std::is_same_v<T, std::uint64_t> || std::is_same_v<T, double>);

 public:
  BoundCounter(detail::InstrumentStorage* storage, detail::NumberCell* cell) noexcept
      : storage_(storage), cell_(cell) {}
  void add(T delta) const noexcept {
    if constexpr (std::is_same_v<T, std::uint64_t>) {
      cell_->bits.fetch_add(delta, std::memory_order_relaxed);
    } else {
      if (!detail::valid_counter_delta(delta)) {
        detail::reject_record(storage_, "invalid_counter_delta");
        return;
      }
      detail::add_double(cell_->bits, delta);
    }
  }

 private:
  detail::InstrumentStorage* storage_;
  detail::NumberCell* cell_;
};

// Counter: a monotonic sum, exported as <name>_total. Negative or non-finite double deltas are
// dropped and counted.
template <typename T>
class Counter {
 public:
  explicit Counter(detail::InstrumentStorage* storage) noexcept : storage_(storage) {}
  void add(T delta, AttributeList attributes = {}) const noexcept { bind(attributes).add(delta); }
  [[nodiscard]] BoundCounter<T> bind(AttributeList attributes) const noexcept {
    return {storage_, detail::resolve_number(storage_, attributes)};
  }
  // remove_matching: drops every series whose attributes include all of `subset` from both
  // readers (zeroed and hidden; the next record or bind() of the same attributes brings it back as
  // a new series starting from zero). Returns how many were removed. O(series): meant for deleted
  // objects, not hot paths. A bound handle kept across a removal writes into the hidden series
  // until its set is resolved again; a record racing the removal may be lost or survive in part.
  std::size_t remove_matching(AttributeList subset) const noexcept {
    return detail::remove_matching(storage_, subset);
  }

 private:
  detail::InstrumentStorage* storage_;
};

// BoundUpDownCounter: one series of a non-monotonic sum.
template <typename T>
class BoundUpDownCounter {
  static_assert(std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>);

 public:
  BoundUpDownCounter(detail::InstrumentStorage* storage, detail::NumberCell* cell) noexcept
      : storage_(storage), cell_(cell) {}
  void add(T delta) const noexcept {
    if constexpr (std::is_same_v<T, std::int64_t>) {
      cell_->bits.fetch_add(static_cast<std::uint64_t>(delta), std::memory_order_relaxed);
    } else {
      if (delta != delta) {
        detail::reject_record(storage_, "nan");
        return;
      }
      detail::add_double(cell_->bits, delta);
    }
  }

 private:
  detail::InstrumentStorage* storage_;
  detail::NumberCell* cell_;
};

// UpDownCounter: a sum that may go down (queue depth, in-flight work). Exported as a gauge.
template <typename T>
class UpDownCounter {
 public:
  explicit UpDownCounter(detail::InstrumentStorage* storage) noexcept : storage_(storage) {}
  void add(T delta, AttributeList attributes = {}) const noexcept { bind(attributes).add(delta); }
  [[nodiscard]] BoundUpDownCounter<T> bind(AttributeList attributes) const noexcept {
    return {storage_, detail::resolve_number(storage_, attributes)};
  }
  // remove_matching: drops every series whose attributes include all of `subset` from both
  // readers (zeroed and hidden; the next record or bind() of the same attributes brings it back as
  // a new series starting from zero). Returns how many were removed. O(series): meant for deleted
  // objects, not hot paths. A bound handle kept across a removal writes into the hidden series
  // until its set is resolved again; a record racing the removal may be lost or survive in part.
  std::size_t remove_matching(AttributeList subset) const noexcept {
    return detail::remove_matching(storage_, subset);
  }

 private:
  detail::InstrumentStorage* storage_;
};

// BoundGauge: one series of a synchronous gauge; set() is one relaxed store.
template <typename T>
class BoundGauge {
  static_assert(std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>);

 public:
  explicit BoundGauge(detail::NumberCell* cell) noexcept : cell_(cell) {}
  void set(T value) const noexcept {
    cell_->bits.store(std::bit_cast<std::uint64_t>(value), std::memory_order_relaxed);
  }

 private:
  detail::NumberCell* cell_;
};

// Gauge: a synchronous last-value instrument.
template <typename T>
class Gauge {
 public:
  explicit Gauge(detail::InstrumentStorage* storage) noexcept : storage_(storage) {}
  void set(T value, AttributeList attributes = {}) const noexcept { bind(attributes).set(value); }
  [[nodiscard]] BoundGauge<T> bind(AttributeList attributes) const noexcept {
    return BoundGauge<T>(detail::resolve_number(storage_, attributes));
  }
  // zero_matching: sets to 0 every existing series whose attributes include all of `subset`
  // (e.g. {{"kind","Backup"},{"namespace",ns},{"name",n}} clears every phase of one resource).
  // Walks all series of this gauge: O(series), meant for deletions, not hot paths.
  void zero_matching(AttributeList subset) const noexcept {
    detail::zero_matching(storage_, subset);
  }
  // remove_matching: drops every series whose attributes include all of `subset` from both
  // readers (zeroed and hidden; the next record or bind() of the same attributes brings it back as
  // a new series starting from zero). Returns how many were removed. O(series): meant for deleted
  // objects, not hot paths. A bound handle kept across a removal writes into the hidden series
  // until its set is resolved again; a record racing the removal may be lost or survive in part.
  std::size_t remove_matching(AttributeList subset) const noexcept {
    return detail::remove_matching(storage_, subset);
  }

 private:
  detail::InstrumentStorage* storage_;
};

// BoundHistogram: one series of an explicit-bucket histogram.
class BoundHistogram {
 public:
  BoundHistogram(detail::InstrumentStorage* storage, detail::HistogramCellBase* cell) noexcept
      : storage_(storage), cell_(cell) {}
  void record(double value) const noexcept { detail::record_histogram(storage_, cell_, value); }

 private:
  detail::InstrumentStorage* storage_;
  detail::HistogramCellBase* cell_;
};

// Histogram: explicit bucket bounds (the OTel defaults unless the instrument sets its own).
// Inside a span (current_span_context() valid) a recent observation per series is kept as an
// exemplar carrying the trace and span ids: the first of each span, then one in
// kExemplarSampleEvery records of the same span.
class Histogram {
 public:
  explicit Histogram(detail::InstrumentStorage* storage) noexcept : storage_(storage) {}
  void record(double value, AttributeList attributes = {}) const noexcept {
    bind(attributes).record(value);
  }
  [[nodiscard]] BoundHistogram bind(AttributeList attributes) const noexcept {
    return {storage_, detail::resolve_histogram(storage_, attributes)};
  }
  // remove_matching: drops every series whose attributes include all of `subset` from both
  // readers (zeroed and hidden; the next record or bind() of the same attributes brings it back as
  // a new series starting from zero). Returns how many were removed. O(series): meant for deleted
  // objects, not hot paths. A bound handle kept across a removal writes into the hidden series
  // until its set is resolved again; a record racing the removal may be lost or survive in part.
  std::size_t remove_matching(AttributeList subset) const noexcept {
    return detail::remove_matching(storage_, subset);
  }

 private:
  detail::InstrumentStorage* storage_;
};

}  // namespace kopiur::telemetry::metrics
