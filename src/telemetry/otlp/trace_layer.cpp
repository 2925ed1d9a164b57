// OtlpTraceLayer: closed spans → ExportTraceServiceRequest, batched on a worker thread.
#include "kopiur/telemetry/otlp/trace_layer.hpp"

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "telemetry/otlp/detail/batch_exporter.hpp"
#include "telemetry/otlp/detail/proto_convert.hpp"

namespace kopiur::telemetry::otlp {

namespace {
namespace pb_trace = opentelemetry::proto::trace::v1;
namespace pb_trace_collector = opentelemetry::proto::collector::trace::v1;

// SpanItem: what the queue keeps of a closed span (the record minus its borrowed parent pointer).
struct SpanItem {
  std::string name;
  std::string target;
  std::vector<log::OwnedField> fields;
  SpanContext context;
  SpanId parent_span_id;
  log::Clock::time_point start;
  log::Clock::time_point end;
  bool error = false;
  std::string error_message;
};

// The trace signal for detail::BatchExporter: OTEL_BSP_* batching to the traces endpoint.
struct SpanSignal {
  using Item = SpanItem;
  using Service = pb_trace_collector::TraceService;
  using Response = pb_trace_collector::ExportTraceServiceResponse;
  static constexpr std::string_view kName = "traces";
  static constexpr std::string_view kUnit = "spans";
  static constexpr auto kEndpoint = &OtlpConfig::traces;
  static constexpr auto kBatch = &OtlpConfig::spans;

  static pb_trace_collector::ExportTraceServiceRequest to_request(
      const std::vector<SpanItem>& batch, const KeyValues& resource) {
    pb_trace_collector::ExportTraceServiceRequest request;
    auto* resource_spans = request.add_resource_spans();
    detail::fill_resource(resource_spans->mutable_resource(), resource);
    auto* scope_spans = resource_spans->add_scope_spans();
    detail::fill_scope(scope_spans->mutable_scope(), detail::kScopeName);
    for (const auto& item : batch) {
      auto* span = scope_spans->add_spans();
      span->set_trace_id(detail::id_bytes(item.context.trace_id));
      span->set_span_id(detail::id_bytes(item.context.span_id));
      if (detail::id_set(item.parent_span_id.bytes)) {
        span->set_parent_span_id(detail::id_bytes(item.parent_span_id));
      }
      span->set_trace_state(item.context.trace_state);
      span->set_flags(item.context.trace_flags);
      span->set_name(item.name);
      span->set_kind(pb_trace::Span::SPAN_KIND_INTERNAL);
      span->set_start_time_unix_nano(detail::unix_nanos(item.start));
      span->set_end_time_unix_nano(detail::unix_nanos(item.end));
      if (!item.target.empty()) {
        detail::add_string_attribute(span->mutable_attributes(), "code.namespace", item.target);
      }
      for (const auto& field : item.fields) {
        detail::add_field_attribute(span->mutable_attributes(), field);
      }
      if (item.error) {
        span->mutable_status()->set_code(pb_trace::Status::STATUS_CODE_ERROR);
        span->mutable_status()->set_message(item.error_message);
      }
    }
    return request;
  }
};
}  // namespace

class OtlpTraceLayer::Impl : public detail::BatchExporter<SpanSignal> {
 public:
  using BatchExporter::BatchExporter;
};

OtlpTraceLayer::OtlpTraceLayer(const OtlpConfig& config, KeyValues resource, WarningFn warn)
    : impl_(std::make_unique<Impl>(config, std::move(resource), std::move(warn))) {}
OtlpTraceLayer::~OtlpTraceLayer() = default;

void OtlpTraceLayer::on_event(const log::Event& /*event*/) noexcept {}
void OtlpTraceLayer::on_span_close(const log::SpanRecord& record) noexcept {
  impl_->record([&] {
    return SpanItem{record.name,    record.target,         record.fields,
                    record.context, record.parent_span_id, record.start,
                    record.end,     record.error,          record.error_message};
  });
}
bool OtlpTraceLayer::flush(std::chrono::milliseconds timeout) noexcept {
  return impl_->flush(timeout);
}
void OtlpTraceLayer::shutdown(std::chrono::milliseconds timeout) noexcept {
  impl_->shutdown(timeout);
}
ExportCounters OtlpTraceLayer::counters() const noexcept { return impl_->counters(); }

}  // namespace kopiur::telemetry::otlp
