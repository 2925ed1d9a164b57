// The OTLP/gRPC retry policy: which status codes are retryable (the OTLP specification's list),
// the server's RetryInfo hint, and exponential backoff with jitter.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>

#include <grpcpp/support/status.h>

#include "kopiur/telemetry/otlp/config.hpp"

namespace kopiur::telemetry::otlp::detail {

// The delay a google.rpc.Status (serialized, from grpc-status-details-bin) asks for through a
// google.rpc.RetryInfo detail; nullopt when there is none or the bytes do not parse.
std::optional<std::chrono::milliseconds> retry_info_delay(const std::string& status_details);

// CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are retryable;
// RESOURCE_EXHAUSTED only when the server sent RetryInfo (it promises recovery).
bool is_retryable(grpc::StatusCode code, bool has_retry_info) noexcept;

// The wait before attempt `attempt + 1` (attempt counts from 1): initial × multiplier^(attempt-1),
// capped at max_backoff, then drawn uniformly from [half, full] so clients spread out.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        std::mt19937_64& rng);

}  // namespace kopiur::telemetry::otlp::detail
