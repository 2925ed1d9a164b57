// /metrics under load (issue: fault and load tests): the real wrk scrapes an HttpServer serving a
// PrometheusReader for 30 s with 20 connections while two threads record counters and histograms
// without pause. Every answer must be a 200, the server must keep up with the recorders, and the
// last scrape must account for every recorded operation. The latency percentiles are reported in
// the test's output (a figure, not a bound: speed lives in bench/).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "kopiur/telemetry/http/server.hpp"
#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"

#include "child_process.hpp"

namespace kopiur::telemetry::http {
namespace {

using namespace std::chrono_literals;

constexpr const char* kWrk = "/usr/bin/wrk";

// The sum of the values of every sample line of `text` whose name is `name` (with any labels).
double sum_samples(const std::string& text, const std::string& name) {
  double sum = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// The value after `label` on the line of wrk's report that starts with it (e.g. "     99%").
std::string wrk_field(const std::string& report, const std::string& label) {
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first == label) {
      std::string value;
      words >> value;
      return value;
    }
  }
  return {};
}

TEST(MetricsUnderLoad, WrkScrapesWhileTwoThreadsRecordAndEveryOperationIsCounted) {
  ASSERT_EQ(::access(kWrk, X_OK), 0)
      << kWrk << " is missing: tools/setup-deps.sh installs it (Debian package wrk)";
  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  auto operations = meter.create_counter_u64("kopiur_test_load_operations", "", "Operations.");
  auto durations =
      meter.create_histogram("kopiur_test_load_duration_seconds", "s", "Operation durations.");
  metrics::PrometheusReader reader(provider,
                                   Resource(Resource::Attributes{{"service.name", "load"}}));

  ServerOptions options;
  options.address = "127.0.0.1:0";
  HttpServer server(options);
  add_metrics_route(server, "/metrics", [&reader](std::string_view accept) -> ScrapeResult {
    auto scraped = reader.scrape(accept);
    if (!scraped.ok()) throw std::runtime_error(scraped.error);
    return {std::move(scraped.content_type), std::move(scraped.body)};
  });
  ASSERT_EQ(server.start(), "");

  std::atomic<bool> stop{false};
  std::vector<std::uint64_t> recorded(2, 0);
  std::vector<std::thread> recorders;
  for (int t = 0; t < 2; ++t) {
    recorders.emplace_back([&, t] {
      const std::vector<std::string> kinds = {"Backup", "Restore", "Maintenance", "Repository"};
      const std::string worker = t == 0 ? "a" : "b";
      std::uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const std::string& kind = kinds[n % kinds.size()];
        operations.add(1, {{"worker", worker}, {"kind", kind}});
        durations.record(static_cast<double>(n % 100) * 0.001, {{"kind", kind}});
        ++n;
      }
      recorded[static_cast<std::size_t>(t)] = n;
    });
  }

  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics";
  const auto wrk = test::run_program(kWrk, {"-t2", "-c20", "-d30s", "--latency", url}, {}, 90s);
  stop = true;
  for (auto& r : recorders) r.join();

  ASSERT_EQ(wrk.exit_code, 0) << wrk.out << wrk.err;
  EXPECT_EQ(wrk.out.find("Non-2xx"), std::string::npos) << wrk.out;
  EXPECT_EQ(wrk.out.find("Socket errors"), std::string::npos) << wrk.out;
  const std::string requests = wrk_field(wrk.out, "Requests/sec:");
  ASSERT_FALSE(requests.empty()) << wrk.out;
  EXPECT_GT(std::stod(requests), 10.0) << wrk.out;
  std::cout << "wrk -t2 -c20 -d30s on /metrics while two threads record: " << requests
            << " req/s, p50 " << wrk_field(wrk.out, "50%") << ", p99 " << wrk_field(wrk.out, "99%")
            << "; recorded " << recorded[0] + recorded[1] << " operations\n";
  RecordProperty("requests_per_second", requests);
  RecordProperty("p99", wrk_field(wrk.out, "99%"));

  // Nothing recorded was lost while the scrapes ran.
  const auto last = reader.scrape("text/plain");
  ASSERT_TRUE(last.ok()) << last.error;
  const double total = static_cast<double>(recorded[0] + recorded[1]);
  ASSERT_GT(total, 0);
  EXPECT_EQ(sum_samples(last.body, "kopiur_test_load_operations_total"), total);
  EXPECT_EQ(sum_samples(last.body, "kopiur_test_load_duration_seconds_count"), total);
  EXPECT_EQ(server.stats().total(), 0u) << "no connection was refused or cut off";
}

}  // namespace
}  // namespace kopiur::telemetry::http
