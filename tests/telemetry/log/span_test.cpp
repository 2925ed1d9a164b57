#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/log/log.hpp"

#include "telemetry/log/test_support.hpp"

namespace kopiur::telemetry::log {
namespace {

// A layer that keeps copies of closed spans (what the OTLP trace exporter sees).
class RecordingLayer final : public Layer {
 public:
  struct Closed {
    std::string name;
    std::string trace_id;
    std::string span_id;
    std::string parent_span_id;
    bool error;
    std::string error_message;
    bool ended_after_start;
  };
  void on_event(const Event& /*event*/) noexcept override {}
  void on_span_close(const SpanRecord& record) noexcept override {
    std::lock_guard lock(mutex_);
    closed_.push_back({record.name, record.context.trace_id.hex(), record.context.span_id.hex(),
                       record.parent_span_id.valid() ? record.parent_span_id.hex() : "",
                       record.error, record.error_message, record.end >= record.start});
  }
  std::vector<Closed> closed() {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  std::mutex mutex_;
  std::vector<Closed> closed_;
};

struct SpanLogger {
  std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();
  std::shared_ptr<RecordingLayer> spans = std::make_shared<RecordingLayer>();
  std::shared_ptr<Dispatcher> dispatcher;
  explicit SpanLogger(std::string_view filter = "info") {
    DispatcherOptions opts;
    opts.filter = Filter::parse(filter).filter;
    opts.layers = {make_fmt_layer(sink, {.format = LogFormat::kJson}), spans};
    dispatcher = Dispatcher::create(std::move(opts));
  }
};

TEST(Span, NestedSpansShareATraceAndCloseInnermostFirst) {
  SpanLogger logger;
  Dispatcher::ScopedDefault use(logger.dispatcher);
  std::string outer_id;
  std::string trace;
  {
    auto outer = KOPIUR_INFO_SPAN("outer");
    auto outer_entered = outer.enter();
    outer_id = outer.context().span_id.hex();
    trace = outer.context().trace_id.hex();
    auto inner = KOPIUR_INFO_SPAN("inner");
    auto inner_entered = inner.enter();
    EXPECT_EQ(inner.record()->parent, outer.record());
  }
  const auto closed = logger.spans->closed();
  ASSERT_EQ(closed.size(), 2U);
  EXPECT_EQ(closed[0].name, "inner");
  EXPECT_EQ(closed[1].name, "outer");
  EXPECT_EQ(closed[0].trace_id, trace);
  EXPECT_EQ(closed[1].trace_id, trace);
  EXPECT_EQ(closed[0].parent_span_id, outer_id);
  EXPECT_EQ(closed[1].parent_span_id, "");
  EXPECT_TRUE(closed[0].ended_after_start);
}

TEST(Span, SeparateRootsGetSeparateTraces) {
  SpanLogger logger;
  Dispatcher::ScopedDefault use(logger.dispatcher);
  auto a = KOPIUR_INFO_SPAN("a");
  auto b = KOPIUR_INFO_SPAN("b");
  EXPECT_NE(a.context().trace_id, b.context().trace_id);
  EXPECT_TRUE(a.context().valid());
}

TEST(Span, RemoteParentFromTraceparent) {
  SpanLogger logger;
  Dispatcher::ScopedDefault use(logger.dispatcher);
  const auto remote = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(remote.has_value());
  {
    auto span = Span::create_child_of(*remote, Level::Info, "kopiur_mover", "backup");
    auto entered = span.enter();
    KOPIUR_INFO("in mover");
  }
  const auto closed = logger.spans->closed();
  ASSERT_EQ(closed.size(), 1U);
  EXPECT_EQ(closed[0].trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(closed[0].parent_span_id, "00f067aa0ba902b7");
  const auto j = nlohmann::json::parse(logger.sink->lines().at(0));
  EXPECT_EQ(j["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(j["span_id"], closed[0].span_id);
}

TEST(Span, RecordErrorReachesSpanClose) {
  SpanLogger logger;
  Dispatcher::ScopedDefault use(logger.dispatcher);
  {
    auto span = KOPIUR_INFO_SPAN("reconcile");
    span.record_error("repository unavailable");
  }
  const auto closed = logger.spans->closed();
  ASSERT_EQ(closed.size(), 1U);
  EXPECT_TRUE(closed[0].error);
  EXPECT_EQ(closed[0].error_message, "repository unavailable");
}

TEST(Span, ClosesWhenTheLastHandleGoes) {
  SpanLogger logger;
  Dispatcher::ScopedDefault use(logger.dispatcher);
  Span copy;
  {
    auto span = KOPIUR_INFO_SPAN("shared");
    copy = span;
  }
  EXPECT_TRUE(logger.spans->closed().empty());
  copy = Span();
  EXPECT_EQ(logger.spans->closed().size(), 1U);
}

TEST(Span, CarriedToAnotherThreadAndEnteredThere) {
  SpanLogger logger;
  std::string trace;
  std::string span_id;
  std::thread worker;
  {
    Dispatcher::ScopedDefault use(logger.dispatcher);
    auto span = KOPIUR_INFO_SPAN("reconcile", kv("kind", "Backup"), kv("name", "x"));
    trace = span.context().trace_id.hex();
    span_id = span.context().span_id.hex();
    // The worker thread has no default dispatcher: entering the span brings it along.
    worker = std::thread([span = std::move(span)] {
      auto entered = span.enter();
      KOPIUR_INFO("on the worker");
      EXPECT_EQ(Span::current().context().span_id, span.context().span_id);
    });
  }
  worker.join();
  const auto lines = logger.sink->lines();
  ASSERT_EQ(lines.size(), 1U);
  const auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["fields"]["message"], "on the worker");
  EXPECT_EQ(j["span"]["name"], "reconcile");
  EXPECT_EQ(j["span"]["kind"], "Backup");
  EXPECT_EQ(j["trace_id"], trace);
  EXPECT_EQ(j["span_id"], span_id);
  EXPECT_EQ(logger.spans->closed().size(), 1U);  // closed on the worker when it finished
}

TEST(Span, CurrentIsRestoredWhenGuardsEnd) {
  SpanLogger logger;
  Dispatcher::ScopedDefault use(logger.dispatcher);
  EXPECT_FALSE(Span::current().enabled());
  auto a = KOPIUR_INFO_SPAN("a");
  {
    auto ea = a.enter();
    EXPECT_EQ(Span::current().record(), a.record());
    auto b = KOPIUR_INFO_SPAN("b");
    {
      auto eb = b.enter();
      EXPECT_EQ(Span::current().record(), b.record());
    }
    EXPECT_EQ(Span::current().record(), a.record());
  }
  EXPECT_FALSE(Span::current().enabled());
}

// Guards ended out of order: the outer one ends the inner entry too, the later inner guard does
// nothing, and the current span never points at a closed span.
TEST(Span, GuardsEndedOutOfOrderLeaveASaneThread) {
  SpanLogger logger;
  Dispatcher::ScopedDefault use(logger.dispatcher);
  std::optional<SpanGuard> outer_entered;
  std::optional<SpanGuard> inner_entered;
  {
    auto outer = KOPIUR_INFO_SPAN("outer");
    auto inner = KOPIUR_INFO_SPAN("inner");
    outer_entered.emplace(outer.enter());
    inner_entered.emplace(inner.enter());
  }
  outer_entered.reset();  // out of order
  EXPECT_EQ(logger.dispatcher->misplaced_span_guards(), 1U);
  EXPECT_FALSE(Span::current().enabled());
  // "outer" closed with its entry; the inner guard still holds its span.
  ASSERT_EQ(logger.spans->closed().size(), 1U);
  EXPECT_EQ(logger.spans->closed()[0].name, "outer");
  auto other = KOPIUR_INFO_SPAN("other");
  auto other_entered = other.enter();
  inner_entered.reset();  // its entry already ended: the newer entry stays current
  EXPECT_EQ(Span::current().record(), other.record());
  KOPIUR_INFO("inside other");
  const auto j = nlohmann::json::parse(logger.sink->lines().at(0));
  EXPECT_EQ(j["span"]["name"], "other");
  EXPECT_EQ(logger.dispatcher->misplaced_span_guards(), 1U);
  EXPECT_EQ(logger.spans->closed().size(), 2U);
}

// A guard moved to another thread and destroyed there: neither thread's current span dangles.
TEST(Span, GuardEndedOnAnotherThreadLeavesBothThreadsSane) {
  SpanLogger logger;
  Dispatcher::ScopedDefault use(logger.dispatcher);
  auto outer = KOPIUR_INFO_SPAN("outer");
  {
    auto outer_entered = outer.enter();
    std::optional<SpanGuard> moved;
    {
      auto span = KOPIUR_INFO_SPAN("moved");
      moved.emplace(span.enter());
    }
    std::thread([guard = std::move(moved)]() mutable {
      guard.reset();
      EXPECT_FALSE(Span::current().enabled());  // this thread never entered anything
    }).join();
    EXPECT_EQ(logger.dispatcher->misplaced_span_guards(), 1U);
    // The entering thread still holds the span: reading it is safe (ASan checks).
    ASSERT_TRUE(Span::current().enabled());
    EXPECT_EQ(Span::current().record()->name, "moved");
    KOPIUR_INFO("still inside");
  }  // the enclosing guard ends the orphaned entry too
  EXPECT_FALSE(Span::current().enabled());
  EXPECT_EQ(logger.spans->closed().size(), 1U);  // "moved" closed; "outer" still has a handle
  EXPECT_EQ(logger.dispatcher->misplaced_span_guards(), 2U);
}

TEST(Span, DisabledSpansAreTransparent) {
  SpanLogger logger("info");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  auto outer = KOPIUR_INFO_SPAN("outer");
  auto eo = outer.enter();
  auto hidden = KOPIUR_DEBUG_SPAN("hidden");
  EXPECT_FALSE(hidden.enabled());
  auto eh = hidden.enter();
  KOPIUR_INFO("inside");
  const auto j = nlohmann::json::parse(logger.sink->lines().at(0));
  EXPECT_EQ(j["span"]["name"], "outer");
  EXPECT_FALSE(hidden.context().valid());
}

TEST(Span, EventsWithoutSpanHaveNoIds) {
  SpanLogger logger;
  Dispatcher::ScopedDefault use(logger.dispatcher);
  KOPIUR_INFO("no span");
  const auto j = nlohmann::json::parse(logger.sink->lines().at(0));
  EXPECT_FALSE(j.contains("span"));
  EXPECT_FALSE(j.contains("trace_id"));
  EXPECT_FALSE(j.contains("span_id"));
}

}  // namespace
}  // namespace kopiur::telemetry::log
