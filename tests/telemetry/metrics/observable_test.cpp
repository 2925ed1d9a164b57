// Batch observable callbacks (Meter::register_callback): one call per collect reports several
// instruments, so values read together stay together.
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metrics_test_util.hpp"

namespace kopiur::telemetry::metrics {
namespace {

MeterProviderOptions batch_test_options() { return {.span_context = &testing::no_span}; }

TEST(BatchObservable, OneCallPerCollectReportsEveryInstrument) {
  MeterProvider provider(batch_test_options());
  Meter m = provider.meter();
  const ObservableInstrument a = m.create_observable_gauge_i64("batch_a", "", "A.");
  const ObservableInstrument b = m.create_observable_gauge_double("batch_b", "", "B.");
  const ObservableInstrument c = m.create_observable_counter_u64("batch_c", "", "C.");
  int calls = 0;
  m.register_callback({a, b, c}, [&](BatchObservableResult& r) {
    ++calls;
    r.observe(a, std::int64_t{calls});
    r.observe(b, calls * 1.5, {{"k", "v"}});
    r.observe(c, std::int64_t{calls * 10});
  });
  auto first = testing::collect(provider);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(first.numbers.at("batch_a").at("").as_int, 1);
  EXPECT_DOUBLE_EQ(first.numbers.at("batch_b").at("k=v").as_double, 1.5);
  EXPECT_EQ(first.numbers.at("batch_c").at("").as_int, 10);
  auto second = testing::collect(provider);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(second.numbers.at("batch_a").at("").as_int, 2);
  EXPECT_EQ(second.numbers.at("batch_c").at("").as_int, 20);
}

TEST(BatchObservable, UnregisteredInstrumentsExportNothing) {
  MeterProvider provider(batch_test_options());
  Meter m = provider.meter();
  const ObservableInstrument mine = m.create_observable_gauge_i64("batch_mine", "", "");
  const ObservableInstrument other = m.create_observable_counter_double("batch_other", "", "");
  m.register_callback({mine}, [&](BatchObservableResult& r) {
    r.observe(mine, std::int64_t{7});
    r.observe(other, 3.0);  // not registered with this callback: dropped
  });
  auto r = testing::collect(provider);
  EXPECT_EQ(r.numbers.at("batch_mine").at("").as_int, 7);
  EXPECT_TRUE(r.numbers["batch_other"].empty());
  m.register_callback({other}, {});  // an empty callback is ignored
  EXPECT_TRUE(testing::collect(provider).numbers["batch_other"].empty());
}

TEST(BatchObservable, AFailingCallbackIsCountedForEachOfItsInstruments) {
  MeterProvider provider(batch_test_options());
  Meter m = provider.meter();
  const ObservableInstrument x = m.create_observable_gauge_i64("batch_x", "", "");
  const ObservableInstrument y = m.create_observable_gauge_i64("batch_y", "", "");
  m.register_callback({x, y}, [&](BatchObservableResult& r) {
    r.observe(x, std::int64_t{1});
    throw std::runtime_error("boom");
  });
  const auto r = testing::collect(provider);
  const auto& rejected = r.numbers.at("kopiur_telemetry_metric_rejected_records");
  EXPECT_EQ(rejected.at("instrument=batch_x,reason=callback_failed").as_int, 1);
  EXPECT_EQ(rejected.at("instrument=batch_y,reason=callback_failed").as_int, 1);
}

// Concurrent collects (two scrapes at once) each get one call and see its values only.
TEST(BatchObservable, ConcurrentCollectsEachSeeOneConsistentCall) {
  MeterProvider provider(batch_test_options());
  Meter m = provider.meter();
  const ObservableInstrument first = m.create_observable_gauge_i64("batch_first", "", "");
  const ObservableInstrument second = m.create_observable_gauge_i64("batch_second", "", "");
  std::atomic<std::int64_t> calls{0};
  m.register_callback({first, second}, [&](BatchObservableResult& r) {
    const std::int64_t n = calls.fetch_add(1) + 1;
    r.observe(first, n);
    r.observe(second, n);
  });
  constexpr int kThreads = 4;
  constexpr int kCollects = 200;
  std::atomic<int> inconsistent{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCollects; ++i) {
        const auto r = testing::collect(provider);
        if (r.numbers.at("batch_first").at("").as_int !=
            r.numbers.at("batch_second").at("").as_int) {
          inconsistent.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_EQ(calls.load(), kThreads * kCollects);
}

}  // namespace
}  // namespace kopiur::telemetry::metrics
