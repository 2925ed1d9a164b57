// A real Prometheus server scrapes kopiur-controller's /metrics; the test reads the series back
// through Prometheus's query API.

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include "child_process.hpp"
#include "support/prometheus_server.hpp"

namespace kopiur::test {
namespace {

using namespace std::chrono_literals;

TEST(ControllerScrapedByPrometheus, SeriesArriveWithTheirValues) {
  ASSERT_TRUE(PrometheusServer::available()) << "Debian package 'prometheus' is not installed";
  const int port = free_tcp_port();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  ChildProcess controller(program_path("kopiur-controller"),
                          {"--standalone", "--http-addr", address},
                          {{"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test"}});

  // The controller's own view, straight from its endpoint.
  httplib::Client client("127.0.0.1", port);
  std::string body;
  for (auto deadline = std::chrono::steady_clock::now() + 20s;
       body.empty() && std::chrono::steady_clock::now() < deadline;) {
    if (auto res = client.Get("/metrics"); res && res->status == 200) {
      body = res->body;
    } else {
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_FALSE(body.empty()) << controller.out() << controller.err();
  const std::string sample = "\nprocess_start_time_seconds ";
  const auto at = body.find(sample);
  ASSERT_NE(at, std::string::npos) << body;
  const double start_time = std::stod(body.substr(at + sample.size()));

  PrometheusServer prom({.target = address});
  ASSERT_EQ(prom.start(), "");

  auto up = prom.wait_for(R"(up{job="kopiur"})", PrometheusServer::has_value(1), 30s);
  ASSERT_TRUE(up.satisfied) << up.describe() << prom.log();

  auto started = prom.wait_for("process_start_time_seconds", PrometheusServer::non_empty(), 10s);
  ASSERT_TRUE(started.satisfied) << started.describe();
  EXPECT_NEAR(*PrometheusServer::first_value(started.last_result), start_time, 0.01);

  // The resource arrives as target_info, OTEL_RESOURCE_ATTRIBUTES included.
  auto info = prom.wait_for(
      R"(target_info{service_name="kopiur-controller",deployment_environment="test"})",
      PrometheusServer::has_value(1), 10s);
  EXPECT_TRUE(info.satisfied) << info.describe();

  auto rss = prom.wait_for("process_resident_memory_bytes > 0", PrometheusServer::non_empty(), 10s);
  EXPECT_TRUE(rss.satisfied) << rss.describe();

  controller.signal(SIGTERM);
  EXPECT_EQ(controller.wait(15s), std::optional<int>(0));
}

}  // namespace
}  // namespace kopiur::test
