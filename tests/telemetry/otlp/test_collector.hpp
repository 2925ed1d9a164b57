// TestCollector: an in-process OTLP/gRPC receiver built from the project's generated services,
// listening on 127.0.0.1:<ephemeral>. It records every request (parsed and as raw bytes) and the
// client metadata, and can be told to fail, stall or ask for a retry, so tests can drive every
// path of the exporter without a real collector.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace kopiur::telemetry::otlp::testing {

namespace pb_metrics_svc = opentelemetry::proto::collector::metrics::v1;
namespace pb_trace_svc = opentelemetry::proto::collector::trace::v1;
namespace pb_logs_svc = opentelemetry::proto::collector::logs::v1;

struct TlsFiles {
  std::string ca_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
};

class TestCollector {
 public:
  // Plaintext when tls is nullopt. max_receive_bytes: gRPC's limit on one request (0 keeps
  // gRPC's default of 4 MiB, which the OpenTelemetry Collector's receiver also defaults to).
  // port: 0 picks a free one; another collector's former port brings "it" back up.
  explicit TestCollector(std::optional<TlsFiles> tls = std::nullopt, int max_receive_bytes = 0,
                         int port = 0);
  ~TestCollector();
  TestCollector(const TestCollector&) = delete;
  TestCollector& operator=(const TestCollector&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string endpoint() const;  // http(s)://127.0.0.1:<port>

  // The next `n` calls (any service) fail with `code`, carrying RetryInfo(delay) when given.
  void fail_next(int n, grpc::StatusCode code,
                 std::optional<std::chrono::milliseconds> retry_delay = std::nullopt);
  // Every call waits this long before answering (a slow collector).
  void set_delay(std::chrono::milliseconds delay);

  struct Call {
    std::string service;  // "metrics", "traces", "logs"
    std::multimap<std::string, std::string> metadata;
    std::chrono::steady_clock::time_point at;
    bool failed = false;
  };

  std::vector<pb_metrics_svc::ExportMetricsServiceRequest> metrics() const;
  std::vector<pb_trace_svc::ExportTraceServiceRequest> traces() const;
  std::vector<pb_logs_svc::ExportLogsServiceRequest> logs() const;
  std::vector<std::string> raw(const std::string& service) const;  // accepted requests' bytes
  std::vector<Call> calls() const;                                 // every call, failed too

  // Waits until `predicate` holds (checked on every call), at most `timeout`.
  bool wait_for(const std::function<bool(const TestCollector&)>& predicate,
                std::chrono::milliseconds timeout = std::chrono::milliseconds{10000}) const;

  // Handles one call: records it and decides its status. Public for the service classes.
  grpc::Status handle(const std::string& service, grpc::ServerContext* context,
                      const google::protobuf::Message& request);

 private:
  class MetricsService;
  class TraceService;
  class LogsService;

  std::unique_ptr<MetricsService> metrics_service_;
  std::unique_ptr<TraceService> trace_service_;
  std::unique_ptr<LogsService> logs_service_;
  std::unique_ptr<grpc::Server> server_;
  bool tls_ = false;
  int port_ = 0;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  int fail_remaining_ = 0;
  grpc::StatusCode fail_code_ = grpc::StatusCode::UNAVAILABLE;
  std::optional<std::chrono::milliseconds> fail_retry_delay_;
  std::chrono::milliseconds delay_{0};
  std::vector<pb_metrics_svc::ExportMetricsServiceRequest> metrics_;
  std::vector<pb_trace_svc::ExportTraceServiceRequest> traces_;
  std::vector<pb_logs_svc::ExportLogsServiceRequest> logs_;
  std::map<std::string, std::vector<std::string>> raw_;
  std::vector<Call> calls_;
  bool stopping_ = false;
};

}  // namespace kopiur::telemetry::otlp::testing
