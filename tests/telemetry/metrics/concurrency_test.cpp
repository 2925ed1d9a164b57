// Two threads recording (new and existing series, every instrument kind) while a third scrapes.
// Run under ThreadSanitizer with -DKOPIUR_TSAN=ON.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metrics_test_util.hpp"

namespace kopiur::telemetry::metrics {
namespace {

using testing::fake_span;
using testing::t_span;

TEST(Concurrency, TwoRecordersAndAScraperAgreeOnTotals) {
  constexpr int kOps = 20000;
  constexpr int kSets = 64;
  MeterProvider provider({.span_context = &fake_span});
  Meter meter = provider.meter();
  auto counter = meter.create_counter_u64("ops", "", "Ops.");
  auto dcounter = meter.create_counter_double("work", "s", "Work.");
  auto hist = meter.create_histogram("lat", "s", "Latency.", {0.5, 1});
  auto gauge = meter.create_gauge_i64("last", "", "Last.");
  PrometheusReader reader(provider, Resource(Resource::Attributes{{"service.name", "t"}}));

  std::vector<std::string> names;
  for (int i = 0; i < kSets; ++i) names.push_back("n" + std::to_string(i));

  std::atomic<int> finished{0};
  std::atomic<int> scrapes{0};
  auto recorder = [&](int thread) {
    t_span.trace_id.bytes[0] = static_cast<std::uint8_t>(thread + 1);
    t_span.span_id.bytes[0] = 1;
    auto bound = counter.bind({{"thread", "shared"}});
    for (int i = 0; i < kOps; ++i) {
      const std::string& name = names[static_cast<std::size_t>(i % kSets)];
      counter.add(1, {{"name", name}, {"thread", thread == 0 ? "a" : "b"}});
      bound.add(1);
      dcounter.add(0.5);
      hist.record((i % 4) * 0.4, {{"name", name}});
      gauge.set(i, {{"thread", thread == 0 ? "a" : "b"}});
    }
    finished.fetch_add(1);
  };
  std::thread scraper([&] {
    // Scrape until both recorders are done, and at least a few times.
    while (finished.load() < 2 || scrapes.load() < 3) {
      const ScrapeResult r =
          reader.scrape(scrapes.load() % 2 == 0 ? "text/plain" : "application/openmetrics-text");
      EXPECT_FALSE(r.body.empty());
      scrapes.fetch_add(1);
    }
  });
  std::thread a(recorder, 0);
  std::thread b(recorder, 1);
  a.join();
  b.join();
  scraper.join();

  const auto r = testing::collect(provider);
  std::int64_t per_name = 0;
  for (const auto& [key, point] : r.numbers.at("ops")) {
    if (key != "thread=shared") per_name += point.as_int;
  }
  EXPECT_EQ(per_name, 2 * kOps);
  EXPECT_EQ(r.numbers.at("ops").size(), static_cast<std::size_t>(2 * kSets + 1));
  EXPECT_EQ(r.numbers.at("ops").at("thread=shared").as_int, 2 * kOps);
  EXPECT_DOUBLE_EQ(r.numbers.at("work").at("").as_double, kOps);  // 2 * kOps * 0.5
  std::uint64_t observations = 0;
  for (const auto& [key, h] : r.histograms.at("lat")) {
    observations += h.count;
    EXPECT_TRUE(h.has_exemplar);
  }
  EXPECT_EQ(observations, 2U * kOps);
  EXPECT_EQ(r.numbers.at("last").at("thread=a").as_int, kOps - 1);
  EXPECT_GE(scrapes.load(), 3);
}

// A remover hiding series while a recorder sets them and a scraper collects: no race, and once
// both stop, a final set shows exactly the series set after the last removal.
TEST(Concurrency, RemoveWhileRecordingAndScraping) {
  constexpr int kOps = 5000;
  MeterProvider provider({.span_context = &fake_span});
  auto gauge = provider.meter().create_gauge_i64("phase", "", "Phase.");
  PrometheusReader reader(provider, Resource(Resource::Attributes{{"service.name", "t"}}));
  std::atomic<bool> done{false};
  std::thread recorder([&] {
    for (int i = 0; i < kOps; ++i) gauge.set(i, {{"name", std::to_string(i % 16)}});
    done = true;
  });
  std::thread remover([&] {
    while (!done) (void)gauge.remove_matching({{"name", "3"}});
  });
  std::thread scraper([&] {
    while (!done) (void)reader.scrape("");
  });
  recorder.join();
  remover.join();
  scraper.join();
  (void)gauge.remove_matching({});
  gauge.set(7, {{"name", "3"}});
  const std::string text = reader.scrape("").body;
  EXPECT_NE(text.find("phase{name=\"3\"} 7"), std::string::npos) << text;
  EXPECT_EQ(text.find("phase{name=\"4\"}"), std::string::npos) << text;
}

// Every value is 1.0, so in any one collected point _sum must equal _count. Two recorders keep
// recording while the main thread collects; a point read in the middle of a record (bucket
// bumped, sum not yet) would disagree. This is what Prometheus and OTLP deltas would see.
TEST(Concurrency, EachHistogramPointHasASumMatchingItsCount) {
  constexpr int kCollects = 20000;
  MeterProvider provider({.span_context = &testing::no_span});
  Meter meter = provider.meter();
  auto hist = meter.create_histogram("ones", "s", "Ones.", {0.5, 2});
  std::atomic<bool> stop{false};
  auto recorder = [&] {
    const BoundHistogram bound = hist.bind({});
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 64; ++i) bound.record(1.0);
    }
  };
  std::thread a(recorder);
  std::thread b(recorder);
  int mismatches = 0;
  std::uint64_t first_count = 0;
  std::uint64_t last_count = 0;
  for (int i = 0; i < kCollects; ++i) {
    const testing::Recorder r = testing::collect(provider);
    const auto series = r.histograms.find("ones");
    if (series == r.histograms.end() || series->second.empty()) continue;
    const testing::RecordedHistogram& h = series->second.begin()->second;
    if (h.sum != static_cast<double>(h.count)) ++mismatches;
    if (first_count == 0) first_count = h.count;
    last_count = h.count;
  }
  stop.store(true);
  a.join();
  b.join();
  EXPECT_GT(last_count, first_count) << "the recorders must record while we collect";
  EXPECT_EQ(mismatches, 0) << "of " << kCollects << " collects";
  const testing::Recorder final_point = testing::collect(provider);
  const testing::RecordedHistogram& h = final_point.histograms.at("ones").at("");
  EXPECT_EQ(h.sum, static_cast<double>(h.count));
  EXPECT_EQ(h.min, 1.0);
  EXPECT_EQ(h.max, 1.0);
}

}  // namespace
}  // namespace kopiur::telemetry::metrics
