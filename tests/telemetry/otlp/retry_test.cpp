// The retry policy's pure parts: retryable codes, RetryInfo parsing, backoff bounds.
#include "telemetry/otlp/detail/retry.hpp"

#include <gtest/gtest.h>

#include "google/rpc/retry_info.pb.h"
#include "google/rpc/status.pb.h"

namespace kopiur::telemetry::otlp::detail {
namespace {

TEST(Retry, RetryableCodesAreTheSpecList) {
  using grpc::StatusCode;
  for (auto code : {StatusCode::CANCELLED, StatusCode::DEADLINE_EXCEEDED, StatusCode::ABORTED,
                    StatusCode::OUT_OF_RANGE, StatusCode::UNAVAILABLE, StatusCode::DATA_LOSS}) {
    EXPECT_TRUE(is_retryable(code, false)) << code;
  }
  for (auto code :
       {StatusCode::UNKNOWN, StatusCode::INVALID_ARGUMENT, StatusCode::NOT_FOUND,
        StatusCode::ALREADY_EXISTS, StatusCode::PERMISSION_DENIED, StatusCode::FAILED_PRECONDITION,
        StatusCode::UNIMPLEMENTED, StatusCode::INTERNAL, StatusCode::UNAUTHENTICATED}) {
    EXPECT_FALSE(is_retryable(code, false)) << code;
    EXPECT_FALSE(is_retryable(code, true)) << code;
  }
  EXPECT_FALSE(is_retryable(StatusCode::RESOURCE_EXHAUSTED, false));
  EXPECT_TRUE(is_retryable(StatusCode::RESOURCE_EXHAUSTED, true));
}

TEST(Retry, RetryInfoDelayIsReadFromStatusDetails) {
  google::rpc::RetryInfo info;
  info.mutable_retry_delay()->set_seconds(2);
  info.mutable_retry_delay()->set_nanos(250'000'000);
  google::rpc::Status status;
  status.set_code(8);
  google::rpc::Status unrelated;
  unrelated.set_message("not a RetryInfo");
  status.add_details()->PackFrom(unrelated);  // an unrelated detail first
  status.add_details()->PackFrom(info);
  EXPECT_EQ(retry_info_delay(status.SerializeAsString()), std::chrono::milliseconds{2250});

  google::rpc::Status without;
  without.set_code(14);
  EXPECT_EQ(retry_info_delay(without.SerializeAsString()), std::nullopt);
  EXPECT_EQ(retry_info_delay(""), std::nullopt);
  EXPECT_EQ(retry_info_delay("\xff\xff not protobuf"), std::nullopt);
}

TEST(Retry, BackoffGrowsIsCappedAndJittered) {
  RetryPolicy policy;
  policy.initial_backoff = std::chrono::milliseconds{100};
  policy.max_backoff = std::chrono::milliseconds{1000};
  policy.multiplier = 2;
  std::mt19937_64 rng(42);
  bool saw_different = false;
  std::chrono::milliseconds previous{-1};
  for (int attempt = 1; attempt <= 8; ++attempt) {
    const double full = std::min(100.0 * (1 << (attempt - 1)), 1000.0);
    for (int i = 0; i < 20; ++i) {
      const auto d = backoff_delay(policy, attempt, rng);
      EXPECT_GE(d.count(), static_cast<long>(full / 2) - 1) << attempt;
      EXPECT_LE(d.count(), static_cast<long>(full)) << attempt;
      if (previous.count() >= 0 && d != previous) saw_different = true;
      previous = d;
    }
  }
  EXPECT_TRUE(saw_different) << "jitter must vary the delay";
}

}  // namespace
}  // namespace kopiur::telemetry::otlp::detail
