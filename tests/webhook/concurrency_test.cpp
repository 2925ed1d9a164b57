// AdmissionWebhook::handle() from several threads at once (as the server's worker pool calls it):
// every answer right, every one counted exactly once.
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"
#include "kopiur/telemetry/resource.hpp"
#include "kopiur/webhook/webhook.hpp"

#include "webhook/objects.hpp"

namespace kopiur::webhook::test {
namespace {

TEST(WebhookConcurrency, ParallelReviewsAreAnsweredAndCountedExactly) {
  telemetry::metrics::MeterProvider provider;
  auto meter = provider.meter();
  const MapLookup lookup = cluster();
  const AdmissionWebhook webhook(meter, &lookup);
  json bad = backup_schedule();
  bad["spec"]["schedule"]["cron"] = "0 24 * * *";
  const std::vector<std::string> bodies = {review(backup_config()).dump(), review(bad).dump(),
                                           "not json"};
  constexpr int kThreads = 4;
  constexpr int kEach = 300;
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      telemetry::http::Request request;
      for (int i = 0; i < kEach; ++i) {
        const std::size_t which = static_cast<std::size_t>(i + t) % bodies.size();
        request.body = bodies[which];
        const auto response = webhook.handle(request);
        const auto answer = json::parse(response.body);
        const bool allowed = answer["response"]["allowed"] == true;
        if (allowed != (which == 0) || response.status != (which == 2 ? 400 : 200)) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  const std::string text =
      telemetry::metrics::PrometheusReader(provider, telemetry::Resource()).scrape("").body;
  const int per_body = kThreads * kEach / 3;
  for (const std::string& line :
       {"kopiur_webhook_admission_total{decision=\"allowed\",kind=\"BackupConfig\"} " +
            std::to_string(per_body),
        "kopiur_webhook_admission_total{decision=\"denied\",kind=\"BackupSchedule\"} " +
            std::to_string(per_body),
        "kopiur_webhook_malformed_requests_total{reason=\"not_json\"} " +
            std::to_string(per_body)}) {
    EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << line << "\n" << text;
  }
}

}  // namespace
}  // namespace kopiur::webhook::test
