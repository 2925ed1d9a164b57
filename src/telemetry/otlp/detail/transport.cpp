#include "telemetry/otlp/detail/transport.hpp"

#include "kopiur/version.hpp"

#include "telemetry/otlp/detail/retry.hpp"

namespace kopiur::telemetry::otlp::detail {

namespace {

std::shared_ptr<grpc::Channel> make_channel(const Endpoint& endpoint, const OtlpConfig& config) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (endpoint.tls) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = config.certificate_pem;  // empty: gRPC's default roots
    credentials = grpc::SslCredentials(options);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetUserAgentPrefix(std::string("kopiur-otlp/") + kVersion);
  // A dead collector must not make reconnection attempts pile up behind long backoffs: the
  // export deadline bounds every call anyway.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  return grpc::CreateCustomChannel(endpoint.target, credentials, args);
}

}  // namespace

Transport::Transport(const Endpoint& endpoint, const OtlpConfig& config)
    : url_(endpoint.url),
      headers_(config.headers),
      compression_(config.compression),
      retry_(config.retry),
      channel_(make_channel(endpoint, config)),
      rng_(std::random_device{}()) {}

ExportResult Transport::run(const std::function<grpc::Status(grpc::ClientContext&)>& call,
                            SteadyClock::time_point deadline) {
  ExportResult result;
  const int max_attempts = std::max(1, retry_.max_attempts);
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    if (SteadyClock::now() >= deadline) {
      if (result.error.empty()) result.error = "export deadline passed before the first attempt";
      return result;
    }
    grpc::ClientContext context;
    // gRPC takes system_clock deadlines; the budget is kept on the steady clock.
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             deadline - SteadyClock::now()));
    for (const auto& [key, value] : headers_) context.AddMetadata(key, value);
    if (compression_ == Compression::Gzip) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) {
        result.error = "export cancelled by shutdown";
        return result;
      }
      in_flight_ = &context;
    }
    const grpc::Status status = call(context);
    {
      std::lock_guard lock(mutex_);
      in_flight_ = nullptr;
    }
    result.attempts = attempt;
    if (status.ok()) {
      result.ok = true;
      result.error.clear();
      return result;
    }
    result.error = "collector " + url_ + " answered " +
                   std::to_string(static_cast<int>(status.error_code())) + " (" +
                   status.error_message() + ")";
    const auto hint = retry_info_delay(status.error_details());
    if (!is_retryable(status.error_code(), hint.has_value()) || attempt == max_attempts) {
      return result;
    }
    const auto delay = hint ? *hint : backoff_delay(retry_, attempt, rng_);
    const auto wake_at = SteadyClock::now() + delay;
    if (wake_at >= deadline) {
      result.error += "; no time left for a retry within the export timeout";
      return result;
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_until(lock, wake_at, [this] { return cancelled_; })) {
      result.error += "; cancelled by shutdown";
      return result;
    }
  }
  return result;
}

void Transport::cancel() noexcept {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (in_flight_ != nullptr) in_flight_->TryCancel();
  wake_.notify_all();
}

}  // namespace kopiur::telemetry::otlp::detail
