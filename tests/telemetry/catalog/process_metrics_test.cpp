// The standard process metrics: sane values, the standard names, one sample per collect shared by
// all six families, and one sample shared by the collects of its max_age.
#include "kopiur/telemetry/process_metrics.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "telemetry/metrics/metrics_test_util.hpp"

namespace kopiur::telemetry {
namespace {

TEST(ProcessMetrics, SampleIsSane) {
  const std::optional<double> boot = read_boot_time_seconds();
  ASSERT_TRUE(boot.has_value());
  const ProcessSample s = read_process_sample(boot);
  ASSERT_TRUE(s.cpu_seconds && s.resident_bytes && s.virtual_bytes && s.open_fds && s.max_fds &&
              s.start_time_seconds);
  EXPECT_GE(*s.cpu_seconds, 0);
  EXPECT_GT(*s.resident_bytes, 1 << 20);  // a test binary takes more than 1 MiB
  EXPECT_GE(*s.virtual_bytes, *s.resident_bytes);
  EXPECT_GE(*s.open_fds, 3);  // stdin, stdout, stderr
  EXPECT_TRUE(*s.max_fds == -1 || *s.max_fds >= *s.open_fds);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(*s.start_time_seconds, now + 2);
  EXPECT_GT(*s.start_time_seconds, now - 24 * 3600);
  // Without a boot time there is no start time; the rest is unaffected.
  const ProcessSample no_boot = read_process_sample(std::nullopt);
  EXPECT_FALSE(no_boot.start_time_seconds.has_value());
  EXPECT_TRUE(no_boot.cpu_seconds.has_value());
}

// The open-descriptor count is exact (the fast path since Linux 6.2 reads the size of
// /proc/self/fd; older kernels list it) and follows each open and close.
TEST(ProcessMetrics, OpenDescriptorsAreCountedExactly) {
  const std::optional<std::int64_t> before = read_process_sample(std::nullopt).open_fds;
  ASSERT_TRUE(before.has_value());
  std::array<int, 2> first{};
  std::array<int, 2> second{};
  ASSERT_EQ(::pipe(first.data()), 0);
  ASSERT_EQ(::pipe(second.data()), 0);
  const int copy = ::dup(first[0]);
  ASSERT_GE(copy, 0);
  EXPECT_EQ(read_process_sample(std::nullopt).open_fds, *before + 5);
  for (const int fd : {first[0], first[1], second[0], second[1], copy}) ::close(fd);
  EXPECT_EQ(read_process_sample(std::nullopt).open_fds, *before);
}

// The registered sampler keeps /proc/self/statm open and reads it again at every sample: a later
// collect sees memory touched after the first.
TEST(ProcessMetrics, EachCollectReadsFreshValues) {
  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  register_process_metrics(meter, {}, std::chrono::nanoseconds::zero());
  const auto resident = [&provider] {
    return metrics::testing::collect(provider)
        .numbers["process_resident_memory_bytes"]
        .at("")
        .as_double;
  };
  const double before = resident();
  constexpr std::size_t kBytes = 64u << 20;
  std::vector<char> block(kBytes);
  for (std::size_t i = 0; i < block.size(); i += 4096) block[i] = static_cast<char>(i);
  const double after = resident();
  EXPECT_GE(after - before, static_cast<double>(kBytes) / 2) << before << " -> " << after;
  EXPECT_EQ(block[4096], static_cast<char>(4096));
}

// The CPU time follows what the process spends: 50 ms of this thread's CPU show in the next
// sample.
TEST(ProcessMetrics, CpuTimeFollowsWorkDone) {
  const std::optional<double> before = read_process_sample(std::nullopt).cpu_seconds;
  ASSERT_TRUE(before.has_value());
  const auto thread_cpu = [] {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
  };
  const double start = thread_cpu();
  volatile std::uint64_t sink = 0;
  while (thread_cpu() - start < 0.05) sink = sink + 1;
  const std::optional<double> after = read_process_sample(std::nullopt).cpu_seconds;
  ASSERT_TRUE(after.has_value());
  EXPECT_GE(*after - *before, 0.045) << *before << " -> " << *after;
}

// A /proc/<pid>/stat line whose command name holds spaces and parentheses; utime 300, stime 100,
// starttime 5000, vsize 8192000, rss 250 pages.
constexpr std::string_view kTrickyStat =
    "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 300 100 0 0 20 0 3 0 5000 "
    "8192000 250 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";

TEST(ProcessMetrics, ParsesTheStatLineAfterTheLastParenthesis) {
  const ProcessSample s = parse_proc_stat(kTrickyStat, 100, 4096, 1000.0);
  ASSERT_TRUE(s.cpu_seconds && s.virtual_bytes && s.resident_bytes && s.start_time_seconds);
  EXPECT_DOUBLE_EQ(*s.cpu_seconds, 4.0);
  EXPECT_EQ(*s.virtual_bytes, 8192000);
  EXPECT_EQ(*s.resident_bytes, 250 * 4096);
  EXPECT_DOUBLE_EQ(*s.start_time_seconds, 1050.0);
  EXPECT_FALSE(s.open_fds.has_value());
  EXPECT_FALSE(s.max_fds.has_value());
}

TEST(ProcessMetrics, AMalformedStatLineLeavesValuesAbsent) {
  for (std::string_view bad : {std::string_view(""), std::string_view("4242 (name"),
                               std::string_view("4242 (name) S 1 2 3"),  // too short
                               kTrickyStat.substr(0, kTrickyStat.find(" 8192000"))}) {
    const ProcessSample s = parse_proc_stat(bad, 100, 4096, 1000.0);
    EXPECT_FALSE(s.cpu_seconds || s.virtual_bytes || s.resident_bytes || s.start_time_seconds)
        << bad;
  }
  // A field that is not a number leaves only that value absent.
  std::string garbled(kTrickyStat);
  garbled.replace(garbled.find(" 8192000 "), 9, " 81x2000 ");
  const ProcessSample s = parse_proc_stat(garbled, 100, 4096, 1000.0);
  EXPECT_FALSE(s.virtual_bytes.has_value());
  EXPECT_TRUE(s.cpu_seconds && s.resident_bytes && s.start_time_seconds);
  // Unusable clock or page size: nothing is computed from them.
  EXPECT_FALSE(parse_proc_stat(kTrickyStat, 0, 4096, 1000.0).cpu_seconds.has_value());
}

TEST(ProcessMetrics, ExportedUnderTheStandardNames) {
  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  register_process_metrics(meter);
  const std::string text = metrics::testing::render(provider);
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ",
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ",
        "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes ",
        "# TYPE process_open_fds gauge\nprocess_open_fds ",
        "# TYPE process_max_fds gauge\nprocess_max_fds ",
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds "}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

// A sample whose six values all equal `n`, so a collect mixing two samples shows.
ProcessSample process_test_sample(std::int64_t n) {
  return {.cpu_seconds = static_cast<double>(n),
          .resident_bytes = n,
          .virtual_bytes = n,
          .open_fds = n,
          .max_fds = n,
          .start_time_seconds = static_cast<double>(n)};
}

// The six values of one collect, in the order above.
std::vector<double> process_test_values(const metrics::MeterProvider& provider) {
  auto r = metrics::testing::collect(provider);
  std::vector<double> values;
  for (const char* name :
       {"process_cpu", "process_resident_memory_bytes", "process_virtual_memory_bytes",
        "process_open_fds", "process_max_fds", "process_start_time_seconds"}) {
    const auto& series = r.numbers[name];
    values.push_back(series.count("") != 0 ? series.at("").as_double : -1);
  }
  return values;
}

TEST(ProcessMetrics, OneSamplePerCollectSharedByTheSixFamilies) {
  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  int samples = 0;
  register_process_metrics(
      meter, [&samples] { return process_test_sample(++samples); },
      std::chrono::nanoseconds::zero());
  EXPECT_EQ(samples, 0) << "nothing is read before the first collect";
  EXPECT_EQ(process_test_values(provider), std::vector<double>(6, 1.0));
  EXPECT_EQ(samples, 1);
  EXPECT_EQ(process_test_values(provider), std::vector<double>(6, 2.0));
  EXPECT_EQ(samples, 2);
}

TEST(ProcessMetrics, ConcurrentScrapesEachSeeOneWholeSample) {
  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  std::atomic<std::int64_t> samples{0};
  register_process_metrics(
      meter, [&samples] { return process_test_sample(samples.fetch_add(1) + 1); },
      std::chrono::nanoseconds::zero());
  constexpr int kThreads = 4;
  constexpr int kScrapes = 100;
  std::atomic<int> mixed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kScrapes; ++i) {
        const std::vector<double> v = process_test_values(provider);
        if (v != std::vector<double>(6, v.front()) || v.front() < 1) mixed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_EQ(samples.load(), kThreads * kScrapes);
}

// Collects within max_age of a sample share it: a burst of scrapes reads /proc once.
TEST(ProcessMetrics, CollectsWithinMaxAgeShareOneSample) {
  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  int samples = 0;
  register_process_metrics(
      meter, [&samples] { return process_test_sample(++samples); }, std::chrono::hours(1));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(process_test_values(provider), std::vector<double>(6, 1.0)) << "collect " << i;
  }
  EXPECT_EQ(samples, 1);
}

// Once max_age has passed since the sample, the next collect takes a new one.
TEST(ProcessMetrics, ACollectAfterMaxAgeSamplesAgain) {
  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  int samples = 0;
  constexpr auto kMaxAge = std::chrono::milliseconds(5);
  register_process_metrics(
      meter, [&samples] { return process_test_sample(++samples); }, kMaxAge);
  const auto first = std::chrono::steady_clock::now();
  EXPECT_EQ(process_test_values(provider), std::vector<double>(6, 1.0));
  // The sample was taken after `first`: once kMaxAge has passed since `first`, it is stale.
  while (std::chrono::steady_clock::now() - first <= kMaxAge) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(process_test_values(provider), std::vector<double>(6, 2.0));
  EXPECT_EQ(samples, 2);
}

// The default registration shares samples for kProcessSampleMaxAge: two collects in a row, well
// within it, report the same CPU time although the process spent CPU in between.
TEST(ProcessMetrics, TheDefaultSamplerSharesAShortInterval) {
  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  register_process_metrics(meter);
  const auto cpu = [&provider] {
    return metrics::testing::collect(provider).numbers["process_cpu"].at("").as_double;
  };
  const auto start = std::chrono::steady_clock::now();
  const double first = cpu();
  const double second = cpu();
  if (std::chrono::steady_clock::now() - start < kProcessSampleMaxAge) {
    EXPECT_EQ(first, second);
  }
}

}  // namespace
}  // namespace kopiur::telemetry
