// Fault handling: a dead, slow, refusing or rate-limiting collector; metadata, gzip and TLS.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "kopiur/telemetry/otlp/log_layer.hpp"
#include "kopiur/telemetry/otlp/metrics_reader.hpp"
#include "kopiur/telemetry/otlp/trace_layer.hpp"

#include "support/ports.hpp"
#include "telemetry/otlp/byte_counting_proxy.hpp"
#include "telemetry/otlp/fake_meter.hpp"
#include "telemetry/otlp/test_collector.hpp"
#include "telemetry/otlp/test_env.hpp"

namespace kopiur::telemetry::otlp {
namespace {

using testing::config_for;
using testing::TestCollector;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kWait = std::chrono::milliseconds{10000};

// A port nothing listens on.
int dead_port() { return test::unused_loopback_port(); }

log::Event event(std::string_view message) {
  return {std::chrono::system_clock::now(), log::Level::Info, "kopiur::test", message, {}, nullptr};
}

OtlpConfig fast_retry(OtlpConfig config) {
  config.retry.initial_backoff = 10ms;
  config.retry.max_backoff = 40ms;
  return config;
}

std::size_t log_records(const TestCollector& collector) {
  std::size_t n = 0;
  for (const auto& request : collector.logs()) {
    for (const auto& rl : request.resource_logs()) {
      for (const auto& sl : rl.scope_logs()) n += static_cast<std::size_t>(sl.log_records_size());
    }
  }
  return n;
}

TEST(OtlpFaults, CollectorDownLoggingNeverBlocksDropsAreCountedShutdownIsBounded) {
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(dead_port());
  auto config = config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", endpoint},
                            {"OTEL_BLRP_MAX_QUEUE_SIZE", "64"},
                            {"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "16"},
                            {"OTEL_BLRP_SCHEDULE_DELAY", "5"}});
  std::mutex mutex;
  std::vector<std::string> warnings;
  OtlpLogLayer layer(config, {}, [&](const std::string& w) {
    std::lock_guard lock(mutex);
    warnings.push_back(w);
  });
  for (int i = 0; i < 1000; ++i) layer.on_event(event("lost"));
  const auto before = layer.counters();
  EXPECT_GT(before.dropped_queue_full, 0u) << "a full queue refuses instead of blocking";
  EXPECT_EQ(before.exported, 0u);

  const auto start = SteadyClock::now();
  layer.shutdown(300ms);
  const auto took = SteadyClock::now() - start;
  EXPECT_LT(took, 3s) << "shutdown must return near its bound with the collector down";
  const auto after = layer.counters();
  EXPECT_EQ(after.exported, 0u);
  EXPECT_EQ(after.dropped_queue_full + after.dropped_export_failed, 1000u)
      << "every record is accounted for";
  std::lock_guard lock(mutex);
  ASSERT_EQ(warnings.size(), 1u) << "one rate-limited warning";
  EXPECT_NE(warnings[0].find("OTLP logs export is losing data"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find(endpoint), std::string::npos) << warnings[0];
}

TEST(OtlpFaults, CollectorDownEveryExporterShutsDownWithinItsBound) {
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(dead_port());
  auto config = config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", endpoint}});  // 10 s export timeout
  testing::FakeMeter meter;
  const auto c = meter.add(
      {"kopiur_x", "", "", metrics::InstrumentKind::Counter, metrics::ValueType::Int64, {}});
  meter.update(c, {}, [](auto& s) { s.number.as_int = 1; });
  OtlpMetricsReader reader(config, {}, [&](metrics::CollectVisitor& v) { meter.collect(v); });
  OtlpTraceLayer traces(config, {});
  OtlpLogLayer logs(config, {});
  log::SpanRecord span;
  span.name = "s";
  traces.on_span_close(span);
  logs.on_event(event("x"));

  const auto start = SteadyClock::now();
  EXPECT_FALSE(reader.shutdown(250ms));
  traces.shutdown(250ms);
  logs.shutdown(250ms);
  EXPECT_LT(SteadyClock::now() - start, 3s);
  EXPECT_EQ(reader.counters().exported, 0u);
  EXPECT_GE(reader.counters().failed_exports, 1u);
  EXPECT_EQ(traces.counters().dropped_export_failed, 1u);
  EXPECT_EQ(logs.counters().dropped_export_failed, 1u);
}

TEST(OtlpFaults, SlowCollectorHitsTheExportDeadlineThenRecovers) {
  TestCollector collector;
  collector.set_delay(2000ms);
  auto config = fast_retry(config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()},
                                       {"OTEL_EXPORTER_OTLP_TIMEOUT", "200"}}));
  OtlpLogLayer layer(config, {});
  layer.on_event(event("slow"));
  const auto start = SteadyClock::now();
  EXPECT_TRUE(layer.flush(kWait));  // the export finished (by failing), within its timeout
  EXPECT_LT(SteadyClock::now() - start, 1500ms);
  EXPECT_EQ(layer.counters().failed_exports, 1u);
  EXPECT_EQ(log_records(collector), 0u);

  collector.set_delay(0ms);
  layer.on_event(event("fast"));
  EXPECT_TRUE(layer.flush(kWait));
  EXPECT_EQ(log_records(collector), 1u);
}

