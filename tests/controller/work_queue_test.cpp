// WorkQueue and ErrorBackoff with a ManualClock: deduplication, one worker per key, delays,
// pause, and the backoff sequences of both error classes.
#include "kopiur/controller/work_queue.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kopiur/controller/backoff.hpp"

#include "support/wait.hpp"

namespace kopiur::controller {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, AKeyAddedTwiceIsHandedOutOnce) {
  ManualClock clock;
  WorkQueue queue(clock);
  queue.add("a");
  queue.add("b");
  queue.add("a");
  EXPECT_EQ(queue.counts().ready, 2U);
  EXPECT_EQ(queue.get(), "a");
  EXPECT_EQ(queue.get(), "b");
  EXPECT_EQ(queue.counts().ready, 0U);
  EXPECT_EQ(queue.counts().processing, 2U);
}

TEST(WorkQueue, AKeyAddedWhileProcessingWaitsForDone) {
  ManualClock clock;
  WorkQueue queue(clock);
  queue.add("a");
  ASSERT_EQ(queue.get(), "a");
  queue.add("a");
  queue.add("a");
  EXPECT_EQ(queue.counts().ready, 0U);  // not handed to a second worker while held
  queue.done("a");
  EXPECT_EQ(queue.counts().ready, 1U);  // but seen again afterwards, once
  EXPECT_EQ(queue.get(), "a");
  queue.done("a");
  EXPECT_EQ(queue.counts().ready, 0U);
}

TEST(WorkQueue, DelayedKeysBecomeReadyAtTheirTimeAndTheEarliestWins) {
  ManualClock clock;
  WorkQueue queue(clock);
  queue.add_after("a", 10s);
  queue.add_after("a", 5s);
  queue.add_after("a", 30s);  // later: ignored
  EXPECT_EQ(queue.counts().delayed, 1U);
  clock.advance(4s);
  EXPECT_EQ(queue.counts().ready, 0U);
  clock.advance(1s);
  EXPECT_EQ(queue.get(), "a");  // due at 5 s
  queue.done("a");
  EXPECT_EQ(queue.counts().delayed, 0U);
}

TEST(WorkQueue, AnImmediateAddCancelsAPendingDelay) {
  ManualClock clock;
  WorkQueue queue(clock);
  queue.add_after("a", 5min);
  queue.add("a");
  EXPECT_EQ(queue.counts().delayed, 0U);
  EXPECT_EQ(queue.get(), "a");
  queue.done("a");
  clock.advance(5min);
  EXPECT_EQ(queue.counts().ready, 0U);  // no second, stale reconcile
}

TEST(WorkQueue, AWaitingWorkerWakesWhenTheClockReachesTheDelay) {
  ManualClock clock;
  WorkQueue queue(clock);
  queue.add_after("a", 1min);
  std::atomic<bool> got{false};
  std::thread worker([&] {
    if (queue.get() == "a") got = true;
  });
  EXPECT_FALSE(got.load());
  clock.advance(1min);
  EXPECT_TRUE(test::wait_until([&] { return got.load(); }, 5000ms));
  worker.join();
}

TEST(WorkQueue, PausedQueueKeepsKeysAndHandsThemOutWhenResumed) {
  ManualClock clock;
  WorkQueue queue(clock);
  queue.set_paused(true);
  queue.add("a");
  std::atomic<bool> got{false};
  std::thread worker([&] {
    if (queue.get() == "a") got = true;
  });
  // A short real wait: the paused worker must still be blocked (negative check).
  EXPECT_FALSE(test::wait_until([&] { return got.load(); }, 100ms));
  queue.set_paused(false);
  EXPECT_TRUE(test::wait_until([&] { return got.load(); }, 5000ms));
  worker.join();
}

TEST(WorkQueue, ShutdownReleasesBlockedWorkers) {
  ManualClock clock;
  WorkQueue queue(clock);
  std::thread worker([&] { EXPECT_EQ(queue.get(), std::nullopt); });
  queue.shutdown();
  worker.join();
}

// Many producers adding a few keys while workers process them: never two workers on one key.
TEST(WorkQueue, NeverTwoWorkersOnOneKey) {
  SteadyClock clock;
  WorkQueue queue(clock);
  constexpr int kKeys = 4;
  std::array<std::atomic<int>, kKeys> holders{};
  std::atomic<int> overlaps{0};
  std::atomic<int> handled{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = queue.get()) {
        const int k = std::stoi(*key);
        if (holders[k].fetch_add(1) != 0) overlaps.fetch_add(1);
        std::this_thread::yield();
        holders[k].fetch_sub(1);
        handled.fetch_add(1);
        queue.done(*key);
      }
    });
  }
  for (int i = 0; i < 20000; ++i) queue.add(std::to_string(i % kKeys));
  EXPECT_TRUE(test::wait_until(
      [&] {
        const auto c = queue.counts();
        return c.ready == 0 && c.processing == 0;
      },
      10000ms));
  queue.shutdown();
  for (auto& t : workers) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GE(handled.load(), kKeys);
  EXPECT_LT(handled.load(), 20000);  // deduplicated
}

TEST(ErrorBackoff, TransientDoublesFromOneSecondToFiveMinutes) {
  ErrorBackoff backoff;
  std::vector<std::int64_t> seconds;
  for (int i = 0; i < 11; ++i) {
    seconds.push_back(
        std::chrono::duration_cast<std::chrono::seconds>(backoff.next("a", ErrorClass::kTransient))
            .count());
  }
  EXPECT_EQ(seconds, (std::vector<std::int64_t>{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300}));
  EXPECT_EQ(backoff.failures("a"), 11U);
  EXPECT_EQ(backoff.next("b", ErrorClass::kTransient), 1s);  // per object
  backoff.forget("a");
  EXPECT_EQ(backoff.next("a", ErrorClass::kTransient), 1s);  // a success resets it
}

TEST(ErrorBackoff, StructuralWaitsAFixedSlowInterval) {
  ErrorBackoff backoff({.structural_interval = std::chrono::minutes(5)});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(backoff.next("a", ErrorClass::kStructural), 5min);
}

TEST(Classify, ApiErrorsByWhetherARetryCanHelp) {
  EXPECT_EQ(classify({"GET x", 0, "", "connection refused"}), ErrorClass::kTransient);
  EXPECT_EQ(classify({"GET x", 503, "ServiceUnavailable", ""}), ErrorClass::kTransient);
  EXPECT_EQ(classify({"PUT x", 409, "Conflict", ""}), ErrorClass::kTransient);
  EXPECT_EQ(classify({"GET x", 429, "TooManyRequests", ""}), ErrorClass::kTransient);
  EXPECT_EQ(classify({"GET secret", 404, "NotFound", ""}), ErrorClass::kStructural);
  EXPECT_EQ(classify({"POST job", 422, "Invalid", ""}), ErrorClass::kStructural);
  EXPECT_EQ(classify({"GET secret", 403, "Forbidden", ""}), ErrorClass::kStructural);
  const auto e = ReconcileError::from_api(
      {"GET /api/v1/namespaces/a/secrets/s", 404, "NotFound", "secrets \"s\" not found"},
      "SecretNotFound", "cannot read the repository password", "create Secret s in namespace a");
  EXPECT_EQ(e.error_class, ErrorClass::kStructural);
  EXPECT_EQ(e.reason, "SecretNotFound");
  EXPECT_NE(e.note.find("create Secret s in namespace a"), std::string::npos) << e.note;
}

}  // namespace
}  // namespace kopiur::controller
