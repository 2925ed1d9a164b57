// Exemplars from real kopiur_log spans: the provider's default span-context source is
// current_span_ids(), so a histogram recorded inside an entered span carries its ids.
#include <gtest/gtest.h>

#include "kopiur/telemetry/log/dispatcher.hpp"
#include "kopiur/telemetry/log/filter.hpp"
#include "kopiur/telemetry/log/span.hpp"

#include "metrics_test_util.hpp"

namespace kopiur::telemetry::metrics {
namespace {

TEST(SpanExemplar, HistogramRecordedInsideASpanCarriesItsTraceAndSpanIds) {
  auto dispatcher = log::Dispatcher::create({.filter = log::Filter::from_level(log::Level::Info)});
  log::Dispatcher::ScopedDefault use(dispatcher);
  MeterProvider provider;  // default options: exemplars from current_span_ids()
  auto h =
      provider.meter().create_histogram("kopiur_reconcile_duration", "s", "Reconcile.", {0.1, 1});
  h.record(0.05, {{"kind", "Backup"}});  // no span entered: no exemplar
  EXPECT_EQ(testing::render(provider, {}, ExpositionFormat::kOpenMetrics100).find(" # {"),
            std::string::npos);

  const log::Span span = log::Span::create(log::Level::Info, nullptr, "reconcile");
  ASSERT_TRUE(span.enabled());
  {
    auto entered = span.enter();
    h.record(0.5, {{"kind", "Backup"}});
  }
  h.record(0.07, {{"kind", "Backup"}});  // after the span: the exemplar stays the span's

  const SpanContext ids = span.context();
  const std::string om = testing::render(provider, {}, ExpositionFormat::kOpenMetrics100);
  const std::string expected =
      "kopiur_reconcile_duration_seconds_bucket{kind=\"Backup\",le=\"1\"} 3"
      " # {trace_id=\"" +
      ids.trace_id.hex() + "\",span_id=\"" + ids.span_id.hex() + "\"} 0.5 ";
  EXPECT_NE(om.find(expected), std::string::npos) << om;
}

}  // namespace
}  // namespace kopiur::telemetry::metrics
