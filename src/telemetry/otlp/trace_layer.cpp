// OtlpTraceLayer: closed spans → ExportTraceServiceRequest, batched on a worker thread.
#include "kopiur/telemetry/otlp/trace_layer.hpp"

#include <optional>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "telemetry/otlp/detail/batch_processor.hpp"
#include "telemetry/otlp/detail/proto_convert.hpp"
#include "telemetry/otlp/detail/transport.hpp"

namespace kopiur::telemetry::otlp {

namespace {
namespace pb_trace = opentelemetry::proto::trace::v1;
namespace pb_collector = opentelemetry::proto::collector::trace::v1;

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

constexpr std::string_view kScopeName = "kopiur";
}  // namespace

class OtlpTraceLayer::Impl {
 public:
  Impl(const OtlpConfig& config, KeyValues resource, WarningFn warn)
      : resource_(std::move(resource)),
        shutdown_timeout_(config.shutdown_timeout),
        reporter_("traces", "spans", std::move(warn), config.warning_interval) {
    if (!config.traces) return;
    transport_.emplace(*config.traces, config);
    stub_ = pb_collector::TraceService::NewStub(transport_->channel());
    processor_.emplace(
        config.spans, std::min(config.timeout, config.spans.export_timeout),
        [this](std::vector<SpanItem>& batch, detail::SteadyClock::time_point deadline) {
          return export_batch(batch, deadline);
        },
        [this] { transport_->cancel(); }, reporter_);
  }

  ~Impl() { shutdown(shutdown_timeout_); }

  void on_span_close(const log::SpanRecord& record) noexcept {
    if (!processor_) return;
    if (processor_->full()) {
      processor_->note_dropped();
      return;
    }
    try {
      SpanItem item{record.name,    record.target,         record.fields,
                    record.context, record.parent_span_id, record.start,
                    record.end,     record.error,          record.error_message};
      processor_->try_push(std::move(item));
    } catch (...) {
      reporter_.note_queue_full();  // out of memory copying the span: count it as dropped
    }
  }

  bool flush(std::chrono::milliseconds timeout) noexcept {
    return processor_ ? processor_->flush(timeout) : true;
  }
  void shutdown(std::chrono::milliseconds timeout) noexcept {
    if (processor_) processor_->shutdown(timeout);
  }
  ExportCounters counters() const noexcept { return reporter_.counters(); }

 private:
  bool export_batch(std::vector<SpanItem>& batch, detail::SteadyClock::time_point deadline) {
    pb_collector::ExportTraceServiceRequest request;
    auto* resource_spans = request.add_resource_spans();
    detail::fill_resource(resource_spans->mutable_resource(), resource_);
    auto* scope_spans = resource_spans->add_scope_spans();
    detail::fill_scope(scope_spans->mutable_scope(), kScopeName);
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
    const auto result = transport_->run(
        [&](grpc::ClientContext& context) {
          pb_collector::ExportTraceServiceResponse response;
          return stub_->Export(&context, request, &response);
        },
        deadline);
    if (!result.ok) reporter_.note_export_failed(batch.size(), result.error);
    return result.ok;
  }

  KeyValues resource_;
  std::chrono::milliseconds shutdown_timeout_;
  detail::DropReporter reporter_;
  std::optional<detail::Transport> transport_;
  std::unique_ptr<pb_collector::TraceService::Stub> stub_;
  std::optional<detail::BatchProcessor<SpanItem>> processor_;  // last: its worker uses the rest
};

OtlpTraceLayer::OtlpTraceLayer(const OtlpConfig& config, KeyValues resource, WarningFn warn)
    : impl_(std::make_unique<Impl>(config, std::move(resource), std::move(warn))) {}
OtlpTraceLayer::~OtlpTraceLayer() = default;

void OtlpTraceLayer::on_event(const log::Event& /*event*/) noexcept {}
void OtlpTraceLayer::on_span_close(const log::SpanRecord& record) noexcept {
  impl_->on_span_close(record);
}
bool OtlpTraceLayer::flush(std::chrono::milliseconds timeout) noexcept {
  return impl_->flush(timeout);
}
void OtlpTraceLayer::shutdown(std::chrono::milliseconds timeout) noexcept {
  impl_->shutdown(timeout);
}
ExportCounters OtlpTraceLayer::counters() const noexcept { return impl_->counters(); }

}  // namespace kopiur::telemetry::otlp