TEST(OtlpFaults, UnavailableAFewTimesThenOkDeliversOnce) {
  TestCollector collector;
  collector.fail_next(3, grpc::StatusCode::UNAVAILABLE);
  OtlpLogLayer layer(
      fast_retry(config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()}})), {});
  for (int i = 0; i < 5; ++i) layer.on_event(event("retry me"));
  ASSERT_TRUE(layer.flush(kWait));
  EXPECT_EQ(collector.calls().size(), 4u);
  EXPECT_EQ(collector.logs().size(), 1u);
  EXPECT_EQ(log_records(collector), 5u);
  EXPECT_EQ(layer.counters().exported, 5u);
  EXPECT_EQ(layer.counters().failed_exports, 0u);
}

// A flapping collector: bursts of UNAVAILABLE every 20 ms while 3,000 records are logged at a
// steady pace. Logging never waits for the exporter, every record is either delivered once or
// counted as dropped, and shutdown keeps its bound.
TEST(OtlpFaults, FlappingCollectorLosesNothingUnaccountedAndNeverDelaysLogging) {
  TestCollector collector;
  auto config = fast_retry(config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()},
                                       {"OTEL_BLRP_MAX_QUEUE_SIZE", "512"},
                                       {"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "32"},
                                       {"OTEL_BLRP_SCHEDULE_DELAY", "5"}}));
  OtlpLogLayer layer(config, {});
  std::atomic<bool> done{false};
  int bursts = 0;
  std::thread flapper([&] {
    while (!done.load()) {
      collector.fail_next(2, grpc::StatusCode::UNAVAILABLE);  // down for the next 2 calls
      ++bursts;
      // The interval between outages is the scenario, not a wait for an event.
      std::this_thread::sleep_for(20ms);
    }
  });
  constexpr int kRecords = 3000;
  auto slowest = SteadyClock::duration::zero();
  for (int i = 0; i < kRecords; ++i) {
    const auto start = SteadyClock::now();
    layer.on_event(event("flapping"));
    slowest = std::max(slowest, SteadyClock::now() - start);
    if (i % 10 == 9) std::this_thread::sleep_for(2ms);  // a steady producer, not a burst
  }
  done = true;
  flapper.join();
  collector.fail_next(0, grpc::StatusCode::UNAVAILABLE);  // up for good

  const auto start = SteadyClock::now();
  layer.shutdown(5s);
  EXPECT_LT(SteadyClock::now() - start, 8s) << "shutdown keeps its bound";
  const auto c = layer.counters();
  EXPECT_GE(bursts, 10) << "the collector flapped during the run";
  EXPECT_EQ(c.exported + c.dropped_queue_full + c.dropped_export_failed + c.dropped_out_of_memory,
            static_cast<std::uint64_t>(kRecords))
      << "every record delivered or counted as dropped";
  EXPECT_EQ(log_records(collector), c.exported) << "delivered exactly once, no duplicates";
  EXPECT_GT(c.exported, 0u);
  // A failure bound (the exporter works on its own thread); a record costs microseconds.
  EXPECT_LT(slowest, 250ms) << "logging waited for the exporter";
  std::printf(
      "flapping collector: %d outages, %llu of %d records delivered, slowest on_event %lld us\n",
      bursts, static_cast<unsigned long long>(c.exported), kRecords,
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::microseconds>(slowest).count()));
}

