#include "telemetry/otlp/test_collector.hpp"

#include <thread>

#include "google/rpc/retry_info.pb.h"
#include "google/rpc/status.pb.h"

namespace kopiur::telemetry::otlp::testing {

class TestCollector::MetricsService final : public pb_metrics_svc::MetricsService::Service {
 public:
  explicit MetricsService(TestCollector& owner) : owner_(owner) {}
  grpc::Status Export(grpc::ServerContext* context,
                      const pb_metrics_svc::ExportMetricsServiceRequest* request,
                      pb_metrics_svc::ExportMetricsServiceResponse* /*response*/) override {
    return owner_.handle("metrics", context, *request);
  }

 private:
  TestCollector& owner_;
};

class TestCollector::TraceService final : public pb_trace_svc::TraceService::Service {
 public:
  explicit TraceService(TestCollector& owner) : owner_(owner) {}
  grpc::Status Export(grpc::ServerContext* context,
                      const pb_trace_svc::ExportTraceServiceRequest* request,
                      pb_trace_svc::ExportTraceServiceResponse* /*response*/) override {
    return owner_.handle("traces", context, *request);
  }

 private:
  TestCollector& owner_;
};

class TestCollector::LogsService final : public pb_logs_svc::LogsService::Service {
 public:
  explicit LogsService(TestCollector& owner) : owner_(owner) {}
  grpc::Status Export(grpc::ServerContext* context,
                      const pb_logs_svc::ExportLogsServiceRequest* request,
                      pb_logs_svc::ExportLogsServiceResponse* /*response*/) override {
    return owner_.handle("logs", context, *request);
  }

 private:
  TestCollector& owner_;
};

TestCollector::TestCollector(std::optional<TlsFiles> tls, int max_receive_bytes, int port)
    : metrics_service_(std::make_unique<MetricsService>(*this)),
      trace_service_(std::make_unique<TraceService>(*this)),
      logs_service_(std::make_unique<LogsService>(*this)),
      tls_(tls.has_value()) {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (tls) {
    grpc::SslServerCredentialsOptions options;
    options.pem_key_cert_pairs.push_back({tls->server_key_pem, tls->server_cert_pem});
    credentials = grpc::SslServerCredentials(options);
  } else {
    credentials = grpc::InsecureServerCredentials();
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), credentials, &port_);
  builder.RegisterService(metrics_service_.get());
  builder.RegisterService(trace_service_.get());
  builder.RegisterService(logs_service_.get());
  if (max_receive_bytes > 0) builder.SetMaxReceiveMessageSize(max_receive_bytes);
  server_ = builder.BuildAndStart();
}

TestCollector::~TestCollector() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

std::string TestCollector::endpoint() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void TestCollector::fail_next(int n, grpc::StatusCode code,
                              std::optional<std::chrono::milliseconds> retry_delay) {
  std::lock_guard lock(mutex_);
  fail_remaining_ = n;
  fail_code_ = code;
  fail_retry_delay_ = retry_delay;
}

void TestCollector::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  delay_ = delay;
}

grpc::Status TestCollector::handle(const std::string& service, grpc::ServerContext* context,
                                   const google::protobuf::Message& request) {
  std::unique_lock lock(mutex_);
  Call call;
  call.service = service;
  call.at = std::chrono::steady_clock::now();
  for (const auto& [key, value] : context->client_metadata()) {
    call.metadata.emplace(std::string(key.data(), key.size()),
                          std::string(value.data(), value.size()));
  }
  if (delay_.count() > 0) {
    // A slow collector: hold the call (interruptible by the test's end).
    changed_.wait_for(lock, delay_, [this] { return stopping_; });
    if (context->IsCancelled()) {  // the client gave up meanwhile: nothing was delivered
      call.failed = true;
      calls_.push_back(std::move(call));
      changed_.notify_all();
      return {grpc::StatusCode::CANCELLED, "client deadline passed while the collector stalled"};
    }
  }
  if (fail_remaining_ > 0) {
    --fail_remaining_;
    call.failed = true;
    calls_.push_back(std::move(call));
    changed_.notify_all();
    if (!fail_retry_delay_) return {fail_code_, "test collector refuses this call"};
    google::rpc::RetryInfo info;
    const auto ms = fail_retry_delay_->count();
    info.mutable_retry_delay()->set_seconds(ms / 1000);
    info.mutable_retry_delay()->set_nanos(static_cast<int>((ms % 1000) * 1000000));
    google::rpc::Status status;
    status.set_code(static_cast<int>(fail_code_));
    status.set_message("test collector asks for a retry later");
    status.add_details()->PackFrom(info);
    return {fail_code_, status.message(), status.SerializeAsString()};
  }
  raw_[service].push_back(request.SerializeAsString());
  if (service == "metrics") {
    metrics_.push_back(dynamic_cast<const pb_metrics_svc::ExportMetricsServiceRequest&>(request));
  } else if (service == "traces") {
    traces_.push_back(dynamic_cast<const pb_trace_svc::ExportTraceServiceRequest&>(request));
  } else {
    logs_.push_back(dynamic_cast<const pb_logs_svc::ExportLogsServiceRequest&>(request));
  }
  calls_.push_back(std::move(call));
  changed_.notify_all();
  return grpc::Status::OK;
}

std::vector<pb_metrics_svc::ExportMetricsServiceRequest> TestCollector::metrics() const {
  std::lock_guard lock(mutex_);
  return metrics_;
}
std::vector<pb_trace_svc::ExportTraceServiceRequest> TestCollector::traces() const {
  std::lock_guard lock(mutex_);
  return traces_;
}
std::vector<pb_logs_svc::ExportLogsServiceRequest> TestCollector::logs() const {
  std::lock_guard lock(mutex_);
  return logs_;
}
std::vector<std::string> TestCollector::raw(const std::string& service) const {
  std::lock_guard lock(mutex_);
  auto it = raw_.find(service);
  return it == raw_.end() ? std::vector<std::string>{} : it->second;
}
std::vector<TestCollector::Call> TestCollector::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

bool TestCollector::wait_for(const std::function<bool(const TestCollector&)>& predicate,
                             std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  while (true) {
    lock.unlock();
    if (predicate(*this)) return true;
    lock.lock();
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Re-check on every recorded call, or at least every 50 ms.
    changed_.wait_until(
        lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds{50}));
  }
}

}  // namespace kopiur::telemetry::otlp::testing
