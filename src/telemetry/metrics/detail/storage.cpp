#include "telemetry/metrics/detail/storage.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <limits>

#include "kopiur/telemetry/utf8.hpp"

namespace kopiur::telemetry::metrics::detail {
namespace {

constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ULL;

// A short-string hash: 8 bytes per multiply. Attribute keys and values are short (< 64 bytes),
// so this beats a general-purpose hash by skipping its setup and tail handling.
std::uint64_t hash_bytes(std::string_view s) noexcept {
  std::uint64_t h = (s.size() + 1) * kMul;
  const char* p = s.data();
  std::size_t n = s.size();
  while (n >= 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    std::uint64_t w = 0;
    for (std::size_t i = 0; i < n; ++i) {
      w |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    }
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  return h;
}

std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

// Does the caller's (unordered) list name exactly the series' (sorted, unique-key) set? Each
// caller pair must hit a distinct stored pair, so a caller list with a repeated key never matches.
bool same_set(const Series& series, AttributeList attributes) noexcept {
  const std::size_t n = series.attributes.size();
  if (n != attributes.size()) return false;
  if (n > 64) return false;  // the slow path compares canonical lists instead
  std::uint64_t seen = 0;
  for (const Attribute& a : attributes) {
    std::size_t j = 0;
    while (j < n && series.attributes[j].key != a.key) ++j;
    if (j == n || series.attributes[j].value != a.value) return false;
    const std::uint64_t bit = std::uint64_t{1} << j;
    if ((seen & bit) != 0) return false;
    seen |= bit;
  }
  return true;
}

// A removed series found again is shown again (one relaxed load when it was not removed).
Series* shown(Series* s) noexcept {
  if (s->hidden.load(std::memory_order_relaxed)) s->hidden.store(false, std::memory_order_release);
  return s;
}

bool same_canonical(const Series& series, const std::vector<Attribute>& canonical) noexcept {
  if (series.attributes.size() != canonical.size()) return false;
  for (std::size_t i = 0; i < canonical.size(); ++i) {
    if (series.attributes[i].key != canonical[i].key ||
        series.attributes[i].value != canonical[i].value) {
      return false;
    }
  }
  return true;
}

// The list with invalid UTF-8 in keys and values replaced by U+FFFD (one per bad byte); the
// repaired texts live in `owned`. Returns the list unchanged (as a copy) when all is valid.
std::vector<Attribute> repair_utf8(AttributeList attributes, std::vector<std::string>& owned) {
  std::vector<Attribute> out(attributes.begin(), attributes.end());
  owned.reserve(2 * out.size());  // no reallocation: views into short strings must stay valid
  for (Attribute& a : out) {
    if (!is_valid_utf8(a.key)) a.key = owned.emplace_back(sanitize_utf8(a.key));
    if (!is_valid_utf8(a.value)) a.value = owned.emplace_back(sanitize_utf8(a.value));
  }
  return out;
}

// Sorted by key, one pair per key (the last one given wins).
std::vector<Attribute> canonicalize(AttributeList attributes) {
  std::vector<Attribute> out(attributes.begin(), attributes.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const Attribute& a, const Attribute& b) { return a.key < b.key; });
  std::vector<Attribute> unique;
  unique.reserve(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i + 1 < out.size() && out[i + 1].key == out[i].key) continue;
    unique.push_back(out[i]);
  }
  return unique;
}

}  // namespace

std::uint64_t hash_attributes(AttributeList attributes) noexcept {
  std::uint64_t h = 0;
  for (const Attribute& a : attributes) {
    h += mix(hash_bytes(a.key) ^ (hash_bytes(a.value) * 0xC2B2AE3D27D4EB4FULL + 1));
  }
  return h;
}

HistogramShard::HistogramShard(const void* owner_in, std::size_t bucket_count)
    : owner(owner_in),
      buckets(std::make_unique<std::atomic<std::uint64_t>[]>(bucket_count)),
      min(std::numeric_limits<double>::infinity()),
      max(-std::numeric_limits<double>::infinity()) {
  for (std::size_t i = 0; i < bucket_count; ++i) buckets[i].store(0, std::memory_order_relaxed);
}

