// Private storage of the metrics provider: series, their lock-free index, instruments and the
// provider state. Readers of this file: instruments.cpp, meter.cpp and the collect walk.
//
// Concurrency model
// - A series is created once under its instrument's mutex, fully built, then published with
//   release stores (into the index and onto the creation-order list). It is never moved or freed
//   before the provider, so handles may keep raw pointers to its cells.
// - Lookups of existing sets are lock-free: an open-addressing table of atomic pointers. Past the
//   series cap a new plain set (valid UTF-8, no repeated key) goes to the published overflow
//   series without lock or allocation. Out of memory, find_or_create returns a series no reader
//   walks (dropped_) and counts the drop for the next collect. Growing
//   builds a new table under the mutex and publishes it; old tables stay alive (readers may still
//   probe them) until the instrument dies, which costs at most the size of the newest table.
// - A set carrying invalid UTF-8 is stored repaired (U+FFFD per bad byte), so the caller's raw
//   set never matches the lock-free lookup: it is found on the locked slow path every time.
// - Collect walks the creation-order list with acquire loads: it never blocks recorders.
// - Removing a series (remove_matching) only hides it: its value is zeroed, it gets a new id (so
//   readers keyed by id start it afresh) and collect skips it, but it stays in the index and the
//   list (handles may point into it), and the next unbound record or bind() of the same set shows
//   it again.
// - Observable instruments: collect (one at a time) stamps each series its callbacks observe with
//   the round number and exports only this round's, as OpenTelemetry asks of asynchronous
//   instruments. Memory is therefore kept per set
//   ever seen (reused when the set returns); the exposition's cardinality is what shrinks. A record
//   through a bound handle kept across the removal writes a hidden value until the set is resolved
//   again; a removal racing an unbound record may hide that record in the same way.
// - Each histogram shard has one writer, which brackets every record with its sequence counter
//   (odd inside). Collect reads a shard's buckets, sum, min and max between two equal even
//   values, retrying (and yielding) while its writer is mid-record, so a point's _sum matches its
//   _count; recorders never wait for collect.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kopiur/telemetry/metrics/meter.hpp"

namespace kopiur::telemetry::metrics::detail {

// HistogramCell: one histogram series. A thread's first record into it pushes that thread's shard
// onto the lock-free list (CAS on the head); later records find it by walking the list, which is
// as long as the number of threads that ever recorded into the series. A thread that exits leaves
// its shard (and its counts) in place; a later thread given the same thread-local address adopts
// it, which keeps one writer per shard.
struct HistogramCell : HistogramCellBase {
  HistogramCell(const double* bounds, std::size_t bound_count, SpanContextSource span_context);
  ~HistogramCell();
  HistogramCell(const HistogramCell&) = delete;
  HistogramCell& operator=(const HistogramCell&) = delete;

  HistogramShard& shard_for(const void* owner);  // shards (in the base) are freed by the destructor
};

struct Series {
  NumberCell number;  // counters, up-down counters, gauges
  std::unique_ptr<HistogramCell> histogram;
  // Readers key their state by id (the OTLP reader's deltas); a removal gives the series a new id,
  // so a series shown again starts afresh there too.
  std::atomic<std::uint64_t> id{0};
  // Observable instruments: the collect round whose callbacks last observed this set; collect
  // exports only the sets observed in its own round.
  std::atomic<std::uint64_t> observed_round{0};
  std::uint64_t hash = 0;
  std::atomic<bool> hidden{false};    // removed: collect skips it until it is resolved again
  std::unique_ptr<char[]> text;       // keys and values, back to back
  std::vector<Attribute> attributes;  // sorted by key, views into text
  std::atomic<Series*> next{nullptr};
};

// Order-independent hash of an attribute set (sum of per-pair hashes).
std::uint64_t hash_attributes(AttributeList attributes) noexcept;

// SeriesIndex: lock-free find; insert only under the owning instrument's mutex.
class SeriesIndex {
 public:
  [[nodiscard]] Series* find(std::uint64_t hash, AttributeList attributes) const noexcept;
  void insert_locked(Series* series, std::size_t new_count);

 private:
  struct Table {
    explicit Table(std::size_t capacity);
    std::size_t mask;
    std::unique_ptr<std::atomic<Series*>[]> slots;
  };
  static void place(Table& table, Series* series) noexcept;

  std::atomic<Table*> current_{nullptr};
  std::vector<std::unique_ptr<Table>> tables_;  // every table ever published (readers may hold)
  std::vector<Series*> all_;                    // for rehashing
};

class ProviderState;

class InstrumentStorage {
 public:
  InstrumentStorage(InstrumentDescriptor descriptor, ProviderState* provider, bool self_metric);
  InstrumentStorage(const InstrumentStorage&) = delete;
  InstrumentStorage& operator=(const InstrumentStorage&) = delete;

