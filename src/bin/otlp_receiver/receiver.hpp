// OtlpReceiver: a small OTLP/gRPC receiver for local runs and the end-to-end test. It serves the
// three OTLP collector services (traces, metrics, logs), decodes every export request with the
// official protobuf schema and appends it to a JSON-lines file in the OTLP/JSON encoding (hex
// trace and span ids, lowerCamelCase keys, enums as integers), one line per request:
//
//   {"signal":"traces","receivedAt":"2026-12-01T10:00:00.123Z","request":{"resourceSpans":[...]}}
//
// It counts what it received per signal and per resource service.name. Thread-safe: gRPC calls
// the services from its own threads; lines are written whole, in arrival order, and flushed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "prometheus_export.hpp"

namespace google::protobuf {
class Message;
}

namespace kopiur::otlp_receiver {

// What arrived for one signal from one service.
struct Count {
  std::uint64_t requests = 0;
  std::uint64_t items = 0;  // spans, data points or log records
};

class OtlpReceiver {
 public:
  // Lines go to `out`, which must outlive the receiver.
  explicit OtlpReceiver(std::ostream& out);
  ~OtlpReceiver();
  OtlpReceiver(const OtlpReceiver&) = delete;
  OtlpReceiver& operator=(const OtlpReceiver&) = delete;

  // Binds `address` (host:port; port 0 picks one) and serves on gRPC's threads. Returns an
  // actionable error, or an empty string.
  [[nodiscard]] std::string start(const std::string& address);
  // The bound port after start().
  [[nodiscard]] int port() const noexcept { return port_; }
  // Stops accepting, finishes the calls in flight.
  void stop();

  // signal -> service.name -> count, so far.
  [[nodiscard]] std::map<std::string, std::map<std::string, Count>> counts() const;
  // One line per signal and service, for the end of a run.
  [[nodiscard]] std::string summary() const;

  // The received metrics as a Prometheus exporter would serve them.
  [[nodiscard]] const PrometheusExport& prometheus() const noexcept { return prometheus_; }

  // Called by the services: writes the line and counts it.
  void record(const std::string& signal, const google::protobuf::Message& request);

 private:
  class Services;
  std::ostream& out_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, Count>> counts_;
  PrometheusExport prometheus_;
  std::unique_ptr<Services> services_;
  int port_ = 0;
};

}  // namespace kopiur::otlp_receiver
