// A scrape whose rendering fails must not be served as an empty 200 (Prometheus would see every
// series go stale instead of `up == 0`): the reader reports the failure and /metrics answers 500
// with the reason. The failure injected is the realistic one, out of memory: this executable
// replaces operator new so that, while armed, any allocation of 1 MiB or more throws.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include <gtest/gtest.h>

#include "kopiur/app/program.hpp"
#include "kopiur/telemetry/http/server.hpp"
#include "kopiur/telemetry/log/sink.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"
#include "kopiur/telemetry/telemetry.hpp"

#include "telemetry/http/raw_client.hpp"

namespace {

constexpr std::size_t kLargeAllocation = std::size_t{1} << 20;
std::atomic<bool> g_fail_large{false};

void* allocate(std::size_t size) {
  if (g_fail_large.load(std::memory_order_relaxed) && size >= kLargeAllocation) {
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

// Arms the failure for the life of the guard.
struct FailLargeAllocations {
  FailLargeAllocations() { g_fail_large.store(true); }
  ~FailLargeAllocations() { g_fail_large.store(false); }
  FailLargeAllocations(const FailLargeAllocations&) = delete;
  FailLargeAllocations& operator=(const FailLargeAllocations&) = delete;
};

}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace kopiur::telemetry {
namespace {

// A series whose label value alone is larger than the armed limit, so rendering must allocate
// more than 1 MiB.
void record_large_series(metrics::Meter& meter) {
  const std::string big(kLargeAllocation + 1000, 'x');
  meter.create_counter_u64("kopiur_big_requests", "{request}", "Requests.").add(1, {{"big", big}});
}

TEST(ScrapeFailure, TheReaderReportsAFailedRenderInsteadOfAnEmptyBody) {
  metrics::MeterProvider provider;
  metrics::Meter meter = provider.meter();
  record_large_series(meter);
  metrics::PrometheusReader reader(provider,
                                   Resource(Resource::Attributes{{"service.name", "svc"}}));
  const metrics::ScrapeResult good = reader.scrape("text/plain");
  EXPECT_TRUE(good.ok()) << good.error;
  EXPECT_NE(good.body.find("kopiur_big_requests_total{big=\"xxx"), std::string::npos);
  metrics::ScrapeResult failed;
  {
    FailLargeAllocations armed;
    failed = reader.scrape("text/plain");
  }
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.body, "");
  EXPECT_NE(failed.error.find("rendering the exposition failed"), std::string::npos)
      << failed.error;
  EXPECT_NE(failed.error.find("bad_alloc"), std::string::npos) << failed.error;
  EXPECT_TRUE(reader.scrape("text/plain").ok()) << "the next scrape works again";
}

TEST(ScrapeFailure, TheMetricsRouteAnswers500WithTheReason) {
  TelemetryOptions options;
  options.service_name = "kopiur-test";
  options.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  options.sink = std::make_shared<log::CaptureSink>();
  options.is_tty = false;
  options.install_logger = false;
  TelemetryInit init = init_telemetry(std::move(options));
  ASSERT_NE(init.telemetry, nullptr) << init.fatal_error;
  record_large_series(init.telemetry->meter());

  http::ServerOptions server_options;
  server_options.address = "127.0.0.1:0";
  server_options.gzip = false;
  http::HttpServer server(server_options);
  http::Health health;
  app::add_observability_routes(server, *init.telemetry, health);
  ASSERT_EQ(server.start(), "");

  const auto ok = http::testing::send(server.port(), "GET", "/metrics");
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("kopiur_big_requests_total"), std::string::npos);
  http::testing::RawResponse failed;
  {
    FailLargeAllocations armed;
    failed = http::testing::send(server.port(), "GET", "/metrics");
  }
  EXPECT_EQ(failed.status, 500);
  EXPECT_NE(failed.body.find("rendering the exposition failed"), std::string::npos) << failed.body;
  EXPECT_NE(failed.body.find("bad_alloc"), std::string::npos) << failed.body;
  EXPECT_EQ(http::testing::send(server.port(), "GET", "/metrics").status, 200);
  server.stop();
}

}  // namespace
}  // namespace kopiur::telemetry
