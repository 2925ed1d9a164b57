#include "telemetry/otlp/detail/retry.hpp"

#include <algorithm>
#include <cmath>

#include "google/rpc/retry_info.pb.h"
#include "google/rpc/status.pb.h"

namespace kopiur::telemetry::otlp::detail {

std::optional<std::chrono::milliseconds> retry_info_delay(const std::string& status_details) {
  if (status_details.empty()) return std::nullopt;
  google::rpc::Status status;
  if (!status.ParseFromString(status_details)) return std::nullopt;
  for (const auto& detail : status.details()) {
    google::rpc::RetryInfo info;
    if (!detail.Is<google::rpc::RetryInfo>() || !detail.UnpackTo(&info)) continue;
    const auto& delay = info.retry_delay();
    if (delay.seconds() < 0 || delay.nanos() < 0) return std::chrono::milliseconds{0};
    return std::chrono::milliseconds{delay.seconds() * 1000 + delay.nanos() / 1000000};
  }
  return std::nullopt;
}

bool is_retryable(grpc::StatusCode code, bool has_retry_info) noexcept {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return has_retry_info;
    default:
      return false;
  }
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        std::mt19937_64& rng) {
  const double base = static_cast<double>(policy.initial_backoff.count()) *
                      std::pow(policy.multiplier, std::max(0, attempt - 1));
  const double capped = std::min(base, static_cast<double>(policy.max_backoff.count()));
  std::uniform_real_distribution<double> jitter(capped / 2, capped);
  return std::chrono::milliseconds{static_cast<std::int64_t>(jitter(rng))};
}

}  // namespace kopiur::telemetry::otlp::detail
