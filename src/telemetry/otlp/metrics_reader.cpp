// OtlpMetricsReader: a periodic collect → ExportMetricsServiceRequest → Export loop.
#include "kopiur/telemetry/otlp/metrics_reader.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "telemetry/otlp/detail/drop_reporter.hpp"
#include "telemetry/otlp/detail/proto_convert.hpp"
#include "telemetry/otlp/detail/request_split.hpp"
#include "telemetry/otlp/detail/transport.hpp"

namespace kopiur::telemetry::otlp {

namespace {
namespace pb_metrics = opentelemetry::proto::metrics::v1;
namespace pb_metrics_collector = opentelemetry::proto::collector::metrics::v1;
using metrics::InstrumentKind;
using metrics::ValueType;
using SteadyClock = std::chrono::steady_clock;

std::uint64_t now_nanos() { return detail::unix_nanos(std::chrono::system_clock::now()); }

// SeriesState: what the reader remembers of one series between exports.
struct SeriesState {
  std::uint64_t first_seen_ns = 0;   // start_time of cumulative points
  std::uint64_t last_export_ns = 0;  // start_time of the next delta point (0: never exported)
  metrics::NumberPoint number;       // last exported cumulative value
  std::vector<std::uint64_t> buckets;
  std::uint64_t count = 0;
  double sum = 0;
};

bool use_delta(Temporality temporality, InstrumentKind kind) {
  if (kind == InstrumentKind::Gauge) return false;  // a gauge has no temporality
  switch (temporality) {
    case Temporality::Cumulative:
      return false;
    case Temporality::Delta:
      return true;
    case Temporality::LowMemory:
      return kind != InstrumentKind::UpDownCounter;
  }
  return false;
}

void add_attributes(google::protobuf::RepeatedPtrField<detail::pb_common::KeyValue>* out,
                    std::span<const metrics::Attribute> attributes) {
  for (const auto& attribute : attributes) {
    detail::add_string_attribute(out, attribute.key, attribute.value);
  }
}

// RequestBuilder: the CollectVisitor that turns one collect into a request, computing deltas
// against `series` and recording the new baselines in `pending` (applied only after a successful
// export, so a failed export's interval is folded into the next delta instead of lost).
class RequestBuilder final : public metrics::CollectVisitor {
 public:
  RequestBuilder(pb_metrics::ScopeMetrics* scope, Temporality temporality,
                 std::unordered_map<std::uint64_t, SeriesState>& series,
                 std::uint64_t previous_collect_ns, std::uint64_t now_ns)
      : scope_(scope),
        temporality_(temporality),
        series_(series),
        previous_collect_ns_(previous_collect_ns),
        now_ns_(now_ns) {}

  std::vector<std::pair<std::uint64_t, SeriesState>>& pending() { return pending_; }
  // Forgets the series this collect did not visit (removed, or not observed by their callback):
  // the mirror follows the provider, and a series that comes back starts afresh.
  void forget_unseen() {
    std::erase_if(series_, [&](const auto& entry) { return !seen_.contains(entry.first); });
  }
  [[nodiscard]] std::uint64_t points() const { return points_; }

  void begin_instrument(const metrics::InstrumentDescriptor& descriptor) override {
    descriptor_ = &descriptor;
    delta_ = use_delta(temporality_, descriptor.kind);
    metric_ = scope_->add_metrics();
    metric_->set_name(descriptor.name);
    metric_->set_description(descriptor.description);
    metric_->set_unit(descriptor.unit);
    const auto temporality = delta_ ? pb_metrics::AGGREGATION_TEMPORALITY_DELTA
                                    : pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE;
    switch (descriptor.kind) {
      case InstrumentKind::Counter:
      case InstrumentKind::UpDownCounter:
        metric_->mutable_sum()->set_aggregation_temporality(temporality);
        metric_->mutable_sum()->set_is_monotonic(descriptor.kind == InstrumentKind::Counter);
        break;
      case InstrumentKind::Gauge:
        metric_->mutable_gauge();
        break;
      case InstrumentKind::Histogram:
        metric_->mutable_histogram()->set_aggregation_temporality(temporality);
        break;
    }
  }

