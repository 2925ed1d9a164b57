// Out-of-line halves of instruments.hpp: series resolution and the histogram record.
#include "kopiur/telemetry/metrics/instruments.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "telemetry/metrics/detail/storage.hpp"

namespace kopiur::telemetry::metrics::detail {
NumberCell* resolve_number(InstrumentStorage* storage, AttributeList attributes) noexcept {
  return &storage->find_or_create(attributes)->number;
}

HistogramCellBase* resolve_histogram(InstrumentStorage* storage,
                                     AttributeList attributes) noexcept {
  return storage->find_or_create(attributes)->histogram.get();
}

HistogramShard* attach_shard(InstrumentStorage* storage, HistogramCellBase* cell) noexcept {
  try {
    return &static_cast<HistogramCell*>(cell)->shard_for(thread_token());
  } catch (...) {  // out of memory for this thread's first shard
    reject_record(storage, "out_of_memory");
    return nullptr;
  }
}

void sample_exemplar(HistogramShard* shard, double value, const SpanContext& span) noexcept {
  const TraceId& trace_id = span.trace_id;
  const SpanId& span_id = span.span_id;
  if (!nonzero(span_id.bytes) || !nonzero(trace_id.bytes)) return;
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  std::uint64_t sp = 0;
  std::memcpy(&hi, trace_id.bytes.data(), 8);
  std::memcpy(&lo, trace_id.bytes.data() + 8, 8);
  std::memcpy(&sp, span_id.bytes.data(), 8);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  // One writer per shard: the same sequence bracket as a record (see record_histogram).
  const std::uint32_t sequence = shard->sequence.load(std::memory_order_relaxed);
  shard->sequence.store(sequence + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  shard->exemplar_span.store(sp, std::memory_order_relaxed);
  shard->exemplar_trace_hi.store(hi, std::memory_order_relaxed);
  shard->exemplar_trace_lo.store(lo, std::memory_order_relaxed);
  shard->exemplar_value.store(value, std::memory_order_relaxed);
  shard->exemplar_time_ns.store(now, std::memory_order_relaxed);
  shard->sequence.store(sequence + 2, std::memory_order_release);
}

void reject_record(InstrumentStorage* storage, std::string_view reason) noexcept {
  storage->provider().count_rejected(storage->descriptor().name, reason);
}

void zero_matching(InstrumentStorage* storage, AttributeList attributes) noexcept {
  storage->zero_matching(attributes);
}

std::size_t remove_matching(InstrumentStorage* storage, AttributeList attributes) noexcept {
  return storage->remove_matching(attributes);
}

}  // namespace kopiur::telemetry::metrics::detail
