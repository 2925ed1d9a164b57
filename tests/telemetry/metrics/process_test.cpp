// The standard process metrics: present in the exposition with sane values.
#include "kopiur/telemetry/metrics/process.hpp"

#include <chrono>

#include <gtest/gtest.h>

#include "metrics_test_util.hpp"

namespace kopiur::telemetry::metrics {
namespace {

TEST(ProcessMetrics, SampleIsSane) {
  const ProcessSample s = read_process_sample();
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
}

TEST(ProcessMetrics, ExportedUnderTheStandardNames) {
  MeterProvider provider;
  Meter meter = provider.meter();
  register_process_metrics(meter);
  const std::string text = testing::render(provider);
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ",
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ",
        "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes ",
        "# TYPE process_open_fds gauge\nprocess_open_fds ",
        "# TYPE process_max_fds gauge\nprocess_max_fds ",
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds "}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  // The values are re-read on every collect.
  const auto first = testing::collect(provider).numbers.at("process_cpu").at("").as_double;
  volatile double sink = 0;
  for (int i = 0; i < 20000000; ++i) sink = sink + i;
  const auto second = testing::collect(provider).numbers.at("process_cpu").at("").as_double;
  EXPECT_GE(second, first);
}

}  // namespace
}  // namespace kopiur::telemetry::metrics
