// Large metric exports: a collect too large for one gRPC message (receivers refuse more than
// 4 MiB by default) is sent as several requests, none over the bound, every point once and in
// order; and the reader delivers 80,000 points to a receiver with gRPC's default limit.
#include "telemetry/otlp/detail/request_split.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kopiur/telemetry/otlp/metrics_reader.hpp"

#include "telemetry/otlp/test_collector.hpp"
#include "telemetry/otlp/test_env.hpp"

namespace kopiur::telemetry::otlp {
namespace {

namespace pb_metrics = opentelemetry::proto::metrics::v1;
using Request = opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using testing::config_for;
using testing::TestCollector;

// A request like the reader's: one resource, one scope, a gauge, a counter and a histogram with
// `n` points each, each point naming its index in attribute "i".
Request big_request(int n) {
  Request request;
  auto* rm = request.add_resource_metrics();
  auto* kv = rm->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("kopiur-controller");
  auto* scope = rm->add_scope_metrics();
  scope->mutable_scope()->set_name("kopiur");
  auto label = [](auto* point, const std::string& metric, int i) {
    auto* a = point->add_attributes();
    a->set_key("i");
    a->mutable_value()->set_string_value(metric + "-" + std::to_string(i));
  };
  auto* gauge = scope->add_metrics();
  gauge->set_name("kopiur_gauge");
  for (int i = 0; i < n; ++i) {
    auto* p = gauge->mutable_gauge()->add_data_points();
    label(p, "gauge", i);
    p->set_as_int(i);
  }
  auto* sum = scope->add_metrics();
  sum->set_name("kopiur_total");
  sum->set_unit("1");
  sum->mutable_sum()->set_is_monotonic(true);
  sum->mutable_sum()->set_aggregation_temporality(pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  for (int i = 0; i < n; ++i) {
    auto* p = sum->mutable_sum()->add_data_points();
    label(p, "sum", i);
    p->set_as_double(i * 0.5);
  }
  auto* histogram = scope->add_metrics();
  histogram->set_name("kopiur_seconds");
  histogram->mutable_histogram()->set_aggregation_temporality(
      pb_metrics::AGGREGATION_TEMPORALITY_DELTA);
  for (int i = 0; i < n; ++i) {
    auto* p = histogram->mutable_histogram()->add_data_points();
    label(p, "histogram", i);
    p->set_count(3);
    for (double b : {0.1, 1.0, 10.0}) p->add_explicit_bounds(b);
    for (int c : {1, 1, 1, 0}) p->add_bucket_counts(static_cast<std::uint64_t>(c));
  }
  return request;
}

// Every point's "i" attribute, in the order the parts carry them, with its metric's shape.
std::vector<std::string> labels_in_order(const std::vector<detail::MetricsRequestPart>& parts) {
  std::vector<std::string> out;
  for (const auto& part : parts) {
    const auto& rm = part.request.resource_metrics(0);
    EXPECT_EQ(rm.resource().attributes(0).value().string_value(), "kopiur-controller");
    EXPECT_EQ(rm.scope_metrics(0).scope().name(), "kopiur");
    std::size_t points = 0;
    for (const auto& m : rm.scope_metrics(0).metrics()) {
      if (m.has_gauge()) {
        EXPECT_EQ(m.name(), "kopiur_gauge");
        for (const auto& p : m.gauge().data_points())
          out.push_back(p.attributes(0).value().string_value());
        points += static_cast<std::size_t>(m.gauge().data_points_size());
      } else if (m.has_sum()) {
        EXPECT_EQ(m.name(), "kopiur_total");
        EXPECT_EQ(m.unit(), "1");
        EXPECT_TRUE(m.sum().is_monotonic());
        EXPECT_EQ(m.sum().aggregation_temporality(),
                  pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
        for (const auto& p : m.sum().data_points())
          out.push_back(p.attributes(0).value().string_value());
        points += static_cast<std::size_t>(m.sum().data_points_size());
      } else {
        EXPECT_EQ(m.name(), "kopiur_seconds");
        EXPECT_EQ(m.histogram().aggregation_temporality(),
                  pb_metrics::AGGREGATION_TEMPORALITY_DELTA);
        for (const auto& p : m.histogram().data_points())
          out.push_back(p.attributes(0).value().string_value());
        points += static_cast<std::size_t>(m.histogram().data_points_size());
      }
    }
    EXPECT_EQ(part.points, points) << "a part's point count is what it carries";
  }
  return out;
}

TEST(OtlpRequestSplit, ARequestWithinTheBoundIsOnePartUnchanged) {
  Request whole = big_request(10);
  const std::string bytes = whole.SerializeAsString();
  auto parts = detail::split_metrics_request(std::move(whole), 1u << 20);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].points, 30u);
  EXPECT_EQ(parts[0].request.SerializeAsString(), bytes);
}

TEST(OtlpRequestSplit, PartsStayUnderTheBoundAndCarryEveryPointOnceInOrder) {
  constexpr int kPoints = 5000;
  constexpr std::size_t kBound = 64u << 10;
  Request whole = big_request(kPoints);
  ASSERT_GT(whole.ByteSizeLong(), 4 * kBound);
  const auto expected = labels_in_order({{big_request(kPoints), 3 * kPoints}});
  auto parts = detail::split_metrics_request(std::move(whole), kBound);
  ASSERT_GT(parts.size(), 4u);
  for (const auto& part : parts) EXPECT_LE(part.request.ByteSizeLong(), kBound);
  EXPECT_EQ(labels_in_order(parts), expected);
}

// A collect of `n` counter series, each point labelled with its index.
void collect_counters(metrics::CollectVisitor& visitor, int n) {
  const metrics::InstrumentDescriptor counter{
      "kopiur_test_series",      "", "One point per series.", metrics::InstrumentKind::Counter,
      metrics::ValueType::Int64, {}};
  visitor.begin_instrument(counter);
  for (int i = 0; i < n; ++i) {
    const std::string value = "backup-" + std::to_string(i);
    const metrics::Attribute attributes[] = {{"name", value}, {"namespace", "team-a"}};
    visitor.number(static_cast<std::uint64_t>(i + 1), attributes, {.as_int = i});
  }
  visitor.end_instrument();
}

TEST(OtlpRequestSplit, EightyThousandPointsReachAReceiverWithGrpcsDefaultLimit) {
  constexpr int kSeries = 80000;
  TestCollector collector;  // gRPC's default 4 MiB receive limit, as the Collector's
  auto config = config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()}});
  OtlpMetricsReader reader(config, {{"service.name", "kopiur-controller"}},
                           [](metrics::CollectVisitor& v) { collect_counters(v, kSeries); });
  ASSERT_TRUE(reader.force_flush(std::chrono::seconds(60)));
  const auto requests = collector.metrics();
  ASSERT_GT(requests.size(), 1u) << "more than one request for a collect over the limit";
  std::size_t points = 0;
  for (const auto& request : requests) {
    EXPECT_LE(request.ByteSizeLong(), detail::kMaxMetricsRequestBytes);
    for (const auto& m : request.resource_metrics(0).scope_metrics(0).metrics()) {
      points += static_cast<std::size_t>(m.sum().data_points_size());
    }
  }
  EXPECT_EQ(points, static_cast<std::size_t>(kSeries));
  EXPECT_EQ(reader.counters().exported, static_cast<std::uint64_t>(kSeries));
  EXPECT_EQ(reader.counters().failed_exports, 0u);
}

}  // namespace
}  // namespace kopiur::telemetry::otlp
