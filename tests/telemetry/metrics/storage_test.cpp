// Recording semantics of every instrument: identity, bound handles, histograms, zeroing,
// cardinality (200,000 series; an explicit limit that is visible), rejected values.
#include <cmath>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metrics_test_util.hpp"

namespace kopiur::telemetry::metrics {
namespace {

using testing::fake_span;
using testing::no_span;
using testing::t_span;

using testing::collect;
using testing::render;

MeterProviderOptions quiet() { return {.span_context = &no_span}; }

TEST(Storage, AttributeOrderDoesNotMatter) {
  MeterProvider provider(quiet());
  auto c = provider.meter().create_counter_u64("c");
  c.add(1, {{"a", "1"}, {"b", "2"}});
  c.add(2, {{"b", "2"}, {"a", "1"}});
  c.add(4, {{"a", "1"}, {"b", "3"}});
  const auto r = collect(provider);
  ASSERT_EQ(r.numbers.at("c").size(), 2U);
  EXPECT_EQ(r.numbers.at("c").at("a=1,b=2").as_int, 3);
  EXPECT_EQ(r.numbers.at("c").at("a=1,b=3").as_int, 4);
}

TEST(Storage, SimilarSetsStayDistinct) {
  MeterProvider provider(quiet());
  auto c = provider.meter().create_counter_u64("c");
  c.add(1, {{"a", "b"}});
  c.add(10, {{"b", "a"}});
  c.add(100, {{"ab", ""}});
  c.add(1000, {});
  c.add(10000, {{"a", "b"}, {"c", "d"}});
  const auto r = collect(provider);
  const auto& n = r.numbers.at("c");
  ASSERT_EQ(n.size(), 5U);
  EXPECT_EQ(n.at("a=b").as_int, 1);
  EXPECT_EQ(n.at("b=a").as_int, 10);
  EXPECT_EQ(n.at("ab=").as_int, 100);
  EXPECT_EQ(n.at("").as_int, 1000);
  EXPECT_EQ(n.at("a=b,c=d").as_int, 10000);
}

TEST(Storage, RepeatedKeyKeepsTheLastValue) {
  MeterProvider provider(quiet());
  auto c = provider.meter().create_counter_u64("c");
  c.add(1, {{"k", "first"}, {"k", "second"}});
  c.add(1, {{"k", "second"}});
  const auto r = collect(provider);
  ASSERT_EQ(r.numbers.at("c").size(), 1U);
  EXPECT_EQ(r.numbers.at("c").at("k=second").as_int, 2);
}

TEST(Storage, BoundHandleSharesTheSeriesOfUnboundCalls) {
  MeterProvider provider(quiet());
  auto c = provider.meter().create_counter_u64("c");
  auto bound = c.bind({{"kind", "Backup"}});
  bound.add(5);
  c.add(7, {{"kind", "Backup"}});
  bound.add(1);
  EXPECT_EQ(collect(provider).numbers.at("c").at("kind=Backup").as_int, 13);
}

TEST(Storage, DoubleCounterRejectsNegativeAndNonFiniteAndCountsThem) {
  MeterProvider provider(quiet());
  auto c = provider.meter().create_counter_double("bytes_sent", "By", "Bytes.");
  c.add(1.5);
  c.add(-1);
  c.add(std::numeric_limits<double>::quiet_NaN());
  c.add(std::numeric_limits<double>::infinity());
  c.bind({}).add(-3);
  c.add(0.25);
  const auto r = collect(provider);
  EXPECT_DOUBLE_EQ(r.numbers.at("bytes_sent").at("").as_double, 1.75);
  EXPECT_EQ(r.numbers.at("kopiur_telemetry_metric_rejected_records")
                .at("instrument=bytes_sent,reason=invalid_counter_delta")
                .as_int,
            4);
  EXPECT_NE(render(provider).find("kopiur_telemetry_metric_rejected_records_total{instrument="
                                  "\"bytes_sent\",reason=\"invalid_counter_delta\"} 4\n"),
            std::string::npos);
}

TEST(Storage, UpDownCountersAndGauges) {
  MeterProvider provider(quiet());
  Meter m = provider.meter();
  auto ud = m.create_up_down_counter_i64("ud");
  ud.add(5);
  ud.add(-7);
  auto udd = m.create_up_down_counter_double("udd");
  udd.add(0.5);
  udd.add(-2);
  auto gi = m.create_gauge_i64("gi");
  gi.set(9);
  gi.set(-4);
  auto gd = m.create_gauge_double("gd");
  gd.bind({{"x", "y"}}).set(2.5);
  const auto r = collect(provider);
  EXPECT_EQ(r.numbers.at("ud").at("").as_int, -2);
  EXPECT_DOUBLE_EQ(r.numbers.at("udd").at("").as_double, -1.5);
  EXPECT_EQ(r.numbers.at("gi").at("").as_int, -4);
  EXPECT_DOUBLE_EQ(r.numbers.at("gd").at("x=y").as_double, 2.5);
}

TEST(Storage, HistogramBucketsAreUpperInclusive) {
  MeterProvider provider(quiet());
  auto h = provider.meter().create_histogram("h", "s", "", {1, 2, 5});
  for (double v : {0.5, 1.0, 1.0001, 2.0, 4.0, 5.0, 6.0, -3.0}) h.record(v);
  h.record(std::numeric_limits<double>::quiet_NaN());  // rejected
  const auto r = collect(provider);
  const auto& p = r.histograms.at("h").at("");
  EXPECT_EQ(p.buckets, (std::vector<std::uint64_t>{3, 2, 2, 1}));
  EXPECT_EQ(p.count, 8U);
  EXPECT_DOUBLE_EQ(p.sum, 0.5 + 1 + 1.0001 + 2 + 4 + 5 + 6 - 3);
  EXPECT_DOUBLE_EQ(p.min, -3);
  EXPECT_DOUBLE_EQ(p.max, 6);
  EXPECT_EQ(
      r.numbers.at("kopiur_telemetry_metric_rejected_records").at("instrument=h,reason=nan").as_int,
      1);
}

TEST(Storage, HistogramDefaultsToTheOtelBounds) {
  MeterProvider provider(quiet());
  auto h = provider.meter().create_histogram("h");
  h.record(7);
  auto h2 = provider.meter().create_histogram("h2", "", "", {5, 1, 1, std::nan("")});
  h2.record(3);
  const auto r = collect(provider);
  EXPECT_EQ(r.descriptors.at("h").bounds, default_histogram_bounds());
  EXPECT_EQ(r.descriptors.at("h2").bounds, (std::vector<double>{1, 5}));
  EXPECT_EQ(r.histograms.at("h").at("").buckets.size(), default_histogram_bounds().size() + 1);
  EXPECT_EQ(r.histograms.at("h").at("").buckets[2], 1U);  // (5, 10]
}

TEST(Storage, InvalidUtf8IsRepairedOnEveryPathIntoTheSeries) {
  // Stored as U+FFFD; the raw bytes name the same series for set() and zero_matching().
  MeterProvider provider(quiet());
  auto phase = provider.meter().create_gauge_i64("kopiur_resource_phase");
  phase.set(1, {{"name", "bad\xFF"}, {"phase", "Failed"}});
  phase.set(1, {{"name", "bad\xFF"}, {"phase", "Failed"}});
  phase.set(1, {{"name", "good"}, {"phase", "Failed"}});
  EXPECT_EQ(collect(provider).numbers.at("kopiur_resource_phase").size(), 2U);
  phase.zero_matching({{"name", "bad\xFF"}});
  const auto n = collect(provider).numbers.at("kopiur_resource_phase");
  EXPECT_EQ(n.at("name=bad\xEF\xBF\xBD,phase=Failed").as_int, 0);
  EXPECT_EQ(n.at("name=good,phase=Failed").as_int, 1);
}

TEST(Storage, ZeroMatchingClearsEveryPhaseOfOneResource) {
  MeterProvider provider(quiet());
  auto phase = provider.meter().create_gauge_i64("kopiur_resource_phase");
  for (const char* p : {"Pending", "Running", "Failed"}) {
    const bool failed = std::string_view(p) == "Failed";
    phase.set(failed ? 1 : 0,
              {{"kind", "Backup"}, {"namespace", "ns"}, {"name", "x"}, {"phase", p}});
    phase.set(failed ? 1 : 0,
              {{"kind", "Backup"}, {"namespace", "ns"}, {"name", "y"}, {"phase", p}});
    phase.set(failed ? 1 : 0,
              {{"kind", "Restore"}, {"namespace", "ns"}, {"name", "x"}, {"phase", p}});
  }
  phase.zero_matching({{"kind", "Backup"}, {"namespace", "ns"}, {"name", "x"}});
  const auto r = collect(provider);
  const auto& n = r.numbers.at("kopiur_resource_phase");
  ASSERT_EQ(n.size(), 9U);
  EXPECT_EQ(n.at("kind=Backup,name=x,namespace=ns,phase=Failed").as_int, 0);
  EXPECT_EQ(n.at("kind=Backup,name=y,namespace=ns,phase=Failed").as_int, 1);
  EXPECT_EQ(n.at("kind=Restore,name=x,namespace=ns,phase=Failed").as_int, 1);
  // Every exported line of the zeroed resource ends in " 0".
  const std::string text = render(provider);
  std::size_t matching = 0;
  for (std::size_t pos = 0;
       (pos = text.find("kind=\"Backup\",name=\"x\"", pos)) != std::string::npos; ++pos) {
    ++matching;
    EXPECT_EQ(text.substr(text.find('}', pos), 4), "} 0\n");
  }
  EXPECT_EQ(matching, 3U);
}

TEST(Storage, RemoveMatchingDropsSeriesUntilTheyAreSetAgain) {
  MeterProvider provider(quiet());
  auto phase = provider.meter().create_gauge_i64("kopiur_resource_phase");
  for (const char* p : {"Pending", "Running", "Failed"}) {
    phase.set(1, {{"kind", "Backup"}, {"namespace", "ns"}, {"name", "x"}, {"phase", p}});
    phase.set(1, {{"kind", "Backup"}, {"namespace", "ns"}, {"name", "y"}, {"phase", p}});
  }
  EXPECT_EQ(phase.remove_matching({{"kind", "Backup"}, {"namespace", "ns"}, {"name", "x"}}), 3U);
  EXPECT_EQ(phase.remove_matching({{"kind", "Backup"}, {"namespace", "ns"}, {"name", "x"}}), 0U);
  auto r = collect(provider);
  ASSERT_EQ(r.numbers.at("kopiur_resource_phase").size(), 3U);
  EXPECT_EQ(render(provider).find("name=\"x\""), std::string::npos);
  // The same set recorded again is exported again, with the new value only.
  phase.set(1, {{"kind", "Backup"}, {"namespace", "ns"}, {"name", "x"}, {"phase", "Failed"}});
  r = collect(provider);
  const auto& n = r.numbers.at("kopiur_resource_phase");
  ASSERT_EQ(n.size(), 4U);
  EXPECT_EQ(n.at("kind=Backup,name=x,namespace=ns,phase=Failed").as_int, 1);
  EXPECT_EQ(n.count("kind=Backup,name=x,namespace=ns,phase=Pending"), 0U);
}

TEST(Storage, TwoHundredThousandSeriesOnOneInstrument) {
  constexpr int kSeries = 200000;
  MeterProvider provider(quiet());
  auto g = provider.meter().create_gauge_i64("kopiur_backup_size_bytes", "By", "Size.");
  std::vector<std::string> names;
  names.reserve(kSeries);
  for (int i = 0; i < kSeries; ++i) names.push_back("backup-" + std::to_string(i));
  for (int i = 0; i < kSeries; ++i) {
    g.set(i, {{"namespace", (i % 2 != 0) ? "odd" : "even"}, {"name", names[i]}});
  }
  // Second pass finds every existing series (no duplicates created) and overwrites.
  for (int i = 0; i < kSeries; ++i) {
    g.set(i + 1, {{"name", names[i]}, {"namespace", (i % 2 != 0) ? "odd" : "even"}});
  }
  const auto r = collect(provider);
  const auto& n = r.numbers.at("kopiur_backup_size_bytes");
  ASSERT_EQ(n.size(), static_cast<std::size_t>(kSeries));
  std::int64_t total = 0;
  for (const auto& [key, point] : n) total += point.as_int;
  EXPECT_EQ(total, static_cast<std::int64_t>(kSeries) * (kSeries + 1) / 2);
  EXPECT_EQ(n.at("name=backup-199999,namespace=odd").as_int, 200000);
  EXPECT_EQ(std::set<std::uint64_t>(r.ids.begin(), r.ids.end()).size(), r.ids.size());
  const std::string text = render(provider);
  EXPECT_EQ(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')),
            static_cast<std::size_t>(kSeries) + 2);  // + HELP + TYPE
  EXPECT_TRUE(provider.warnings().empty());
}

TEST(Storage, ExplicitLimitFoldsIntoAVisibleOverflowSeries) {
  MeterProvider provider({.max_series_per_instrument = 10, .span_context = &no_span});
  auto c = provider.meter().create_counter_u64("c", "", "C.");
  for (int i = 0; i < 15; ++i) c.add(1, {{"i", std::to_string(i)}});
  c.add(1, {{"i", "3"}});   // existing: not folded
  c.add(1, {{"i", "14"}});  // still folded
  const auto r = collect(provider);
  const auto& n = r.numbers.at("c");
  EXPECT_EQ(n.size(), 11U);
  EXPECT_EQ(n.at("i=3").as_int, 2);
  EXPECT_EQ(n.at("otel_metric_overflow=true").as_int, 6);
  EXPECT_EQ(r.numbers.at("kopiur_telemetry_metric_overflow_records").at("instrument=c").as_int, 6);
  std::int64_t total = 0;
  for (const auto& [key, point] : n) total += point.as_int;
  EXPECT_EQ(total, 17);  // nothing lost, only identity folded
}

TEST(Storage, SameInstrumentTwiceIsOneInstrumentAndConflictsAreReported) {
  MeterProvider provider(quiet());
  Meter m = provider.meter();
  m.create_counter_u64("c").add(1);
  m.create_counter_u64("c").add(2);
  m.create_gauge_i64("c").set(100);  // conflicting kind: works, not exported, reported
  const auto r = collect(provider);
  EXPECT_EQ(r.numbers.at("c").at("").as_int, 3);
  EXPECT_EQ(std::count(r.instruments.begin(), r.instruments.end(), "c"), 1);
  ASSERT_EQ(provider.warnings().size(), 1U);
  EXPECT_NE(provider.warnings()[0].find("\"c\""), std::string::npos);
}

// Conflicting re-creations (another kind, or a colliding Prometheus name) keep returning one
// detached storage and say so once, however often the program asks.
TEST(Storage, ConflictingRecreationIsOneDetachedStorageAndOneWarning) {
  MeterProvider provider(quiet());
  Meter m = provider.meter();
  m.create_counter_u64("c").add(1);
  m.create_counter_u64("a_b").add(1);
  for (int i = 0; i < 100; ++i) {
    m.create_gauge_i64("c").set(i);
    m.create_counter_u64("a.b").add(1);
  }
  EXPECT_EQ(provider.warnings().size(), 2U);
  const auto r = collect(provider);
  EXPECT_EQ(r.numbers.at("c").at("").as_int, 1);
  EXPECT_EQ(r.numbers.count("a.b"), 0U);
}

// remove_matching on every synchronous kind: the series leaves the collect (both readers walk it)
// and comes back from zero when recorded again.
TEST(Storage, RemovedSeriesOfEveryKindLeaveAndComeBackFromZero) {
  MeterProvider provider(quiet());
  Meter m = provider.meter();
  auto counter = m.create_counter_u64("c");
  auto updown = m.create_up_down_counter_i64("u");
  auto histogram = m.create_histogram("h", "", "", {1});
  for (const char* name : {"x", "y"}) {
    counter.add(5, {{"name", name}});
    updown.add(-3, {{"name", name}});
    histogram.record(0.5, {{"name", name}});
  }
  EXPECT_EQ(counter.remove_matching({{"name", "x"}}), 1U);
  EXPECT_EQ(updown.remove_matching({{"name", "x"}}), 1U);
  EXPECT_EQ(histogram.remove_matching({{"name", "x"}}), 1U);
  auto r = collect(provider);
  EXPECT_EQ(r.numbers.at("c").count("name=x"), 0U);
  EXPECT_EQ(r.numbers.at("u").count("name=x"), 0U);
  EXPECT_EQ(r.histograms.at("h").count("name=x"), 0U);
  EXPECT_EQ(r.numbers.at("c").at("name=y").as_int, 5);
  EXPECT_EQ(r.histograms.at("h").at("name=y").count, 1U);
  counter.add(1, {{"name", "x"}});
  updown.add(1, {{"name", "x"}});
  histogram.record(2, {{"name", "x"}});
  r = collect(provider);
  EXPECT_EQ(r.numbers.at("c").at("name=x").as_int, 1);
  EXPECT_EQ(r.numbers.at("u").at("name=x").as_int, 1);
  const auto& h = r.histograms.at("h").at("name=x");
  EXPECT_EQ(h.count, 1U);
  EXPECT_DOUBLE_EQ(h.sum, 2);
}

// OpenTelemetry's rule for asynchronous instruments: a collect exports only the attribute sets the
// callback observed in it.
TEST(Storage, ObservableExportsOnlyWhatItsCallbackObservedThisCollect) {
  MeterProvider provider(quiet());
  Meter m = provider.meter();
  std::vector<std::string> names = {"a", "b"};
  m.create_observable_gauge_i64("obs", "", "", [&](ObservableResult& result) {
    for (const auto& name : names) result.observe(std::int64_t{1}, {{"name", name}});
  });
  EXPECT_EQ(collect(provider).numbers.at("obs").size(), 2U);
  names = {"a"};
  auto r = collect(provider);
  EXPECT_EQ(r.numbers.at("obs").size(), 1U);
  EXPECT_EQ(r.numbers.at("obs").count("name=a"), 1U);
  names = {"a", "b"};
  EXPECT_EQ(collect(provider).numbers.at("obs").size(), 2U);  // observed again: back
}

TEST(Storage, ProvidersAreIsolated) {
  MeterProvider a(quiet());
  MeterProvider b(quiet());
  a.meter().create_counter_u64("c").add(1);
  b.meter().create_counter_u64("c").add(5);
  EXPECT_EQ(collect(a).numbers.at("c").at("").as_int, 1);
  EXPECT_EQ(collect(b).numbers.at("c").at("").as_int, 5);
}

TEST(Storage, ObservableCallbacksRunAtCollectAndFailuresAreCounted) {
  MeterProvider provider(quiet());
  Meter m = provider.meter();
  int calls = 0;
  m.create_observable_gauge_i64("obs", "", "Obs.", [&calls](ObservableResult& r) {
    ++calls;
    r.observe(std::int64_t{calls * 10}, {{"k", "v"}});
  });
  m.create_observable_counter_double("obs_fail", "", "Fails.",
                                     [](ObservableResult&) { throw std::runtime_error("boom"); });
  EXPECT_EQ(collect(provider).numbers.at("obs").at("k=v").as_int, 10);
  const auto r = collect(provider);
  EXPECT_EQ(r.numbers.at("obs").at("k=v").as_int, 20);
  EXPECT_EQ(r.numbers.at("kopiur_telemetry_metric_rejected_records")
                .at("instrument=obs_fail,reason=callback_failed")
                .as_int,
            2);
}

// Inside one span the exemplar is sampled (the first record, then one in kExemplarSampleEvery),
// so a record there costs a load and a compare; a new span's first record is always kept.
TEST(Storage, ExemplarIsSampledWithinASpanAndTakenAtEachNewSpan) {
  MeterProvider provider({.span_context = &fake_span});
  auto h = provider.meter().create_histogram("h", "", "", {1000});
  t_span.trace_id.bytes[15] = 1;
  t_span.span_id.bytes[7] = 1;
  const auto every = static_cast<int>(detail::kExemplarSampleEvery);
  for (int i = 1; i < every; ++i) h.record(i);
  EXPECT_DOUBLE_EQ(collect(provider).histograms.at("h").at("").exemplar.value, 1);
  for (int i = every; i <= 2 * every; ++i) h.record(i);  // one of these is the next sample
  const double sampled = collect(provider).histograms.at("h").at("").exemplar.value;
  EXPECT_GE(sampled, every);
  EXPECT_LE(sampled, 2 * every);
  t_span.span_id.bytes[7] = 2;
  h.record(7);  // a new span: kept at once
  const auto p = collect(provider).histograms.at("h").at("");
  EXPECT_DOUBLE_EQ(p.exemplar.value, 7);
  EXPECT_EQ(p.exemplar.span_id.bytes[7], 2);
  EXPECT_EQ(p.count, 2 * static_cast<std::uint64_t>(every) + 1);
  t_span = {};
}

// Each thread keeps its exemplar on its own shard; collect shows the newest.
TEST(Storage, ExemplarIsTheNewestOverTheThreadsShards) {
  MeterProvider provider({.span_context = &fake_span});
  auto h = provider.meter().create_histogram("h", "", "", {1000});
  // Both threads live at once, so each has its own shard.
  std::latch first_recorded(1);
  std::latch second_recorded(1);
  std::thread first([&] {
    t_span.trace_id.bytes[15] = 1;
    t_span.span_id.bytes[7] = 1;
    h.record(10);
    first_recorded.count_down();
    second_recorded.wait();
  });
  std::thread second([&] {
    first_recorded.wait();
    t_span.trace_id.bytes[15] = 1;
    t_span.span_id.bytes[7] = 2;
    h.record(20);
    second_recorded.count_down();
  });
  first.join();
  second.join();
  const auto p = collect(provider).histograms.at("h").at("");
  ASSERT_TRUE(p.has_exemplar);
  EXPECT_DOUBLE_EQ(p.exemplar.value, 20);
  EXPECT_EQ(p.exemplar.span_id.bytes[7], 2);
}

TEST(Storage, ExemplarKeepsTheLatestInSpanObservation) {
  MeterProvider provider({.span_context = &fake_span});
  auto h = provider.meter().create_histogram("h", "", "", {10});
  h.record(1);
  EXPECT_FALSE(collect(provider).histograms.at("h").at("").has_exemplar);
  t_span.trace_id.bytes[15] = 1;
  t_span.span_id.bytes[7] = 2;
  h.record(2);
  t_span.span_id.bytes[7] = 3;
  h.record(30);
  t_span = {};
  h.record(4);
  const auto p = collect(provider).histograms.at("h").at("");
  ASSERT_TRUE(p.has_exemplar);
  EXPECT_DOUBLE_EQ(p.exemplar.value, 30);
  EXPECT_EQ(p.exemplar.trace_id.bytes[15], 1);
  EXPECT_EQ(p.exemplar.span_id.bytes[7], 3);
  EXPECT_GT(p.exemplar.time.time_since_epoch().count(), 0);
}

}  // namespace
}  // namespace kopiur::telemetry::metrics