HistogramCell::HistogramCell(const double* bounds_in, std::size_t bound_count_in,
                             SpanContextSource span_context_in) {
  bounds = bounds_in;
  bound_count = bound_count_in;
  span_context = span_context_in;
}

HistogramCell::~HistogramCell() {
  HistogramShard* s = shards.load(std::memory_order_acquire);
  while (s != nullptr) {
    const std::unique_ptr<HistogramShard> owned(s);  // the list owns its nodes
    s = s->next;
  }
}

HistogramShard& HistogramCell::shard_for(const void* owner) {
  HistogramShard* head = shards.load(std::memory_order_acquire);
  for (HistogramShard* s = head; s != nullptr; s = s->next) {
    if (s->owner == owner) return *s;
  }
  // First record from this thread: publish a shard. Only this thread ever adds a shard with its
  // token, so no other thread can race us into a duplicate.
  auto fresh = std::make_unique<HistogramShard>(owner, bound_count + 1);
  fresh->next = head;
  while (!shards.compare_exchange_weak(fresh->next, fresh.get(), std::memory_order_release,
                                       std::memory_order_acquire)) {
  }
  return *fresh.release();
}

// --- SeriesIndex ----------------------------------------------------------------------------

SeriesIndex::Table::Table(std::size_t capacity)
    : mask(capacity - 1), slots(std::make_unique<std::atomic<Series*>[]>(capacity)) {
  for (std::size_t i = 0; i < capacity; ++i) slots[i].store(nullptr, std::memory_order_relaxed);
}

Series* SeriesIndex::find(std::uint64_t hash, AttributeList attributes) const noexcept {
  const Table* table = current_.load(std::memory_order_acquire);
  if (table == nullptr) return nullptr;
  for (std::size_t i = hash & table->mask;; i = (i + 1) & table->mask) {
    Series* s = table->slots[i].load(std::memory_order_acquire);
    if (s == nullptr) return nullptr;
    if (s->hash == hash && same_set(*s, attributes)) return s;
  }
}

void SeriesIndex::place(Table& table, Series* series) noexcept {
  for (std::size_t i = series->hash & table.mask;; i = (i + 1) & table.mask) {
    if (table.slots[i].load(std::memory_order_relaxed) == nullptr) {
      table.slots[i].store(series, std::memory_order_release);
      return;
    }
  }
}

void SeriesIndex::insert_locked(Series* series, std::size_t new_count) {
  all_.push_back(series);
  Table* table = current_.load(std::memory_order_relaxed);
  // Keep the load factor at or under 1/2 so probes stay short.
  if (table == nullptr || new_count * 2 > table->mask + 1) {
    std::size_t capacity = table == nullptr ? 16 : (table->mask + 1) * 2;
    while (new_count * 2 > capacity) capacity *= 2;
    auto fresh = std::make_unique<Table>(capacity);
    for (Series* s : all_) place(*fresh, s);
    current_.store(fresh.get(), std::memory_order_release);
    tables_.push_back(std::move(fresh));
    return;
  }
  place(*table, series);
}

// --- InstrumentStorage ----------------------------------------------------------------------

InstrumentStorage::InstrumentStorage(InstrumentDescriptor descriptor, ProviderState* provider,
                                     bool self_metric)
    : descriptor_(std::move(descriptor)), provider_(provider), self_metric_(self_metric) {
  if (descriptor_.kind == InstrumentKind::Histogram) {
    dropped_.histogram = std::make_unique<HistogramCell>(
        descriptor_.bounds.data(), descriptor_.bounds.size(), provider_->options().span_context);
  }
}

namespace {

// A set the lock-free lookup can decide: valid UTF-8, no repeated key, at most 64 pairs (what
// the slow path would store unchanged). Allocates nothing.
bool plain(AttributeList attributes) noexcept {
  if (attributes.size() > 64) return false;
  for (auto a = attributes.begin(); a != attributes.end(); ++a) {
    if (!is_valid_utf8(a->key) || !is_valid_utf8(a->value)) return false;
    for (auto b = attributes.begin(); b != a; ++b) {
      if (b->key == a->key) return false;
    }
  }
  return true;
}

}  // namespace