  void number(std::uint64_t series_id, std::span<const metrics::Attribute> attributes,
              const metrics::NumberPoint& point) override {
    if (metric_ == nullptr || descriptor_->kind == InstrumentKind::Histogram) return;
    SeriesState state = state_of(series_id);
    const bool is_int = descriptor_->value_type == ValueType::Int64;
    metrics::NumberPoint value = point;
    if (delta_) {
      value.as_int = point.as_int - state.number.as_int;
      value.as_double = point.as_double - state.number.as_double;
      const bool unchanged = is_int ? value.as_int == 0 : value.as_double == 0.0;
      if (unchanged && state.last_export_ns != 0) return;  // nothing recorded this interval
    }
    pb_metrics::NumberDataPoint* out = descriptor_->kind == InstrumentKind::Gauge
                                           ? metric_->mutable_gauge()->add_data_points()
                                           : metric_->mutable_sum()->add_data_points();
    add_attributes(out->mutable_attributes(), attributes);
    if (descriptor_->kind != InstrumentKind::Gauge) out->set_start_time_unix_nano(start_of(state));
    out->set_time_unix_nano(now_ns_);
    if (is_int) {
      out->set_as_int(value.as_int);
    } else {
      out->set_as_double(value.as_double);
    }
    state.number = point;
    state.last_export_ns = now_ns_;
    pending_.emplace_back(series_id, std::move(state));
    ++points_;
  }

  void histogram(std::uint64_t series_id, std::span<const metrics::Attribute> attributes,
                 const metrics::HistogramPoint& point) override {
    if (metric_ == nullptr || descriptor_->kind != InstrumentKind::Histogram) return;
    SeriesState state = state_of(series_id);
    const bool first = state.count == 0;
    std::uint64_t count = point.count;
    double sum = point.sum;
    if (delta_) {
      count -= std::min(count, state.count);
      sum -= state.sum;
      if (count == 0 && state.last_export_ns != 0) return;  // nothing recorded this interval
    }
    auto* out = metric_->mutable_histogram()->add_data_points();
    add_attributes(out->mutable_attributes(), attributes);
    out->set_start_time_unix_nano(start_of(state));
    out->set_time_unix_nano(now_ns_);
    out->set_count(count);
    out->set_sum(sum);
    for (double bound : descriptor_->bounds) out->add_explicit_bounds(bound);
    for (std::size_t i = 0; i < point.bucket_counts.size(); ++i) {
      std::uint64_t c = point.bucket_counts[i];
      if (delta_ && i < state.buckets.size()) c -= std::min(c, state.buckets[i]);
      out->add_bucket_counts(c);
    }
    // min/max are known for the whole life of the series only; a delta point after the first
    // cannot know its interval's extremes, so it leaves them out (they are optional in OTLP).
    if (point.count > 0 && (!delta_ || first)) {
      out->set_min(point.min);
      out->set_max(point.max);
    }
    if (point.exemplar != nullptr) {
      const auto& exemplar = *point.exemplar;
      const auto exemplar_ns = detail::unix_nanos(exemplar.time);
      if (!delta_ || exemplar_ns >= start_of(state)) {
        auto* e = out->add_exemplars();
        e->set_time_unix_nano(exemplar_ns);
        e->set_as_double(exemplar.value);
        if (detail::id_set(exemplar.trace_id.bytes) && detail::id_set(exemplar.span_id.bytes)) {
          e->set_trace_id(detail::id_bytes(exemplar.trace_id));
          e->set_span_id(detail::id_bytes(exemplar.span_id));
        }
      }
    }
    state.buckets.assign(point.bucket_counts.begin(), point.bucket_counts.end());
    state.count = point.count;
    state.sum = point.sum;
    state.last_export_ns = now_ns_;
    pending_.emplace_back(series_id, std::move(state));
    ++points_;
  }

  void end_instrument() override {
    if (metric_ == nullptr) return;
    const bool empty = (metric_->has_sum() && metric_->sum().data_points_size() == 0) ||
                       (metric_->has_gauge() && metric_->gauge().data_points_size() == 0) ||
                       (metric_->has_histogram() && metric_->histogram().data_points_size() == 0);
    if (empty) scope_->mutable_metrics()->RemoveLast();
    metric_ = nullptr;
  }

