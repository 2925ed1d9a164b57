// The recording API is noexcept: out of memory, a record that needs a new series is dropped and
// counted (kopiur_telemetry_metric_rejected_records{reason="out_of_memory"}), never a
// std::terminate; past the series cap, new sets reach the overflow series without allocating.
#include <gtest/gtest.h>

#include "metrics_test_util.hpp"
#include "telemetry/metrics/fail_allocations.hpp"

namespace kopiur::telemetry::metrics {
namespace {

using telemetry::testing::FailAllocationsOnThisThread;
using testing::collect;

// The series of an instrument in a collect (none when it has no series at all).
template <class Map>
std::size_t has(const Map& by_instrument, const std::string& instrument, const std::string& key) {
  const auto it = by_instrument.find(instrument);
  return it == by_instrument.end() ? 0 : it->second.count(key);
}

std::int64_t rejected(const MeterProvider& provider, const std::string& key) {
  const auto r = collect(provider);
  if (has(r.numbers, "kopiur_telemetry_metric_rejected_records", key) == 0) return 0;
  return r.numbers.at("kopiur_telemetry_metric_rejected_records").at(key).as_int;
}

TEST(OutOfMemory, ARecordNeedingANewSeriesIsDroppedAndCounted) {
  MeterProvider provider({.span_context = nullptr});
  Meter m = provider.meter();
  auto counter = m.create_counter_u64("c");
  auto gauge = m.create_gauge_i64("g");
  auto histogram = m.create_histogram("h", "", "", {1});
  counter.add(1, {{"k", "old"}});
  {
    FailAllocationsOnThisThread fail;
    counter.add(5, {{"k", "new"}});
    counter.add(1, {{"k", "old"}});  // an existing series needs no memory
    gauge.set(7, {{"k", "new"}});
    histogram.record(0.5, {{"k", "new"}});
  }
  const auto r = collect(provider);
  EXPECT_EQ(has(r.numbers, "c", "k=new"), 0U);
  EXPECT_EQ(r.numbers.at("c").at("k=old").as_int, 2);
  EXPECT_EQ(has(r.numbers, "g", "k=new"), 0U);
  EXPECT_EQ(has(r.histograms, "h", "k=new"), 0U);
  EXPECT_EQ(rejected(provider, "instrument=c,reason=out_of_memory"), 1);
  EXPECT_EQ(rejected(provider, "instrument=g,reason=out_of_memory"), 1);
  EXPECT_GE(rejected(provider, "instrument=h,reason=out_of_memory"), 1);
  // With memory back, the same set records normally.
  counter.add(3, {{"k", "new"}});
  EXPECT_EQ(collect(provider).numbers.at("c").at("k=new").as_int, 3);
}

TEST(OutOfMemory, PastTheSeriesCapNewSetsAllocateNothing) {
  MeterProvider provider({.max_series_per_instrument = 2, .span_context = nullptr});
  auto counter = provider.meter().create_counter_u64("c");
  counter.add(1, {{"k", "a"}});
  counter.add(1, {{"k", "b"}});
  counter.add(1, {{"k", "c"}});  // the first past the cap creates the overflow series
  {
    FailAllocationsOnThisThread fail;  // any allocation below would fail and be counted
    for (const char* v : {"d", "e", "f", "g"}) counter.add(1, {{"k", v}});
  }
  const auto r = collect(provider);
  EXPECT_EQ(r.numbers.at("c").at("otel_metric_overflow=true").as_int, 5);
  EXPECT_EQ(r.numbers.at("kopiur_telemetry_metric_overflow_records").at("instrument=c").as_int, 5);
  EXPECT_EQ(rejected(provider, "instrument=c,reason=out_of_memory"), 0);
}

}  // namespace
}  // namespace kopiur::telemetry::metrics
