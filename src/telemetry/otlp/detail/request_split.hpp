// split_metrics_request(): one collect's ExportMetricsServiceRequest cut into requests a receiver
// accepts. gRPC servers refuse messages over 4 MiB by default (the OpenTelemetry Collector's
// receiver among them), and 100,000 points encode to about 7 MB, so a large collect sent as one
// request would be refused whole, every time. Parts keep the resource and scope, the metrics in
// order, and a metric too large for one part is continued in the next with the same name,
// description, unit and type; the data points stay in collect order, so the reader can commit
// each part's series after that part is accepted.
#pragma once

#include <cstddef>
#include <vector>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace kopiur::telemetry::otlp::detail {

// Below gRPC's default 4 MiB receive limit, with room for the frame and metadata.
inline constexpr std::size_t kMaxMetricsRequestBytes = 3u << 20;

struct MetricsRequestPart {
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest request;
  std::size_t points = 0;  // data points in `request`
};

// Splits `whole` (one resource with one scope, as the reader builds it) into parts of at most
// `max_bytes` each, unless a single data point is larger. A request within the bound is returned
// as the only part. Data points keep their order across the parts.
std::vector<MetricsRequestPart> split_metrics_request(
    opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest&& whole,
    std::size_t max_bytes = kMaxMetricsRequestBytes);

}  // namespace kopiur::telemetry::otlp::detail