Series* InstrumentStorage::find_or_create(AttributeList attributes) noexcept {
  const std::uint64_t hash = hash_attributes(attributes);
  if (Series* s = index_.find(hash, attributes)) return shown(s);
  // Past the series cap a new set goes to the overflow series: no lock, no allocation.
  if (Series* overflow = overflow_.load(std::memory_order_acquire);
      overflow != nullptr && plain(attributes)) {
    provider_->count_overflow(descriptor_.name);
    return overflow;
  }
  try {
    return find_or_create_slow(attributes);
  } catch (...) {
    // Out of memory for a new series: the record goes to a series no reader exports and is
    // counted (kopiur_telemetry_metric_rejected_records{reason="out_of_memory"} at the next
    // collect, since counting it now would need memory too).
    out_of_memory_.fetch_add(1, std::memory_order_relaxed);
    return &dropped_;
  }
}

Series* InstrumentStorage::find_or_create_slow(AttributeList attributes) {
  // Slow path: a new set, a repeated key, a set of more than 64 pairs, or invalid UTF-8. Bad
  // bytes are repaired here, where a value enters the library, so every exporter sees valid
  // UTF-8; such a set never matches the lock-free lookup and is found below under the mutex.
  std::vector<std::string> repaired;
  std::vector<Attribute> canonical = canonicalize(repair_utf8(attributes, repaired));
  const std::uint64_t canonical_hash = hash_attributes(canonical);
  std::lock_guard lock(mutex_);
  if (canonical.size() <= 64) {
    if (Series* s = index_.find(canonical_hash, canonical)) return shown(s);
  } else {
    for (Series* s = head_.load(std::memory_order_relaxed); s != nullptr;
         s = s->next.load(std::memory_order_relaxed)) {
      if (s->hash == canonical_hash && same_canonical(*s, canonical)) return shown(s);
    }
  }
  const std::size_t limit = provider_->options().max_series_per_instrument;
  if (!self_metric_ && limit != 0 && count_.load(std::memory_order_relaxed) >= limit) {
    Series* overflow = overflow_locked();
    provider_->count_overflow(descriptor_.name);
    return overflow;
  }
  return create_locked(canonical, canonical_hash);
}

Series* InstrumentStorage::create_locked(const std::vector<Attribute>& canonical,
                                         std::uint64_t hash) {
  auto series = std::make_unique<Series>();
  series->id.store(provider_->next_series_id(), std::memory_order_relaxed);
  series->hash = hash;
  std::size_t bytes = 0;
  for (const Attribute& a : canonical) bytes += a.key.size() + a.value.size();
  series->text = std::make_unique<char[]>(bytes == 0 ? 1 : bytes);
  char* p = series->text.get();
  series->attributes.reserve(canonical.size());
  for (const Attribute& a : canonical) {
    std::memcpy(p, a.key.data(), a.key.size());
    const std::string_view key(p, a.key.size());
    p += a.key.size();
    std::memcpy(p, a.value.data(), a.value.size());
    const std::string_view value(p, a.value.size());
    p += a.value.size();
    series->attributes.push_back({key, value});
  }
  if (descriptor_.kind == InstrumentKind::Histogram) {
    series->histogram = std::make_unique<HistogramCell>(
        descriptor_.bounds.data(), descriptor_.bounds.size(), provider_->options().span_context);
  }
  Series* raw = series.get();
  owned_.push_back(std::move(series));
  const std::size_t count = count_.load(std::memory_order_relaxed) + 1;
  index_.insert_locked(raw, count);
  if (tail_ == nullptr) {
    head_.store(raw, std::memory_order_release);
  } else {
    tail_->next.store(raw, std::memory_order_release);
  }
  tail_ = raw;
  count_.store(count, std::memory_order_release);
  return raw;
}

