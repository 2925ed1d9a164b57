#include "receiver.hpp"

#include <chrono>
#include <ctime>
#include <sstream>

#include <grpcpp/grpcpp.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "otlp_json.hpp"

namespace kopiur::otlp_receiver {
namespace {

namespace logs_svc = opentelemetry::proto::collector::logs::v1;
namespace metrics_svc = opentelemetry::proto::collector::metrics::v1;
namespace trace_svc = opentelemetry::proto::collector::trace::v1;
using opentelemetry::proto::resource::v1::Resource;

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(millis));
  return text;
}

std::string service_name(const Resource& resource) {
  for (const auto& attribute : resource.attributes()) {
    if (attribute.key() == "service.name") return attribute.value().string_value();
  }
  return "unknown_service";
}

// Items per service.name in one request: the three request types differ only in their nesting.
std::map<std::string, std::uint64_t> items_by_service(const google::protobuf::Message& message) {
  std::map<std::string, std::uint64_t> out;
  if (const auto* traces = dynamic_cast<const trace_svc::ExportTraceServiceRequest*>(&message)) {
    for (const auto& rs : traces->resource_spans()) {
      auto& n = out[service_name(rs.resource())];
      for (const auto& ss : rs.scope_spans()) n += static_cast<std::uint64_t>(ss.spans_size());
    }
  } else if (const auto* logs = dynamic_cast<const logs_svc::ExportLogsServiceRequest*>(&message)) {
    for (const auto& rl : logs->resource_logs()) {
      auto& n = out[service_name(rl.resource())];
      for (const auto& sl : rl.scope_logs()) n += static_cast<std::uint64_t>(sl.log_records_size());
    }
  } else if (const auto* metrics =
                 dynamic_cast<const metrics_svc::ExportMetricsServiceRequest*>(&message)) {
    for (const auto& rm : metrics->resource_metrics()) {
      auto& n = out[service_name(rm.resource())];
      for (const auto& sm : rm.scope_metrics()) n += static_cast<std::uint64_t>(sm.metrics_size());
    }
  }
  return out;
}

}  // namespace

// One collector service: hands each decoded request to the receiver under its signal's name.
template <typename Base, typename Request, typename Response>
class ExportService final : public Base {
 public:
  ExportService(OtlpReceiver& owner, const char* signal) : owner_(owner), signal_(signal) {}
  grpc::Status Export(grpc::ServerContext*, const Request* request, Response*) override {
    owner_.record(signal_, *request);
    return grpc::Status::OK;
  }

 private:
  OtlpReceiver& owner_;
  const char* signal_;
};

class OtlpReceiver::Services {
 public:
  explicit Services(OtlpReceiver& owner)
      : traces_(owner, "traces"), metrics_(owner, "metrics"), logs_(owner, "logs") {}

  ExportService<trace_svc::TraceService::Service, trace_svc::ExportTraceServiceRequest,
                trace_svc::ExportTraceServiceResponse>
      traces_;
  ExportService<metrics_svc::MetricsService::Service, metrics_svc::ExportMetricsServiceRequest,
                metrics_svc::ExportMetricsServiceResponse>
      metrics_;
  ExportService<logs_svc::LogsService::Service, logs_svc::ExportLogsServiceRequest,
                logs_svc::ExportLogsServiceResponse>
      logs_;
  std::unique_ptr<grpc::Server> server_;
};

OtlpReceiver::OtlpReceiver(std::ostream& out) : out_(out) {}

OtlpReceiver::~OtlpReceiver() { stop(); }

std::string OtlpReceiver::start(const std::string& address) {
  services_ = std::make_unique<Services>(*this);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&services_->traces_);
  builder.RegisterService(&services_->metrics_);
  builder.RegisterService(&services_->logs_);
  services_->server_ = builder.BuildAndStart();
  if (!services_->server_ || port_ == 0) {
    services_.reset();
    return "cannot listen on " + address + " (address in use or not host:port)";
  }
  return {};
}

void OtlpReceiver::stop() {
  if (services_ && services_->server_) {
    services_->server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    services_->server_->Wait();
    services_->server_.reset();
  }
}

void OtlpReceiver::record(const std::string& signal, const google::protobuf::Message& request) {
  if (const auto* metrics =
          dynamic_cast<const metrics_svc::ExportMetricsServiceRequest*>(&request)) {
    prometheus_.update(*metrics);
  }
  nlohmann::json line = {
      {"signal", signal}, {"receivedAt", now_rfc3339()}, {"request", to_otlp_json(request)}};
  const std::string text = line.dump();
  const auto items = items_by_service(request);
  std::lock_guard lock(mu_);
  out_ << text << '\n';
  out_.flush();
  for (const auto& [service, n] : items) {
    auto& count = counts_[signal][service];
    ++count.requests;
    count.items += n;
  }
}

std::map<std::string, std::map<std::string, Count>> OtlpReceiver::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

std::string OtlpReceiver::summary() const {
  std::ostringstream out;
  for (const auto& [signal, services] : counts()) {
    for (const auto& [service, count] : services) {
      out << signal << " from " << service << ": " << count.requests << " requests, " << count.items
          << (signal == "traces" ? " spans"
              : signal == "logs" ? " records"
                                 : " metrics")
          << '\n';
    }
  }
  return out.str();
}

}  // namespace kopiur::otlp_receiver