 private:
  SeriesState state_of(std::uint64_t series_id) {
    seen_.insert(series_id);
    if (auto it = series_.find(series_id); it != series_.end()) return it->second;
    SeriesState fresh;
    // A series first seen now was created some time after the previous collect.
    fresh.first_seen_ns = previous_collect_ns_;
    series_.emplace(series_id, fresh);
    return fresh;
  }
  [[nodiscard]] std::uint64_t start_of(const SeriesState& state) const {
    return delta_ && state.last_export_ns != 0 ? state.last_export_ns : state.first_seen_ns;
  }

  pb_metrics::ScopeMetrics* scope_;
  Temporality temporality_;
  std::unordered_map<std::uint64_t, SeriesState>& series_;
  std::uint64_t previous_collect_ns_;
  std::uint64_t now_ns_;
  const metrics::InstrumentDescriptor* descriptor_ = nullptr;
  pb_metrics::Metric* metric_ = nullptr;
  bool delta_ = false;
  std::vector<std::pair<std::uint64_t, SeriesState>> pending_;
  std::unordered_set<std::uint64_t> seen_;
  std::uint64_t points_ = 0;
};

}  // namespace

class OtlpMetricsReader::Impl {
 public:
  Impl(const OtlpConfig& config, KeyValues resource, CollectFn collect, WarningFn warn)
      : resource_(std::move(resource)),
        collect_(std::move(collect)),
        temporality_(config.temporality),
        interval_(config.metric_export_interval),
        export_timeout_(std::min(config.timeout, config.metric_export_timeout)),
        shutdown_timeout_(config.shutdown_timeout),
        reporter_(std::make_shared<detail::DropReporter>("metrics", "data points", std::move(warn),
                                                         config.warning_interval)),
        previous_collect_ns_(now_nanos()) {
    if (!config.metrics || !collect_) return;
    transport_.emplace(*config.metrics, config);
    stub_ = pb_metrics_collector::MetricsService::NewStub(transport_->channel());
    worker_ = std::thread([this] { run(); });
  }

  ~Impl() { shutdown(shutdown_timeout_); }

  bool force_flush(std::chrono::milliseconds timeout) noexcept {
    if (!transport_) return true;
    const auto deadline = SteadyClock::now() + timeout;
    if (!acquire_export(deadline)) return false;
    const bool ok = export_locked(std::min(deadline, SteadyClock::now() + export_timeout_));
    release_export();
    return ok;
  }

