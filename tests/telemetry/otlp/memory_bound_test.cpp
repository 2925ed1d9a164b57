// The collector down while a program logs without pause: the OTLP log exporter keeps at most its
// queue (OTEL_BLRP_MAX_QUEUE_SIZE records) and drops the rest, so resident memory stays flat
// however much is logged (docs/reliability.md, "OTLP collector faults"). Measured as VmRSS in the
// release tree: under ASan, freed records would stay resident in its quarantine.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "kopiur/telemetry/otlp/log_layer.hpp"

#include "support/ports.hpp"
#include "telemetry/otlp/test_env.hpp"

namespace kopiur::telemetry::otlp {
namespace {

using namespace std::chrono_literals;

// Resident memory of this process, in KiB.
std::int64_t resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

TEST(OtlpMemory, CollectorDownHoldsNoMoreThanItsQueueHoweverMuchIsLogged) {
  const auto port = test::unused_loopback_port();
  ASSERT_NE(port, 0);
  auto config = testing::config_for(
      {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + std::to_string(port)},
       {"OTEL_BLRP_MAX_QUEUE_SIZE", "2048"},
       {"OTEL_BLRP_SCHEDULE_DELAY", "5"},
       {"OTEL_EXPORTER_OTLP_TIMEOUT", "100"}});
  OtlpLogLayer layer(config, {});
  const std::string body(1024, 'x');  // 1 KiB per record
  const auto log_records = [&](int n) {
    for (int i = 0; i < n; ++i) {
      layer.on_event(
          {std::chrono::system_clock::now(), log::Level::Info, "kopiur::test", body, {}, nullptr});
    }
  };
  log_records(20'000);  // the queue fills, the exporter's buffers and gRPC's channel exist
  const auto before = resident_kib();
  ASSERT_GT(before, 0);
  constexpr int kRecords = 300'000;  // 300 MiB of messages
  log_records(kRecords);
  const auto after = resident_kib();
  const auto c = layer.counters();
  std::printf("collector down: %d records of 1 KiB logged, RSS %lld -> %lld KiB, %llu dropped\n",
              kRecords, static_cast<long long>(before), static_cast<long long>(after),
              static_cast<unsigned long long>(c.dropped_queue_full + c.dropped_export_failed));
  RecordProperty("rss_growth_kib", static_cast<int>(after - before));
  // The queue holds at most 2,048 records (about 2.5 MiB with their fields); 16 MiB is the
  // failure bound, against the 300 MiB an unbounded queue would keep.
  EXPECT_LT(after - before, 16 * 1024) << "KiB of growth";
  EXPECT_EQ(c.exported, 0u);
  // Of the 320,000 logged, at most a queue and a batch are still held: the rest were refused at
  // the full queue or dropped when their export failed (how they split depends on how fast the
  // dead collector's connection is refused).
  EXPECT_GE(c.dropped_queue_full + c.dropped_export_failed, static_cast<std::uint64_t>(kRecords));
  const auto start = std::chrono::steady_clock::now();
  layer.shutdown(300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

}  // namespace
}  // namespace kopiur::telemetry::otlp
