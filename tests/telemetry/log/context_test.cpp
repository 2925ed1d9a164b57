#include "kopiur/telemetry/context.hpp"

#include <set>

#include <gtest/gtest.h>

#include "kopiur/telemetry/log/log.hpp"

#include "telemetry/log/test_support.hpp"

namespace kopiur::telemetry {
namespace {

TEST(Context, ParsesAValidTraceparent) {
  auto ctx = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->trace_id.hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(ctx->span_id.hex(), "00f067aa0ba902b7");
  EXPECT_EQ(ctx->trace_flags, 1);
  EXPECT_TRUE(ctx->remote);
  auto unsampled = parse_traceparent(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00 ");
  ASSERT_TRUE(unsampled.has_value());
  EXPECT_EQ(unsampled->trace_flags, 0);
}

TEST(Context, RejectsMalformedTraceparents) {
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",       // no flags
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // v00 with extra
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // zero trace
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // zero span
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // upper case
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // forbidden version
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",    // separators
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",    // not hex
       }) {
    EXPECT_FALSE(parse_traceparent(bad).has_value()) << bad;
  }
  // A future version may carry more fields.
  EXPECT_TRUE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")
                  .has_value());
}

TEST(Context, NewIdsAreValidAndDistinct) {
  std::set<std::string> traces;
  std::set<std::string> spans;
  for (int i = 0; i < 1000; ++i) {
    TraceId t = new_trace_id();
    SpanId s = new_span_id();
    ASSERT_TRUE(t.valid());
    ASSERT_TRUE(s.valid());
    traces.insert(t.hex());
    spans.insert(s.hex());
  }
  EXPECT_EQ(traces.size(), 1000U);
  EXPECT_EQ(spans.size(), 1000U);
  EXPECT_FALSE(TraceId{}.valid());
  EXPECT_EQ(TraceId{}.hex(), std::string(32, '0'));
}

TEST(Context, CurrentSpanContextFollowsTheEnteredSpan) {
  log::testing::CaptureLogger logger;
  log::Dispatcher::ScopedDefault use(logger.dispatcher);
  EXPECT_FALSE(current_span_context().valid());
  EXPECT_EQ(current_traceparent(), "");
  auto span = KOPIUR_INFO_SPAN("work");
  {
    auto entered = span.enter();
    const SpanContext ctx = current_span_context();
    EXPECT_TRUE(ctx.valid());
    EXPECT_EQ(ctx.span_id, span.context().span_id);
    const std::string header = current_traceparent();
    EXPECT_EQ(header, "00-" + ctx.trace_id.hex() + "-" + ctx.span_id.hex() + "-01");
    auto parsed = parse_traceparent(header);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->trace_id, ctx.trace_id);
  }
  EXPECT_FALSE(current_span_context().valid());
}

TEST(Context, CurrentSpanIdsProbeMatchesTheEnteredSpan) {
  log::testing::CaptureLogger logger;
  log::Dispatcher::ScopedDefault use(logger.dispatcher);
  // Outside a span: false, and the caller's ids are left as they were.
  TraceId trace_id;
  trace_id.bytes[0] = 7;
  SpanId span_id;
  span_id.bytes[0] = 9;
  EXPECT_FALSE(current_span_ids(trace_id, span_id));
  EXPECT_EQ(trace_id.bytes[0], 7);
  EXPECT_EQ(span_id.bytes[0], 9);
  auto span = KOPIUR_INFO_SPAN("probe");
  {
    auto entered = span.enter();
    ASSERT_TRUE(current_span_ids(trace_id, span_id));
    EXPECT_EQ(trace_id, current_span_context().trace_id);
    EXPECT_EQ(span_id, span.context().span_id);
    auto child = KOPIUR_INFO_SPAN("child");
    {
      auto entered_child = child.enter();
      TraceId child_trace;
      SpanId child_span;
      ASSERT_TRUE(current_span_ids(child_trace, child_span));
      EXPECT_EQ(child_trace, trace_id);  // same trace, its own span
      EXPECT_EQ(child_span, child.context().span_id);
      EXPECT_NE(child_span, span_id);
    }
    TraceId again_trace;
    SpanId again_span;
    ASSERT_TRUE(current_span_ids(again_trace, again_span));
    EXPECT_EQ(again_span, span_id);  // back to the parent once the child is exited
  }
  TraceId after_trace;
  SpanId after_span;
  EXPECT_FALSE(current_span_ids(after_trace, after_span));
  EXPECT_FALSE(after_trace.valid());
  EXPECT_FALSE(after_span.valid());
}

}  // namespace
}  // namespace kopiur::telemetry
