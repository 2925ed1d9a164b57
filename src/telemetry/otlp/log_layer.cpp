// OtlpLogLayer: events → ExportLogsServiceRequest, batched on a worker thread.
#include "kopiur/telemetry/otlp/log_layer.hpp"

#include <map>

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "telemetry/otlp/detail/batch_exporter.hpp"
#include "telemetry/otlp/detail/proto_convert.hpp"

namespace kopiur::telemetry::otlp {

namespace {
namespace pb_logs = opentelemetry::proto::logs::v1;
namespace pb_logs_collector = opentelemetry::proto::collector::logs::v1;

// LogItem: an owned copy of an event (an Event's views die with the on_event() call).
struct LogItem {
  log::Clock::time_point timestamp;
  log::Clock::time_point observed;
  log::Level level = log::Level::Info;
  std::string target;
  std::string message;
  std::vector<log::OwnedField> fields;
  TraceId trace_id;
  SpanId span_id;
  std::uint8_t trace_flags = 0;
};

struct Severity {
  pb_logs::SeverityNumber number;
  std::string_view text;
};

Severity severity(log::Level level) noexcept {
  switch (level) {
    case log::Level::Error:
      return {pb_logs::SEVERITY_NUMBER_ERROR, "ERROR"};
    case log::Level::Warn:
      return {pb_logs::SEVERITY_NUMBER_WARN, "WARN"};
    case log::Level::Info:
      return {pb_logs::SEVERITY_NUMBER_INFO, "INFO"};
    case log::Level::Debug:
      return {pb_logs::SEVERITY_NUMBER_DEBUG, "DEBUG"};
    case log::Level::Trace:
      return {pb_logs::SEVERITY_NUMBER_TRACE, "TRACE"};
    case log::Level::Off:
      break;
  }
  return {pb_logs::SEVERITY_NUMBER_UNSPECIFIED, ""};
}

LogItem own_event(const log::Event& event) {
  LogItem item;
  item.timestamp = event.timestamp;
  item.observed = log::Clock::now();
  item.level = event.level;
  item.target = std::string(event.target);
  item.message = std::string(event.message);
  item.fields.reserve(event.fields.size());
  for (const auto& field : event.fields) item.fields.push_back(detail::own_field(field));
  if (event.span != nullptr) {
    item.trace_id = event.span->context.trace_id;
    item.span_id = event.span->context.span_id;
    item.trace_flags = event.span->context.trace_flags;
  }
  return item;
}

// The log signal for detail::BatchExporter: OTEL_BLRP_* batching to the logs endpoint.
struct LogSignal {
  using Item = LogItem;
  using Service = pb_logs_collector::LogsService;
  using Response = pb_logs_collector::ExportLogsServiceResponse;
  static constexpr std::string_view kName = "logs";
  static constexpr std::string_view kUnit = "log records";
  static constexpr auto kEndpoint = &OtlpConfig::logs;
  static constexpr auto kBatch = &OtlpConfig::logs_batch;

  static pb_logs_collector::ExportLogsServiceRequest to_request(const std::vector<LogItem>& batch,
                                                                const KeyValues& resource) {
    pb_logs_collector::ExportLogsServiceRequest request;
    auto* resource_logs = request.add_resource_logs();
    detail::fill_resource(resource_logs->mutable_resource(), resource);
    // One ScopeLogs per target: the target is the instrumentation scope of a log record.
    std::map<std::string_view, pb_logs::ScopeLogs*> scopes;
    for (const auto& item : batch) {
      auto& scope = scopes[item.target];
      if (scope == nullptr) {
        scope = resource_logs->add_scope_logs();
        detail::fill_scope(scope->mutable_scope(), item.target);
      }
      auto* record = scope->add_log_records();
      record->set_time_unix_nano(detail::unix_nanos(item.timestamp));
      record->set_observed_time_unix_nano(detail::unix_nanos(item.observed));
      const auto sev = severity(item.level);
      record->set_severity_number(sev.number);
      record->set_severity_text(std::string(sev.text));
      record->mutable_body()->set_string_value(item.message);
      for (const auto& field : item.fields) {
        detail::add_field_attribute(record->mutable_attributes(), field);
      }
      if (detail::id_set(item.trace_id.bytes) && detail::id_set(item.span_id.bytes)) {
        record->set_trace_id(detail::id_bytes(item.trace_id));
        record->set_span_id(detail::id_bytes(item.span_id));
        record->set_flags(item.trace_flags);
      }
    }
    return request;
  }
};
}  // namespace

class OtlpLogLayer::Impl : public detail::BatchExporter<LogSignal> {
 public:
  using BatchExporter::BatchExporter;
};

OtlpLogLayer::OtlpLogLayer(const OtlpConfig& config, KeyValues resource, WarningFn warn)
    : impl_(std::make_unique<Impl>(config, std::move(resource), std::move(warn))) {}
OtlpLogLayer::~OtlpLogLayer() = default;

void OtlpLogLayer::on_event(const log::Event& event) noexcept {
  impl_->record([&] { return own_event(event); });
}
void OtlpLogLayer::on_span_close(const log::SpanRecord& /*record*/) noexcept {}
bool OtlpLogLayer::flush(std::chrono::milliseconds timeout) noexcept {
  return impl_->flush(timeout);
}
void OtlpLogLayer::shutdown(std::chrono::milliseconds timeout) noexcept {
  impl_->shutdown(timeout);
}
ExportCounters OtlpLogLayer::counters() const noexcept { return impl_->counters(); }

}  // namespace kopiur::telemetry::otlp
