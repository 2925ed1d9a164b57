// End to end through the real logger: spans and events made with the logging macros reach the
// collector as OTLP spans and log records that share trace ids, including a mover-style root span
// continuing a controller trace from TRACEPARENT.
#include <gtest/gtest.h>

#include "kopiur/telemetry/log/dispatcher.hpp"
#include "kopiur/telemetry/log/log.hpp"
#include "kopiur/telemetry/otlp/log_layer.hpp"
#include "kopiur/telemetry/otlp/mover_env.hpp"
#include "kopiur/telemetry/otlp/trace_layer.hpp"

#include "telemetry/otlp/test_collector.hpp"
#include "telemetry/otlp/test_env.hpp"

namespace kopiur::telemetry::otlp {
namespace {

namespace log = kopiur::telemetry::log;
using testing::TestCollector;
constexpr auto kWait = std::chrono::milliseconds{10000};

struct Pipeline {
  TestCollector collector;
  std::shared_ptr<OtlpTraceLayer> traces;
  std::shared_ptr<OtlpLogLayer> logs;
  std::shared_ptr<log::Dispatcher> dispatcher;

  Pipeline() {
    const auto config =
        testing::config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()}});
    traces = std::make_shared<OtlpTraceLayer>(config, KeyValues{{"service.name", "e2e"}});
    logs = std::make_shared<OtlpLogLayer>(config, KeyValues{{"service.name", "e2e"}});
    dispatcher = log::Dispatcher::create({.filter = log::Filter::parse("info").filter,
                                          .layers = {traces, logs},
                                          .default_target = "kopiur::e2e"});
  }
  std::vector<opentelemetry::proto::trace::v1::Span> spans() const {
    std::vector<opentelemetry::proto::trace::v1::Span> out;
    for (const auto& request : collector.traces()) {
      for (const auto& rs : request.resource_spans()) {
        for (const auto& ss : rs.scope_spans())
          out.insert(out.end(), ss.spans().begin(), ss.spans().end());
      }
    }
    return out;
  }
  std::vector<opentelemetry::proto::logs::v1::LogRecord> records() const {
    std::vector<opentelemetry::proto::logs::v1::LogRecord> out;
    for (const auto& request : collector.logs()) {
      for (const auto& rl : request.resource_logs()) {
        for (const auto& sl : rl.scope_logs()) {
          out.insert(out.end(), sl.log_records().begin(), sl.log_records().end());
        }
      }
    }
    return out;
  }
};

std::string bytes_of(const TraceId& id) {
  return {reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size()};
}
std::string bytes_of(const SpanId& id) {
  return {reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size()};
}

TEST(OtlpThroughTheLogger, SpansAndEventsShareTraceIds) {
  Pipeline p;
  SpanContext outer_context;
  SpanContext inner_context;
  {
    log::Dispatcher::ScopedDefault use(p.dispatcher);
    auto outer = KOPIUR_INFO_SPAN("reconciling object", log::kv("object.ref", "Backup/ns/b"));
    auto outer_entered = outer.enter();
    outer_context = outer.context();
    {
      auto inner = KOPIUR_INFO_SPAN("reconcile", log::kv("kind", "Backup"));
      auto inner_entered = inner.enter();
      inner_context = inner.context();
      KOPIUR_WARN("snapshot failed", log::kv("attempt", std::int64_t{2}));
      KOPIUR_DEBUG("filtered out by the info filter");
      inner.record_error("snapshot failed");
    }
  }
  KOPIUR_INFO("no dispatcher on this thread: goes nowhere");
  ASSERT_TRUE(p.dispatcher->flush(kWait));

  const auto spans = p.spans();
  ASSERT_EQ(spans.size(), 2u);
  const auto& inner = spans[0];  // the inner span closes first
  const auto& outer = spans[1];
  EXPECT_EQ(inner.name(), "reconcile");
  EXPECT_EQ(outer.name(), "reconciling object");
  EXPECT_EQ(inner.trace_id(), bytes_of(outer_context.trace_id));
  EXPECT_EQ(outer.trace_id(), bytes_of(outer_context.trace_id));
  EXPECT_EQ(inner.parent_span_id(), outer.span_id());
  EXPECT_EQ(outer.span_id(), bytes_of(outer_context.span_id));
  EXPECT_TRUE(outer.parent_span_id().empty());
  EXPECT_EQ(inner.status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_LE(outer.start_time_unix_nano(), inner.start_time_unix_nano());
  EXPECT_GE(outer.end_time_unix_nano(), inner.end_time_unix_nano());

  const auto records = p.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].body().string_value(), "snapshot failed");
  EXPECT_EQ(records[0].severity_text(), "WARN");
  EXPECT_EQ(records[0].trace_id(), bytes_of(inner_context.trace_id));
  EXPECT_EQ(records[0].span_id(), bytes_of(inner_context.span_id));
  p.dispatcher->shutdown(kWait);
}

TEST(OtlpThroughTheLogger, MoverRootSpanContinuesTheControllerTrace) {
  Pipeline p;
  std::string traceparent;
  SpanContext controller_span;
  {
    log::Dispatcher::ScopedDefault use(p.dispatcher);
    auto reconcile = KOPIUR_INFO_SPAN("reconcile");
    auto entered = reconcile.enter();
    controller_span = reconcile.context();
    traceparent = current_traceparent();
  }
  // The controller puts TRACEPARENT on the Job ...
  const auto job_env = mover_job_env(testing::map_env({}), traceparent);
  ASSERT_EQ(job_env.size(), 1u);
  EXPECT_EQ(job_env[0].first, "TRACEPARENT");
  // ... and the mover starts its root span as a child of it.
  const auto remote = parse_traceparent(job_env[0].second);
  ASSERT_TRUE(remote.has_value());
  {
    log::Dispatcher::ScopedDefault use(p.dispatcher);
    auto run = log::Span::create_child_of(*remote, log::Level::Info, "kopiur::mover", "mover run");
    auto entered = run.enter();
    KOPIUR_INFO("backup started");
  }
  ASSERT_TRUE(p.dispatcher->flush(kWait));
  const auto spans = p.spans();
  const auto it = std::find_if(spans.begin(), spans.end(),
                               [](const auto& s) { return s.name() == "mover run"; });
  ASSERT_NE(it, spans.end());
  EXPECT_EQ(it->trace_id(), bytes_of(controller_span.trace_id));
  EXPECT_EQ(it->parent_span_id(), bytes_of(controller_span.span_id));
  const auto records = p.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].trace_id(), bytes_of(controller_span.trace_id));
  p.dispatcher->shutdown(kWait);
}

}  // namespace
}  // namespace kopiur::telemetry::otlp
