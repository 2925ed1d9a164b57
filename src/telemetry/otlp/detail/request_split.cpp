#include "telemetry/otlp/detail/request_split.hpp"

#include <utility>

namespace kopiur::telemetry::otlp::detail {
namespace {

namespace pb_metrics = opentelemetry::proto::metrics::v1;
using Request = opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;

// Room for a field's tag and length prefix (at most 1 + 5 bytes below 4 GiB).
constexpr std::size_t kFieldOverhead = 6;

std::size_t point_count(const pb_metrics::Metric& metric) {
  switch (metric.data_case()) {
    case pb_metrics::Metric::kGauge:
      return static_cast<std::size_t>(metric.gauge().data_points_size());
    case pb_metrics::Metric::kSum:
      return static_cast<std::size_t>(metric.sum().data_points_size());
    case pb_metrics::Metric::kHistogram:
      return static_cast<std::size_t>(metric.histogram().data_points_size());
    default:
      return 0;
  }
}

// The metric's name, description, unit and type (temporality, monotonicity) without its points.
pb_metrics::Metric shell_of(const pb_metrics::Metric& metric) {
  pb_metrics::Metric shell = metric;
  switch (metric.data_case()) {
    case pb_metrics::Metric::kGauge:
      shell.mutable_gauge()->clear_data_points();
      break;
    case pb_metrics::Metric::kSum:
      shell.mutable_sum()->clear_data_points();
      break;
    case pb_metrics::Metric::kHistogram:
      shell.mutable_histogram()->clear_data_points();
      break;
    default:
      break;
  }
  return shell;
}

// Builds the parts: an empty request with the resource and scope, filled until the next piece
// would pass the bound.
class PartBuilder {
 public:
  PartBuilder(const Request& whole, std::size_t max_bytes) : max_bytes_(max_bytes) {
    const auto& rm = whole.resource_metrics(0);
    auto* resource_metrics = empty_.add_resource_metrics();
    *resource_metrics->mutable_resource() = rm.resource();
    resource_metrics->set_schema_url(rm.schema_url());
    auto* scope = resource_metrics->add_scope_metrics();
    *scope->mutable_scope() = rm.scope_metrics(0).scope();
    scope->set_schema_url(rm.scope_metrics(0).schema_url());
    empty_bytes_ = empty_.ByteSizeLong();
    start();
  }

  void add_metric(pb_metrics::Metric&& metric) {
    const std::size_t bytes = metric.ByteSizeLong() + kFieldOverhead;
    if (bytes + empty_bytes_ <= max_bytes_) {
      if (used_ + bytes > max_bytes_) finish();
      used_ += bytes;
      points_ += point_count(metric);
      scope()->add_metrics()->Swap(&metric);
      return;
    }
    add_points_of(std::move(metric));
  }

  std::vector<MetricsRequestPart> take() {
    if (points_ > 0 || parts_.empty()) finish();
    return std::move(parts_);
  }

 private:
  pb_metrics::ScopeMetrics* scope() {
    return current_.mutable_resource_metrics(0)->mutable_scope_metrics(0);
  }

  void start() {
    current_ = empty_;
    used_ = empty_bytes_;
    points_ = 0;
  }

  void finish() {
    parts_.push_back({std::move(current_), points_});
    start();
  }

  // A metric too large for one part: its points go out in pieces, each under a copy of its shell.
  template <class Points>
  void add_points(const pb_metrics::Metric& shell, Points* points,
                  Points* (*target)(pb_metrics::Metric*)) {
    const std::size_t shell_bytes = shell.ByteSizeLong() + kFieldOverhead;
    pb_metrics::Metric* piece = nullptr;
    for (auto& point : *points) {
      const std::size_t bytes = point.ByteSizeLong() + kFieldOverhead;
      if (piece != nullptr && used_ + bytes > max_bytes_) {
        finish();
        piece = nullptr;
      }
      if (piece == nullptr) {
        if (used_ + shell_bytes + bytes > max_bytes_ && points_ > 0) finish();
        piece = scope()->add_metrics();
        *piece = shell;
        used_ += shell_bytes;
      }
      target(piece)->Add()->Swap(&point);
      used_ += bytes;
      ++points_;
    }
  }

  void add_points_of(pb_metrics::Metric&& metric) {
    const pb_metrics::Metric shell = shell_of(metric);
    switch (metric.data_case()) {
      case pb_metrics::Metric::kGauge:
        add_points(
            shell, metric.mutable_gauge()->mutable_data_points(),
            +[](pb_metrics::Metric* m) { return m->mutable_gauge()->mutable_data_points(); });
        break;
      case pb_metrics::Metric::kSum:
        add_points(
            shell, metric.mutable_sum()->mutable_data_points(),
            +[](pb_metrics::Metric* m) { return m->mutable_sum()->mutable_data_points(); });
        break;
      case pb_metrics::Metric::kHistogram:
        add_points(
            shell, metric.mutable_histogram()->mutable_data_points(),
            +[](pb_metrics::Metric* m) { return m->mutable_histogram()->mutable_data_points(); });
        break;
      default:  // no points: nothing to split
        if (used_ + metric.ByteSizeLong() > max_bytes_ && points_ > 0) finish();
        used_ += metric.ByteSizeLong() + kFieldOverhead;
        scope()->add_metrics()->Swap(&metric);
        break;
    }
  }

  std::size_t max_bytes_;
  Request empty_;
  std::size_t empty_bytes_ = 0;
  Request current_;
  std::size_t used_ = 0;
  std::size_t points_ = 0;
  std::vector<MetricsRequestPart> parts_;
};

}  // namespace

std::vector<MetricsRequestPart> split_metrics_request(Request&& whole, std::size_t max_bytes) {
  std::vector<MetricsRequestPart> parts;
  const bool one_scope =
      whole.resource_metrics_size() == 1 && whole.resource_metrics(0).scope_metrics_size() == 1;
  if (!one_scope || whole.ByteSizeLong() <= max_bytes) {
    std::size_t points = 0;
    for (const auto& rm : whole.resource_metrics()) {
      for (const auto& sm : rm.scope_metrics()) {
        for (const auto& m : sm.metrics()) points += point_count(m);
      }
    }
    parts.push_back({std::move(whole), points});
    return parts;
  }
  PartBuilder builder(whole, max_bytes);
  auto* metrics = whole.mutable_resource_metrics(0)->mutable_scope_metrics(0)->mutable_metrics();
  for (auto& metric : *metrics) builder.add_metric(std::move(metric));
  return builder.take();
}

}  // namespace kopiur::telemetry::otlp::detail
