// Out-of-line halves of instruments.hpp: series resolution and the histogram record.
#include "kopiur/telemetry/metrics/instruments.hpp"

#include <algorithm>
#include <array>
#include <bit>
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

void offer_exemplar(HistogramCellBase* cell, double value, const TraceId& trace_id,
                    const SpanId& span_id) noexcept {
  static_cast<HistogramCell*>(cell)->exemplar.store(value, trace_id, span_id);
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
