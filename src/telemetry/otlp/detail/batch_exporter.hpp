// BatchExporter<Signal>: what the OTLP span and log layers share around their own conversion.
//
// It owns the transport to the signal's endpoint, the gRPC stub, the drop reporter and the
// BatchProcessor, and gives a layer four calls: record() (the recording thread's path), flush(),
// shutdown() and counters(). A layer supplies only a Signal description:
//
//   struct Signal {
//     using Item = ...;      // an owned copy of what a hook saw (queued, exported in batches)
//     using Service = ...;   // the generated collector service (NewStub, Stub::Export)
//     using Response = ...;  // that service's Export response
//     static constexpr std::string_view kName = "logs", kUnit = "log records";  // for warnings
//     static constexpr auto kEndpoint = &OtlpConfig::logs;    // std::optional<Endpoint>
//     static constexpr auto kBatch = &OtlpConfig::logs_batch;  // BatchConfig
//     static <Request> to_request(const std::vector<Item>& batch, const KeyValues& resource);
//   };
//
// Without an endpoint for the signal the exporter is inert: no thread, record() returns at once.
// Thread-safety: record/flush/shutdown/counters may be called from any thread. Failure: never
// throws; drops and failed exports are counted and reported from the worker thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kopiur/telemetry/otlp/config.hpp"
#include "kopiur/telemetry/otlp/counters.hpp"

#include "telemetry/otlp/detail/batch_processor.hpp"
#include "telemetry/otlp/detail/drop_reporter.hpp"
#include "telemetry/otlp/detail/transport.hpp"

namespace kopiur::telemetry::otlp::detail {

template <class Signal>
class BatchExporter {
 public:
  using Item = typename Signal::Item;

  // Starts the worker when the config has an endpoint for this signal.
  BatchExporter(const OtlpConfig& config, KeyValues resource, WarningFn warn)
      : resource_(std::move(resource)),
        shutdown_timeout_(config.shutdown_timeout),
        reporter_(std::string(Signal::kName), std::string(Signal::kUnit), std::move(warn),
                  config.warning_interval) {
    const std::optional<Endpoint>& endpoint = config.*Signal::kEndpoint;
    if (!endpoint) return;
    const BatchConfig& batch = config.*Signal::kBatch;
    transport_.emplace(*endpoint, config);
    stub_ = Signal::Service::NewStub(transport_->channel());
    processor_.emplace(
        batch, std::min(config.timeout, batch.export_timeout),
        [this](std::vector<Item>& items, SteadyClock::time_point deadline) {
          return export_batch(items, deadline);
        },
        [this] { transport_->cancel(); }, reporter_);
  }

  ~BatchExporter() { shutdown(shutdown_timeout_); }
  BatchExporter(const BatchExporter&) = delete;
  BatchExporter& operator=(const BatchExporter&) = delete;

  // record(): queues make_item() (an Item), or counts a drop. When the queue is full, the steady
  // state behind a dead collector, this costs one relaxed atomic load and one relaxed increment:
  // make_item() is not called, so nothing is copied or allocated.
  template <class MakeItem>
  void record(MakeItem&& make_item) noexcept {
    if (!processor_) return;
    if (processor_->full()) {
      processor_->note_dropped();
      return;
    }
    try {
      processor_->try_push(std::forward<MakeItem>(make_item)());
    } catch (...) {
      reporter_.note_out_of_memory(1);  // out of memory copying the item
    }
  }

  bool flush(std::chrono::milliseconds timeout) noexcept {
    return processor_ ? processor_->flush(timeout) : true;
  }
  void shutdown(std::chrono::milliseconds timeout) noexcept {
    if (processor_) processor_->shutdown(timeout);
  }
  [[nodiscard]] ExportCounters counters() const noexcept { return reporter_.counters(); }

 private:
  // Runs on the worker thread: one request for the batch, sent with the transport's retries.
  bool export_batch(std::vector<Item>& batch, SteadyClock::time_point deadline) {
    const auto request = Signal::to_request(batch, resource_);
    const auto result = transport_->run(
        [&](grpc::ClientContext& context) {
          typename Signal::Response response;
          return stub_->Export(&context, request, &response);
        },
        deadline);
    if (!result.ok) reporter_.note_export_failed(batch.size(), result.error);
    return result.ok;
  }

  KeyValues resource_;
  std::chrono::milliseconds shutdown_timeout_;
  DropReporter reporter_;
  std::optional<Transport> transport_;
  std::unique_ptr<typename Signal::Service::Stub> stub_;
  std::optional<BatchProcessor<Item>> processor_;  // last: its worker uses the rest
};

}  // namespace kopiur::telemetry::otlp::detail