// The collector's process goes away (its port closes, the open connection with it) and a new
// one comes up on the same port: the exporter reconnects by itself, the new collector receives
// what is logged after it is up, and every record is delivered once or counted as dropped.
TEST(OtlpFaults, CollectorRestartedOnTheSamePortReceivesWhatFollowsAndNothingIsUnaccounted) {
  auto first = std::make_unique<TestCollector>();
  const int port = first->port();
  auto config = fast_retry(config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", first->endpoint()},
                                       {"OTEL_BLRP_MAX_QUEUE_SIZE", "256"},
                                       {"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "16"},
                                       {"OTEL_BLRP_SCHEDULE_DELAY", "5"},
                                       {"OTEL_EXPORTER_OTLP_TIMEOUT", "500"}}));
  OtlpLogLayer layer(config, {});
  int logged = 0;
  for (; logged < 100; ++logged) layer.on_event(event("before"));
  ASSERT_TRUE(layer.flush(kWait));
  const std::size_t to_first = log_records(*first);
  EXPECT_EQ(to_first, 100u);

  first.reset();  // gone: the port is closed
  for (int i = 0; i < 100; ++i, ++logged) layer.on_event(event("while down"));
  TestCollector second(std::nullopt, 0, port);
  ASSERT_EQ(second.port(), port);
  // A steady producer until the new collector has records (gRPC reconnects after its backoff,
  // at most 5 s here); the bound is a failure bound.
  const auto deadline = SteadyClock::now() + 30s;
  auto slowest = SteadyClock::duration::zero();
  while (log_records(second) == 0 && SteadyClock::now() < deadline) {
    for (int i = 0; i < 10; ++i, ++logged) {
      const auto start = SteadyClock::now();
      layer.on_event(event("after"));
      slowest = std::max(slowest, SteadyClock::now() - start);
    }
    std::this_thread::sleep_for(20ms);  // the producer's pace, not a wait for an event
  }
  layer.shutdown(5s);
  const auto c = layer.counters();
  EXPECT_GT(log_records(second), 0u) << "the exporter never reached the restarted collector";
  EXPECT_EQ(c.exported + c.dropped_queue_full + c.dropped_export_failed + c.dropped_out_of_memory,
            static_cast<std::uint64_t>(logged))
      << "every record delivered or counted as dropped";
  EXPECT_EQ(to_first + log_records(second), c.exported) << "delivered exactly once";
  EXPECT_LT(slowest, 250ms) << "logging waited for the exporter";
  std::printf("collector restart: %d records, %zu before, %zu to the new collector, %llu dropped\n",
              logged, to_first, log_records(second),
              static_cast<unsigned long long>(c.dropped_queue_full + c.dropped_export_failed +
                                              c.dropped_out_of_memory));
}

TEST(OtlpFaults, NonRetryableCodeIsNotRetried) {
  TestCollector collector;
  collector.fail_next(1, grpc::StatusCode::INVALID_ARGUMENT);
  OtlpTraceLayer layer(
      fast_retry(config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()}})), {});
  log::SpanRecord span;
  span.name = "rejected";
  layer.on_span_close(span);
  ASSERT_TRUE(layer.flush(kWait));
  EXPECT_EQ(collector.calls().size(), 1u);
  EXPECT_EQ(layer.counters().dropped_export_failed, 1u);
}

TEST(OtlpFaults, ResourceExhaustedRetriedOnlyWithRetryInfoAfterTheAskedDelay) {
  TestCollector collector;
  auto config = fast_retry(config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()}}));
  config.retry.initial_backoff = 1ms;
  OtlpLogLayer layer(config, {});

  collector.fail_next(1, grpc::StatusCode::RESOURCE_EXHAUSTED);
  layer.on_event(event("no hint"));
  ASSERT_TRUE(layer.flush(kWait));
  EXPECT_EQ(collector.calls().size(), 1u);
  EXPECT_EQ(layer.counters().failed_exports, 1u);

  collector.fail_next(1, grpc::StatusCode::RESOURCE_EXHAUSTED, 400ms);
  layer.on_event(event("with hint"));
  ASSERT_TRUE(layer.flush(kWait));
  const auto calls = collector.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_TRUE(calls[1].failed);
  EXPECT_FALSE(calls[2].failed);
  EXPECT_GE(calls[2].at - calls[1].at, 390ms) << "the RetryInfo delay is honoured";
  EXPECT_EQ(log_records(collector), 1u);
}

TEST(OtlpFaults, RetryInfoLongerThanTheTimeoutGivesUpAtOnce) {
  TestCollector collector;
  collector.fail_next(1, grpc::StatusCode::UNAVAILABLE, 60000ms);
  OtlpLogLayer layer(fast_retry(config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()},
                                            {"OTEL_EXPORTER_OTLP_TIMEOUT", "1000"}})),
                     {});
  layer.on_event(event("x"));
  const auto start = SteadyClock::now();
  ASSERT_TRUE(layer.flush(kWait));
  EXPECT_LT(SteadyClock::now() - start, 900ms);
  EXPECT_EQ(collector.calls().size(), 1u);
  EXPECT_EQ(layer.counters().failed_exports, 1u);
}