  [[nodiscard]] const InstrumentDescriptor& descriptor() const noexcept { return descriptor_; }
  [[nodiscard]] ProviderState& provider() const noexcept { return *provider_; }

  // The series of this attribute set, created on first use. Never null: out of memory, a series
  // no reader exports (the drop is counted through take_out_of_memory()).
  Series* find_or_create(AttributeList attributes) noexcept;
  // Records dropped for want of memory since the last call (collect folds them into the
  // rejected-records counter).
  std::uint64_t take_out_of_memory() noexcept {
    return out_of_memory_.exchange(0, std::memory_order_relaxed);
  }
  [[nodiscard]] Series* first() const noexcept { return head_.load(std::memory_order_acquire); }
  [[nodiscard]] std::size_t series_count() const noexcept {
    return count_.load(std::memory_order_acquire);
  }
  void zero_matching(AttributeList subset) noexcept;
  // Hides (and zeroes) every series whose attributes include all of `subset`; returns how many.
  std::size_t remove_matching(AttributeList subset) noexcept;

  // Observable instruments (set once, when a callback is added; read by collect).
  void mark_observable() noexcept { observable_.store(true, std::memory_order_release); }
  [[nodiscard]] bool observable() const noexcept {
    return observable_.load(std::memory_order_acquire);
  }
  // The collect round the callbacks now running report into (under the provider's observe lock).
  void set_round(std::uint64_t round) noexcept { round_.store(round, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t round() const noexcept {
    return round_.load(std::memory_order_relaxed);
  }

 private:
  Series* find_or_create_slow(AttributeList attributes);
  Series* create_locked(const std::vector<Attribute>& canonical, std::uint64_t hash);
  bool repaired_subset(AttributeList& subset, std::vector<Attribute>& wanted,
                       std::vector<std::string>& repaired) noexcept;
  Series* overflow_locked();

  InstrumentDescriptor descriptor_;
  ProviderState* provider_;
  bool self_metric_;  // the provider's own counters: never limited, never self-reporting
  std::atomic<bool> observable_{false};
  std::atomic<std::uint64_t> round_{0};
  std::mutex mutex_;
  SeriesIndex index_;
  std::atomic<Series*> head_{nullptr};
  Series* tail_ = nullptr;
  std::atomic<Series*> overflow_{nullptr};  // set once, when the series cap is reached
  Series dropped_;                          // absorbs records that found no memory
  std::atomic<std::uint64_t> out_of_memory_{0};
  std::atomic<std::size_t> count_{0};
  std::vector<std::unique_ptr<Series>> owned_;
};

// Observable: one registered callback and the instruments it reports.
struct Observable {
  std::vector<InstrumentStorage*> storages;  // exactly one for `single`
  ObservableCallback single;                 // create_observable_*(..., callback)
  BatchObservableCallback batch;             // or register_callback()
};

class ProviderState {
 public:
  explicit ProviderState(MeterProviderOptions options);

  [[nodiscard]] const MeterProviderOptions& options() const noexcept { return options_; }
  std::uint64_t next_series_id() noexcept {
    return next_series_id_.fetch_add(1, std::memory_order_relaxed);
  }

  InstrumentStorage* create(InstrumentDescriptor descriptor);
  void add_observable(std::unique_ptr<Observable> observable);
  void collect(CollectVisitor& visitor);
  [[nodiscard]] std::vector<std::string> warnings() const;

  void count_rejected(std::string_view instrument, std::string_view reason) noexcept;
  void count_overflow(std::string_view instrument) noexcept;

 private:
  MeterProviderOptions options_;
  std::atomic<std::uint64_t> next_series_id_{1};
  mutable std::mutex mutex_;  // instruments_, detached_, observables_, warnings_, exported_names_
  std::vector<std::unique_ptr<InstrumentStorage>> instruments_;
  std::vector<std::unique_ptr<InstrumentStorage>> detached_;  // conflicting re-creations
  // Append-only and never moved (unique_ptr), so collect runs a callback outside mutex_.
  std::vector<std::unique_ptr<Observable>> observables_;
  std::vector<std::string> warnings_;
  // Prometheus names taken (sample or family name -> the instrument taking it), so a second
  // instrument exporting one of them (`a.b` after `a_b`) is detached instead of breaking scrapes.
  std::vector<std::pair<std::string, std::string>> exported_names_;
  // One collect at a time (callbacks, then the walk), so a walk exports exactly the sets its own
  // callback round observed. Recorders never take it.
  std::mutex observe_mutex_;
  std::uint64_t round_ = 0;  // guarded by observe_mutex_
  InstrumentStorage* rejected_ = nullptr;
  InstrumentStorage* overflow_ = nullptr;
};

}  // namespace kopiur::telemetry::metrics::detail
