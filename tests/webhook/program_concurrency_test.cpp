// kopiur-webhook over HTTPS under four clients at once sending valid and bad requests: every
// answer right, every metric exact, the process up (docs/reliability.md, "Webhook under
// concurrent bad requests").
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "kopiur/webhook/admission.hpp"

#include "program_fixture.hpp"

namespace kopiur::webhook::test {
namespace {

using namespace std::chrono_literals;
using kopiur::test::run_program;

// Four clients at once over HTTPS, each on its own connection, cycling through valid and denied
// reviews, bodies that are not JSON, empty or cut short, a JSON array, a valid review sent as
// text/plain (decided on its body: the API server only ever sends application/json, and the
// webhook does not refuse others) and, now and then, a body over 3 MiB. Every answer is the one
// for its request, the metrics count each kind exactly, and the process stays up.
TEST_F(WebhookProgram, ConcurrentBadRequestsOverHttpsAreAnsweredAndCountedExactly) {
  json bad = maintenance();
  bad["spec"]["schedule"]["full"]["cron"] = "0 0 31 4 *";
  const std::string valid = review(restore(), "CREATE", nullptr, "r-1").dump();
  struct Case {
    std::string body;
    std::string content_type;
    int status;
    std::string expect;  // a piece of the answer
  };
  const std::vector<Case> cases = {
      {valid, "application/json", 200, "\"allowed\":true"},
      {review(bad, "CREATE", nullptr, "m-1").dump(), "application/json", 200, "never runs"},
      {"hello", "application/json", 400, "request body is not JSON"},
      {"", "application/json", 400, "request body is not JSON"},
      {valid.substr(0, valid.size() / 2), "application/json", 400, "request body is not JSON"},
      {"[1,2]", "application/json", 400, "is a JSON array"},
      {valid, "text/plain", 200, "\"allowed\":true"},
  };
  kopiur::test::write_file_atomically(dir_.file("big"), std::string(kMaxReviewBytes + 1, ' '));
  constexpr int kThreads = 4;
  constexpr int kEach = 42;      // 6 rounds of the 7 cases
  constexpr int kBigEvery = 14;  // and a body over 3 MiB every 14th request
  std::vector<int> sent(cases.size(), 0);
  std::atomic<int> big_sent{0};
  std::mutex mu;
  std::vector<std::string> wrong;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::SSLClient client("127.0.0.1", port_);
      client.set_ca_cert_path(dir_.file("ca.crt").c_str());
      client.enable_server_certificate_verification(true);
      for (int i = 0; i < kEach; ++i) {
        if ((i + t) % kBigEvery == 0) {
          // curl announces the body (Expect: 100-continue), so it reads the 413 the server sends
          // before reading it; a client that just writes 3 MiB meets a closed connection.
          const auto r = run_program(
              "/usr/bin/curl",
              {"-sS", "--cacert", dir_.file("ca.crt"), "-o", "/dev/null", "-w", "%{http_code}",
               "-H", "Content-Type: application/json", "--data-binary", "@" + dir_.file("big"),
               "https://127.0.0.1:" + std::to_string(port_) + "/validate"});
          ++big_sent;
          if (r.out != "413") {
            std::lock_guard lock(mu);
            wrong.push_back("big: " + r.out + " " + r.err);
          }
        }
        const std::size_t which = static_cast<std::size_t>(i + t) % cases.size();
        const Case& c = cases[which];
        auto res = client.Post("/validate", c.body, c.content_type);
        std::lock_guard lock(mu);
        ++sent[which];
        if (!res || res->status != c.status || res->body.find(c.expect) == std::string::npos) {
          wrong.push_back("case " + std::to_string(which) + ": " +
                          (res ? std::to_string(res->status) + " " + res->body
                               : httplib::to_string(res.error())));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(wrong.empty()) << wrong.size() << " wrong, first: " << wrong.front();
  EXPECT_FALSE(webhook_->wait(0ms).has_value()) << webhook_->err();
  EXPECT_EQ(curl({"/healthz"}).out, "ok");

  const auto metrics = curl({"/metrics"});
  const auto line = [](const std::string& series, int value) {
    return "\n" + series + " " + std::to_string(value) + "\n";
  };
  for (const std::string& expected :
       {line("kopiur_webhook_admission_total{decision=\"allowed\",kind=\"Restore\"}",
             sent[0] + sent[6]),
        line("kopiur_webhook_admission_duration_seconds_count{kind=\"Restore\"}",
             sent[0] + sent[6]),
        line("kopiur_webhook_admission_total{decision=\"denied\",kind=\"Maintenance\"}", sent[1]),
        line("kopiur_webhook_malformed_requests_total{reason=\"not_json\"}",
             sent[2] + sent[3] + sent[4]),
        line("kopiur_webhook_malformed_requests_total{reason=\"not_admission_review\"}", sent[5]),
        line("kopiur_webhook_malformed_requests_total{reason=\"too_large\"}", big_sent.load())}) {
    EXPECT_NE(metrics.out.find(expected), std::string::npos) << expected << metrics.out;
  }
  EXPECT_EQ(sent[0] + sent[1] + sent[2] + sent[3] + sent[4] + sent[5] + sent[6], kThreads * kEach);
  EXPECT_GE(big_sent.load(), kThreads * (kEach / kBigEvery));
}

}  // namespace
}  // namespace kopiur::webhook::test
