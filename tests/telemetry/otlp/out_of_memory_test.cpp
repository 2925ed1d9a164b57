// The span and log exporters' queue (BatchProcessor) out of memory: a push that cannot queue and
// a batch that cannot be built drop their items and count them (dropped_out_of_memory); neither
// ends the process, and flush still returns.
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "telemetry/metrics/fail_allocations.hpp"
#include "telemetry/otlp/detail/batch_processor.hpp"

namespace kopiur::telemetry::otlp::detail {
namespace {

using namespace std::chrono_literals;
using telemetry::testing::FailAllocationsOnThisThread;
using telemetry::testing::FailLargeAllocations;

struct Fixture {
  DropReporter reporter{"logs", "log records", {}, std::chrono::minutes(1)};
  std::atomic<std::size_t> exported{0};
  BatchConfig config{.schedule_delay = 10s, .max_queue_size = 4096, .max_export_batch_size = 256};
  BatchProcessor<std::string> processor{config, 1s,
                                        [this](std::vector<std::string>& batch, auto) {
                                          exported += batch.size();
                                          return true;
                                        },
                                        [] {}, reporter};
};

TEST(BatchProcessorOutOfMemory, APushThatCannotQueueIsDroppedAndCounted) {
  Fixture f;
  std::size_t queued = 0;
  {
    FailAllocationsOnThisThread fail;  // the deque needs a new block every few items
    for (int i = 0; i < 100; ++i) queued += f.processor.try_push(std::string("x")) ? 1 : 0;
  }
  const auto counters = f.reporter.counters();
  EXPECT_GT(counters.dropped_out_of_memory, 0U);
  EXPECT_EQ(queued + counters.dropped_out_of_memory, 100U);
  ASSERT_TRUE(f.processor.flush(10s));
  EXPECT_EQ(f.exported.load(), queued);
}

TEST(BatchProcessorOutOfMemory, ABatchThatCannotBeBuiltIsDroppedAndCounted) {
  Fixture f;
  {
    // The queue's blocks are 512 bytes; a batch of 256 strings needs 8 KiB at once.
    FailLargeAllocations fail(4096);
    for (int i = 0; i < 256; ++i) ASSERT_TRUE(f.processor.try_push(std::string("x")));
    ASSERT_TRUE(f.processor.flush(10s));  // the worker drops the batch, flush still returns
  }
  EXPECT_EQ(f.reporter.counters().dropped_out_of_memory, 256U);
  EXPECT_EQ(f.exported.load(), 0U);
  ASSERT_TRUE(f.processor.try_push(std::string("after")));  // memory back: business as usual
  ASSERT_TRUE(f.processor.flush(10s));
  EXPECT_EQ(f.exported.load(), 1U);
}

}  // namespace
}  // namespace kopiur::telemetry::otlp::detail
