#include <array>
#include <cstdlib>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/log/log.hpp"

#include "telemetry/log/test_support.hpp"

namespace kopiur::telemetry::log {
namespace {

using testing::CaptureLogger;

int g_evaluations = 0;
int counted(int value) {
  ++g_evaluations;
  return value;
}

TEST(Macros, FilteredOutEventsEvaluateNothing) {
  CaptureLogger logger("info");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  g_evaluations = 0;
  KOPIUR_DEBUG("hidden", kv("x", counted(1)));
  KOPIUR_TRACE("hidden", kv("x", counted(1)));
  auto span = KOPIUR_DEBUG_SPAN("hidden", kv("x", counted(1)));
  EXPECT_EQ(g_evaluations, 0);
  EXPECT_FALSE(span.enabled());
  KOPIUR_INFO("shown", kv("x", counted(1)));
  EXPECT_EQ(g_evaluations, 1);
  EXPECT_EQ(logger.sink->size(), 1U);
}

TEST(Macros, LevelsAndTargetsFollowTheFilter) {
  CaptureLogger logger("warn,kopia=debug,kopiur_controller::backup=trace");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  KOPIUR_ERROR("e");
  KOPIUR_WARN("w");
  KOPIUR_INFO("i");                                    // default target: warn
  KOPIUR_EVENT(Level::Debug, "kopia", "kopia debug");  // shown
  KOPIUR_EVENT(Level::Trace, "kopia", "kopia trace");  // hidden
  KOPIUR_EVENT(Level::Trace, "kopiur_controller::backup::x", "backup trace");  // shown
  KOPIUR_EVENT(Level::Info, "kopiur_controller::restore", "restore info");     // hidden
  const std::string text = logger.sink->text();
  EXPECT_EQ(logger.sink->size(), 4U) << text;
  for (const char* shown : {": e", ": w", "kopia debug", "backup trace"}) {
    EXPECT_NE(text.find(shown), std::string::npos) << shown;
  }
  for (const char* hidden : {": i", "kopia trace", "restore info"}) {
    EXPECT_EQ(text.find(hidden), std::string::npos) << hidden;
  }
}

void log_from_site() { KOPIUR_DEBUG("from one call site"); }

TEST(Macros, SetFilterInvalidatesCachedCallSites) {
  CaptureLogger logger("info");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  log_from_site();  // caches "never"
  EXPECT_EQ(logger.sink->size(), 0U);
  logger.dispatcher->set_filter(Filter::parse("debug").filter);
  log_from_site();
  EXPECT_EQ(logger.sink->size(), 1U);
  logger.dispatcher->set_filter(Filter::parse("info").filter);
  log_from_site();
  EXPECT_EQ(logger.sink->size(), 1U);
}

TEST(Macros, NoDispatcherMeansNothingAndNoCrash) {
  // No scoped dispatcher, none alive and nothing installed in this binary: the global gate is
  // shut, so the event is a no-op that evaluates nothing.
  ASSERT_EQ(Dispatcher::current(), nullptr);
  g_evaluations = 0;
  KOPIUR_ERROR("nobody listens", kv("x", counted(1)));
  EXPECT_EQ(g_evaluations, 0);
  EXPECT_FALSE(detail::level_enabled(Level::Error));
}

TEST(Macros, TwoDispatchersSeeTheirOwnFilters) {
  CaptureLogger quiet("warn");
  CaptureLogger loud("trace");
  {
    Dispatcher::ScopedDefault use(quiet.dispatcher);
    log_from_site();
  }
  {
    Dispatcher::ScopedDefault use(loud.dispatcher);
    log_from_site();
  }
  EXPECT_EQ(quiet.sink->size(), 0U);
  EXPECT_EQ(loud.sink->size(), 1U);
}

TEST(Macros, GlobalGateFollowsLiveDispatchers) {
  // Whatever other tests left, a new trace dispatcher opens the gate and closing it shuts it
  // back to the previous value.
  const bool before = detail::level_enabled(Level::Trace);
  {
    CaptureLogger loud("trace");
    EXPECT_TRUE(detail::level_enabled(Level::Trace));
  }
  EXPECT_EQ(detail::level_enabled(Level::Trace), before);
}

TEST(Macros, SpanDirectivesEnableEventsInsideMatchingSpans) {
  CaptureLogger logger("info,[reconcile{kind=Backup}]=debug");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  KOPIUR_DEBUG("outside");  // hidden
  {
    auto span = KOPIUR_INFO_SPAN("reconcile", kv("kind", "Backup"));
    auto entered = span.enter();
    KOPIUR_DEBUG("inside backup");                        // shown
    KOPIUR_EVENT(Level::Debug, "kopia", "kopia inside");  // any target
    KOPIUR_TRACE("too verbose");                          // hidden
    auto child = KOPIUR_INFO_SPAN("step");
    auto child_entered = child.enter();
    KOPIUR_DEBUG("inside child");  // inherited scope
  }
  {
    auto span = KOPIUR_INFO_SPAN("reconcile", kv("kind", "Restore"));
    auto entered = span.enter();
    KOPIUR_DEBUG("inside restore");  // hidden
  }
  const std::string text = logger.sink->text();
  EXPECT_EQ(logger.sink->size(), 3U) << text;
  EXPECT_NE(text.find("inside backup"), std::string::npos);
  EXPECT_NE(text.find("kopia inside"), std::string::npos);
  EXPECT_NE(text.find("inside child"), std::string::npos);
}

TEST(Macros, SpanDirectivesCanEnableAQuieterSpanItself) {
  CaptureLogger logger("warn,[reconcile]=debug");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  auto span = KOPIUR_DEBUG_SPAN("reconcile");
  EXPECT_TRUE(span.enabled());
  auto other = KOPIUR_DEBUG_SPAN("other");
  EXPECT_FALSE(other.enabled());
}

TEST(FreeFunctions, EventAndEnabledUseTheFullFilter) {
  CaptureLogger logger("info,kopia=debug");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  EXPECT_TRUE(enabled(Level::Debug, "kopia"));
  EXPECT_FALSE(enabled(Level::Debug, "other"));
  const std::array<Field, 1> fields{kv("k", "v")};
  event(Level::Debug, "kopia", "computed target", fields);
  event(Level::Debug, "other", "hidden");
  ASSERT_EQ(logger.sink->size(), 1U);
  EXPECT_NE(logger.sink->lines()[0].find("DEBUG kopia: computed target k=v"), std::string::npos);
}

TEST(Concurrency, EightThreadsManyEventsEveryLineIntact) {
  constexpr int kThreads = 8;
  constexpr int kEvents = 2'500;  // 20,000 lines: enough to interleave, cheap under TSan
  CaptureLogger logger("info", {.format = LogFormat::kJson});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Dispatcher::ScopedDefault use(logger.dispatcher);
      auto span = KOPIUR_INFO_SPAN("worker", kv("thread", t));
      auto entered = span.enter();
      for (int i = 0; i < kEvents; ++i) {
        KOPIUR_INFO("event with a payload that is long enough to be split if it could be",
                    kv("thread", t), kv("seq", i), kv("pad", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto lines = logger.sink->lines();
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kEvents));
  std::vector<int> next(kThreads, 0);
  for (const auto& line : lines) {
    const auto j = nlohmann::json::parse(line);  // throws (fails) on a torn line
    const int t = j["fields"]["thread"];
    const int seq = j["fields"]["seq"];
    ASSERT_EQ(j["span"]["thread"], t);
    ASSERT_EQ(seq, next[t]) << "thread " << t << " out of order";  // per-thread order kept
    ++next[t];
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kEvents);
}

TEST(Concurrency, FdSinkLinesNeverInterleave) {
  constexpr int kThreads = 8;
  constexpr int kEvents = 2'000;
  char path[] = "/tmp/kopiur_log_test_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  {
    DispatcherOptions opts;
    opts.filter = Filter::parse("info").filter;
    opts.layers.push_back(make_fmt_layer(std::make_shared<FdSink>(fd), {}));
    auto dispatcher = Dispatcher::create(std::move(opts));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        Dispatcher::ScopedDefault use(dispatcher);
        for (int i = 0; i < kEvents; ++i) {
          KOPIUR_INFO("line", kv("thread", t), kv("seq", i), kv("pad", std::string(300, 'p')));
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  ::lseek(fd, 0, SEEK_SET);
  std::string all;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) all.append(buf, static_cast<size_t>(n));
  ::close(fd);
  ::unlink(path);
  std::size_t count = 0;
  std::size_t start = 0;
  const std::string pad = "pad=" + std::string(300, 'p');
  while (start < all.size()) {
    const std::size_t end = all.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    const std::string_view line(all.data() + start, end - start);
    ASSERT_NE(line.find(" INFO kopiur: line thread="), std::string_view::npos) << line;
    ASSERT_TRUE(line.ends_with(pad)) << line;
    ++count;
    start = end + 1;
  }
  EXPECT_EQ(count, static_cast<std::size_t>(kThreads * kEvents));
}

}  // namespace
}  // namespace kopiur::telemetry::log

namespace kopiur::telemetry::log {
namespace {

TEST(Options, DesignatedInitializersNeedOnlyWhatTheyName) {
  // Compiles warning-free under -Wextra -Werror: every member has a default.
  auto sink = std::make_shared<CaptureSink>();
  auto logger = Dispatcher::create(
      {.filter = Filter::parse("debug").filter, .layers = {make_fmt_layer(sink, {})}});
  Dispatcher::ScopedDefault use(logger);
  KOPIUR_DEBUG("designated");
  EXPECT_EQ(sink->size(), 1U);
  EXPECT_EQ(logger->default_target(), "kopiur");
}

}  // namespace
}  // namespace kopiur::telemetry::log