Series* InstrumentStorage::overflow_locked() {
  if (Series* overflow = overflow_.load(std::memory_order_relaxed)) return overflow;
  const std::vector<Attribute> attrs = {{"otel_metric_overflow", "true"}};
  Series* overflow = create_locked(attrs, hash_attributes(attrs));
  overflow_.store(overflow, std::memory_order_release);  // from now on, the lock-free path
  return overflow;
}

namespace {
bool includes_all(const Series& s, AttributeList subset) noexcept {
  return std::all_of(subset.begin(), subset.end(), [&](const Attribute& want) {
    return std::any_of(s.attributes.begin(), s.attributes.end(), [&](const Attribute& have) {
      return have.key == want.key && have.value == want.value;
    });
  });
}
}  // namespace

namespace {

// Zeroes every shard of a removed histogram series, inside each shard's sequence bracket so a
// collect never reads a half-zeroed shard. Removal is meant for series nobody records into any
// more; a record racing it may survive in part (documented on remove_matching).
void zero_histogram(HistogramCell& cell) noexcept {
  for (HistogramShard* shard = cell.shards.load(std::memory_order_acquire); shard != nullptr;
       shard = shard->next) {
    const std::uint32_t sequence = shard->sequence.load(std::memory_order_relaxed);
    shard->sequence.store(sequence | 1U, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    for (std::size_t i = 0; i <= cell.bound_count; ++i) {
      shard->buckets[i].store(0, std::memory_order_relaxed);
    }
    shard->sum.store(0, std::memory_order_relaxed);
    shard->min.store(std::numeric_limits<double>::infinity(), std::memory_order_relaxed);
    shard->max.store(-std::numeric_limits<double>::infinity(), std::memory_order_relaxed);
    shard->exemplar_time_ns.store(0, std::memory_order_relaxed);
    shard->exemplar_span.store(0, std::memory_order_relaxed);
    shard->sequence.store((sequence | 1U) + 1, std::memory_order_release);
  }
}

}  // namespace

// Stored values are repaired UTF-8 (find_or_create): a subset is compared in its repaired form.
// False (counted) when there is no memory to repair it.
bool InstrumentStorage::repaired_subset(AttributeList& subset, std::vector<Attribute>& wanted,
                                        std::vector<std::string>& repaired) noexcept {
  const bool valid = std::all_of(subset.begin(), subset.end(), [](const Attribute& a) {
    return is_valid_utf8(a.key) && is_valid_utf8(a.value);
  });
  if (valid) return true;
  try {
    wanted = repair_utf8(subset, repaired);
  } catch (...) {  // out of memory: drop the call and count it, as for a record
    provider_->count_rejected(descriptor_.name, "out_of_memory");
    return false;
  }
  subset = wanted;
  return true;
}

void InstrumentStorage::zero_matching(AttributeList subset) noexcept {
  std::vector<std::string> repaired;
  std::vector<Attribute> wanted;
  if (!repaired_subset(subset, wanted, repaired)) return;
  for (Series* s = first(); s != nullptr; s = s->next.load(std::memory_order_acquire)) {
    if (includes_all(*s, subset)) s->number.bits.store(0, std::memory_order_relaxed);
  }
}

std::size_t InstrumentStorage::remove_matching(AttributeList subset) noexcept {
  std::vector<std::string> repaired;
  std::vector<Attribute> wanted;
  if (!repaired_subset(subset, wanted, repaired)) return 0;
  std::size_t removed = 0;
  for (Series* s = first(); s != nullptr; s = s->next.load(std::memory_order_acquire)) {
    if (!includes_all(*s, subset) || s->hidden.load(std::memory_order_relaxed)) continue;
    s->hidden.store(true, std::memory_order_release);
    s->number.bits.store(0, std::memory_order_relaxed);  // 0 and 0.0 share bits
    if (s->histogram != nullptr) zero_histogram(*s->histogram);
    // Readers keyed by id (OTLP deltas) see a series shown again as a new one.
    s->id.store(provider_->next_series_id(), std::memory_order_relaxed);
    ++removed;
  }
  return removed;
}

}  // namespace kopiur::telemetry::metrics::detail
