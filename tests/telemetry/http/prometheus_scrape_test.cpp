// A real Prometheus server scrapes an in-process HttpServer; the test reads the samples back
// through Prometheus's query API. Proves the endpoint (its gzip, its TLS) works with the real
// client.
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kopiur/telemetry/http/server.hpp"

#include "support/prometheus_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

namespace kopiur::telemetry::http {
namespace {

using namespace std::chrono_literals;
using test::PrometheusServer;

// Fixed exposition text, over kMinGzipBytes so a gzip-accepting scraper gets it compressed.
std::string fixed_exposition() {
  std::string text =
      "# HELP kopiur_test_fixed_total A fixed counter for the scrape test.\n"
      "# TYPE kopiur_test_fixed_total counter\n"
      "kopiur_test_fixed_total{phase=\"ready\"} 42\n"
      "# HELP kopiur_test_series One series per index.\n"
      "# TYPE kopiur_test_series gauge\n";
  for (int i = 0; i < 50; ++i) {
    text += "kopiur_test_series{index=\"" + std::to_string(i) + "\"} " + std::to_string(i) + "\n";
  }
  return text;
}

TEST(PrometheusScrape, RealPrometheusScrapesTheMetricsRoute) {
  ASSERT_TRUE(PrometheusServer::available())
      << "/usr/bin/prometheus is missing: tools/setup-deps.sh installs it (Debian package "
         "prometheus)";

  ServerOptions plain_options;
  plain_options.address = "127.0.0.1:0";
  HttpServer server(plain_options);
  std::atomic<int> scrapes{0};
  std::mutex mu;
  std::string accept_seen;
  add_metrics_route(server, "/metrics", [&](std::string_view accept) -> ScrapeResult {
    ++scrapes;
    {
      std::lock_guard lock(mu);
      accept_seen = accept;
    }
    return {"text/plain; version=0.0.4; charset=utf-8", fixed_exposition()};
  });
  ASSERT_EQ(server.start(), "");
  ASSERT_GT(fixed_exposition().size(), kMinGzipBytes);

  // The webhook's case: the same route over TLS, scraped with certificate verification.
  test::TempDir dir;
  test::TestCa ca;
  const test::Pem leaf = ca.issue("kopiur-webhook", 7);
  test::write_file_atomically(dir.file("ca.pem"), ca.cert_pem());
  test::write_file_atomically(dir.file("tls.crt"), leaf.cert);
  test::write_file_atomically(dir.file("tls.key"), leaf.key);
  ServerOptions tls_options;
  tls_options.address = "127.0.0.1:0";
  tls_options.tls = TlsFiles{dir.file("tls.crt"), dir.file("tls.key")};
  HttpServer tls_server(tls_options);
  add_metrics_route(tls_server, "/metrics", [](std::string_view) -> ScrapeResult {
    return {"text/plain; version=0.0.4; charset=utf-8",
            "# TYPE kopiur_test_tls_gauge gauge\nkopiur_test_tls_gauge 8443\n"};
  });
  ASSERT_EQ(tls_server.start(), "");

  test::PrometheusOptions options{.target = "127.0.0.1:" + std::to_string(server.port())};
  test::ScrapeJob tls_job;
  tls_job.job = "kopiur-tls";
  tls_job.target = "127.0.0.1:" + std::to_string(tls_server.port());
  tls_job.scheme = "https";
  tls_job.ca_file = dir.file("ca.pem");
  options.extra_jobs.push_back(tls_job);
  PrometheusServer prom(options);
  ASSERT_EQ(prom.start(), "");

  const auto up = prom.wait_for("up{job=\"kopiur\"}", PrometheusServer::has_value(1), 15s);
  ASSERT_TRUE(up.satisfied) << up.describe() << "\n" << prom.log();
  const auto counter = prom.wait_for("kopiur_test_fixed_total{phase=\"ready\"}",
                                     PrometheusServer::has_value(42), 5s);
  EXPECT_TRUE(counter.satisfied) << counter.describe();
  const auto count =
      prom.wait_for("count(kopiur_test_series)", PrometheusServer::has_value(50), 5s);
  EXPECT_TRUE(count.satisfied) << count.describe();
  const auto sum = prom.wait_for("sum(kopiur_test_series)", PrometheusServer::has_value(1225), 5s);
  EXPECT_TRUE(sum.satisfied) << sum.describe();
  // Prometheus reports how many samples the last scrape parsed: 51, none lost or mangled.
  const auto samples =
      prom.wait_for("scrape_samples_scraped{job=\"kopiur\"}", PrometheusServer::has_value(51), 5s);
  EXPECT_TRUE(samples.satisfied) << samples.describe();

  const auto tls_up = prom.wait_for("up{job=\"kopiur-tls\"}", PrometheusServer::has_value(1), 5s);
  EXPECT_TRUE(tls_up.satisfied) << tls_up.describe();
  const auto tls_value = prom.wait_for("kopiur_test_tls_gauge{job=\"kopiur-tls\"}",
                                       PrometheusServer::has_value(8443), 5s);
  EXPECT_TRUE(tls_value.satisfied) << tls_value.describe();

  // A bad query surfaces Prometheus's error instead of an empty result.
  EXPECT_THROW((void)prom.query("sum("), std::runtime_error);

  EXPECT_GE(scrapes.load(), 1);
  std::lock_guard lock(mu);
  EXPECT_THAT(accept_seen, ::testing::HasSubstr("text/plain"));
}

}  // namespace
}  // namespace kopiur::telemetry::http