  bool shutdown(std::chrono::milliseconds timeout) noexcept {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || !transport_) return true;
      stopping_ = true;
    }
    wake_.notify_all();
    const auto deadline = SteadyClock::now() + timeout;
    bool ok = false;
    if (acquire_export(deadline)) {
      ok = export_locked(deadline);
      release_export();
    }
    transport_->cancel();  // whatever is still in flight stops now
    if (worker_.joinable()) worker_.join();
    return ok;
  }

  ExportCounters counters() const noexcept { return reporter_->counters(); }
  std::function<ExportCounters()> counters_source() const {
    return [reporter = std::shared_ptr<const detail::DropReporter>(reporter_)] {
      return reporter->counters();
    };
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    auto next = SteadyClock::now() + interval_;
    while (!stopping_) {
      if (wake_.wait_until(lock, next, [this] { return stopping_; })) break;
      lock.unlock();
      if (acquire_export(SteadyClock::now() + interval_ + export_timeout_)) {
        bool stop_now = false;
        {
          std::lock_guard state_lock(mutex_);
          stop_now = stopping_;
        }
        if (!stop_now) export_locked(SteadyClock::now() + export_timeout_);
        release_export();
      }
      try {
        reporter_->maybe_warn();
      } catch (...) {  // out of memory for the message: the counters still say it all
      }
      lock.lock();
      next = SteadyClock::now() + interval_;
    }
  }

  // One collect + export at a time (the periodic thread, force_flush, shutdown). A flag under
  // mutex_ rather than a timed_mutex: the waits need a deadline, and ThreadSanitizer does not
  // see timed_mutex's clock-based locking.
  bool acquire_export(SteadyClock::time_point deadline) {
    std::unique_lock lock(mutex_);
    if (!export_idle_.wait_until(lock, deadline, [this] { return !exporting_; })) return false;
    exporting_ = true;
    return true;
  }
  void release_export() {
    {
      std::lock_guard lock(mutex_);
      exporting_ = false;
    }
    export_idle_.notify_all();
  }

  // Collects and exports once; the caller holds the export slot (acquire_export).
  bool export_locked(SteadyClock::time_point deadline) noexcept {
    try {
      pb_metrics_collector::ExportMetricsServiceRequest request;
      auto* resource_metrics = request.add_resource_metrics();
      detail::fill_resource(resource_metrics->mutable_resource(), resource_);
      auto* scope = resource_metrics->add_scope_metrics();
      detail::fill_scope(scope->mutable_scope(), detail::kScopeName);
      const auto now_ns = now_nanos();
      RequestBuilder builder(scope, temporality_, series_, previous_collect_ns_, now_ns);
      collect_(builder);
      builder.forget_unseen();
      previous_collect_ns_ = now_ns;
      if (builder.points() == 0) return true;
      // Parts a receiver accepts (gRPC's 4 MiB default), sent in order; each part's series are
      // committed once it is accepted, so a failure part-way loses nothing and repeats nothing.
      auto parts = detail::split_metrics_request(std::move(request));
      auto& pending = builder.pending();
      std::size_t committed = 0;
      for (auto& part : parts) {
        const auto result = transport_->run(
            [&](grpc::ClientContext& context) {
              pb_metrics_collector::ExportMetricsServiceResponse response;
              return stub_->Export(&context, part.request, &response);
            },
            deadline);
        if (!result.ok) {
          if (committed > 0) reporter_->note_exported(committed);
          reporter_->note_export_failed(builder.points() - committed, result.error);
          return false;
        }
        for (std::size_t i = committed; i < committed + part.points && i < pending.size(); ++i) {
          series_[pending[i].first] = std::move(pending[i].second);
        }
        committed += part.points;
      }
      reporter_->note_exported(builder.points());
      return true;
    } catch (const std::exception& e) {
      reporter_->note_export_failed(0, std::string("collect failed: ") + e.what());
      return false;
    } catch (...) {
      reporter_->note_export_failed(0, "collect failed");
      return false;
    }
  }

  KeyValues resource_;
  CollectFn collect_;
  Temporality temporality_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds export_timeout_;
  std::chrono::milliseconds shutdown_timeout_;
  // Shared with counters_source(), which may outlive the reader.
  std::shared_ptr<detail::DropReporter> reporter_;
  std::optional<detail::Transport> transport_;
  std::unique_ptr<pb_metrics_collector::MetricsService::Stub> stub_;

  // Owned by whoever holds the export slot.
  std::unordered_map<std::uint64_t, SeriesState> series_;
  std::uint64_t previous_collect_ns_;

  std::mutex mutex_;  // guards stopping_ and exporting_
  std::condition_variable wake_;
  std::condition_variable export_idle_;
  bool stopping_ = false;
  bool exporting_ = false;
  std::thread worker_;
};

OtlpMetricsReader::OtlpMetricsReader(const OtlpConfig& config, KeyValues resource,
                                     CollectFn collect, WarningFn warn)
    : impl_(std::make_unique<Impl>(config, std::move(resource), std::move(collect),
                                   std::move(warn))) {}
OtlpMetricsReader::~OtlpMetricsReader() = default;

bool OtlpMetricsReader::force_flush(std::chrono::milliseconds timeout) noexcept {
  return impl_->force_flush(timeout);
}
bool OtlpMetricsReader::shutdown(std::chrono::milliseconds timeout) noexcept {
  return impl_->shutdown(timeout);
}
ExportCounters OtlpMetricsReader::counters() const noexcept { return impl_->counters(); }
std::function<ExportCounters()> OtlpMetricsReader::counters_source() const {
  return impl_->counters_source();
}

}  // namespace kopiur::telemetry::otlp
