// Transport: one gRPC channel to a collector endpoint and the retry loop around an Export call.
// TLS for https (the configured CA or the system roots), headers as metadata, gzip when
// configured, a deadline per attempt, retries with backoff bounded by the export's deadline.
// cancel() aborts the call in flight and every later one: the shutdown path uses it to return on
// time when the collector does not answer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include <grpcpp/grpcpp.h>

#include "kopiur/telemetry/otlp/config.hpp"

namespace kopiur::telemetry::otlp::detail {

using SteadyClock = std::chrono::steady_clock;

struct ExportResult {
  bool ok = false;
  int attempts = 0;
  std::string error;  // the last failure, for the warning
};

class Transport {
 public:
  Transport(const Endpoint& endpoint, const OtlpConfig& config);

  [[nodiscard]] std::shared_ptr<grpc::Channel> channel() const { return channel_; }

  // Runs `call` (one unary Export on the given context) until it succeeds, fails with a
  // non-retryable status, the attempts run out, `deadline` passes or cancel() is called.
  ExportResult run(const std::function<grpc::Status(grpc::ClientContext&)>& call,
                   SteadyClock::time_point deadline);

  void cancel() noexcept;

 private:
  std::string url_;
  KeyValues headers_;
  Compression compression_;
  RetryPolicy retry_;
  std::shared_ptr<grpc::Channel> channel_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool cancelled_ = false;
  grpc::ClientContext* in_flight_ = nullptr;
  std::mt19937_64 rng_;
};

}  // namespace kopiur::telemetry::otlp::detail