TEST(OtlpFaults, HeadersArriveAsMetadata) {
  TestCollector collector;
  OtlpLogLayer layer(config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()},
                                 {"OTEL_EXPORTER_OTLP_HEADERS",
                                  "Authorization=Bearer%20t0k3n, X-Scope-OrgID = tenant-1"}}),
                     {});
  layer.on_event(event("x"));
  ASSERT_TRUE(layer.flush(kWait));
  const auto calls = collector.calls();
  ASSERT_EQ(calls.size(), 1u);
  const auto& md = calls[0].metadata;
  ASSERT_EQ(md.count("authorization"), 1u);
  EXPECT_EQ(md.find("authorization")->second, "Bearer t0k3n");
  ASSERT_EQ(md.count("x-scope-orgid"), 1u);
  EXPECT_EQ(md.find("x-scope-orgid")->second, "tenant-1");
  ASSERT_EQ(md.count("user-agent"), 1u);
  EXPECT_NE(md.find("user-agent")->second.find("kopiur-otlp/"), std::string::npos);
}

TEST(OtlpFaults, GzipCompressionShrinksWhatCrossesTheWire) {
  TestCollector collector;
  // The gRPC server API hides the request encoding, so measure the bytes on the wire instead.
  const std::string big(20000, 'a');
  auto bytes_sent = [&](bool gzip) {
    testing::ByteCountingProxy proxy(collector.port());
    testing::EnvMap env{
        {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + std::to_string(proxy.port())}};
    if (gzip) env.emplace("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip");
    OtlpLogLayer layer(config_for(env), {});
    for (int i = 0; i < 20; ++i) layer.on_event(event(big));
    EXPECT_TRUE(layer.flush(kWait));
    EXPECT_EQ(layer.counters().exported, 20u);
    layer.shutdown(kWait);
    return proxy.client_bytes();
  };
  const auto plain = bytes_sent(false);
  const auto gzip = bytes_sent(true);
  EXPECT_GT(plain, 20u * 20000u);
  EXPECT_LT(gzip, plain / 10) << "plain " << plain << " bytes, gzip " << gzip << " bytes";
  EXPECT_EQ(log_records(collector), 40u);
}

// A throw-away CA and a server certificate for 127.0.0.1, made with the openssl CLI.
struct TestPki {
  std::filesystem::path dir;
  testing::TlsFiles files;
  bool ok = false;

  TestPki() {
    dir =
        std::filesystem::temp_directory_path() / ("kopiur-otlp-pki-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string d = dir.string();
    std::ofstream(dir / "san.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    const std::string script =
        "cd '" + d +
        "' && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=kopiur-test-ca -keyout ca.key -out ca.pem && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-subj /CN=127.0.0.1 -keyout server.key -out server.csr && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "-extfile san.ext -out server.pem";
    ok = std::system((script + " >/dev/null 2>&1").c_str()) == 0;
    files.ca_pem = read("ca.pem");
    files.server_cert_pem = read("server.pem");
    files.server_key_pem = read("server.key");
  }
  ~TestPki() { std::filesystem::remove_all(dir); }
  std::string read(const char* name) const {
    std::ifstream in(dir / name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

TEST(OtlpFaults, TlsWithTheConfiguredCaAndFailureWithoutIt) {
  TestPki pki;
  ASSERT_TRUE(pki.ok) << "openssl CLI failed to make the test CA";
  TestCollector collector(pki.files);
  ASSERT_EQ(collector.endpoint().rfind("https://", 0), 0u);

  auto trusted =
      fast_retry(config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()},
                             {"OTEL_EXPORTER_OTLP_CERTIFICATE", (pki.dir / "ca.pem").string()}}));
  OtlpLogLayer good(trusted, {});
  good.on_event(event("over tls"));
  ASSERT_TRUE(good.flush(kWait));
  EXPECT_EQ(good.counters().exported, 1u);
  EXPECT_EQ(log_records(collector), 1u);

  // The system roots do not know the test CA: the handshake fails, nothing arrives.
  auto untrusted = fast_retry(config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()},
                                          {"OTEL_EXPORTER_OTLP_TIMEOUT", "500"}}));
  OtlpLogLayer bad(untrusted, {});
  bad.on_event(event("refused"));
  ASSERT_TRUE(bad.flush(kWait));
  EXPECT_EQ(bad.counters().exported, 0u);
  EXPECT_EQ(bad.counters().failed_exports, 1u);
  EXPECT_EQ(log_records(collector), 1u);
}

}  // namespace
}  // namespace kopiur::telemetry::otlp
