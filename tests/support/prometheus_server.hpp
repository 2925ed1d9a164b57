// File: support/prometheus_server.hpp
//
// PrometheusServer: a real Prometheus (Debian's /usr/bin/prometheus) for end-to-end metrics
// tests. start() writes a temp config scraping the given targets, launches the server on 127.0.0.1
// with a free port and a temp TSDB, and waits for /-/ready; query() and wait_for() read series back
// through the HTTP API (/api/v1/query). The destructor stops the process (SIGTERM, then SIGKILL)
// and removes the temp directory.
//
//   PrometheusServer prom({.target = "127.0.0.1:" + std::to_string(server.port())});
//   ASSERT_EQ(prom.start(), "");
//   auto up = prom.wait_for("up", PrometheusServer::has_value(1.0), 10s);
//   ASSERT_TRUE(up.satisfied) << up.describe();
//
// More targets (say the controller's HTTP port and the webhook's HTTPS port) go in extra_jobs, so
// one server scrapes them all. Not thread-safe: one test thread drives it. Ready within a fraction
// of a second, but the first scrape comes about 5 s later: Prometheus's discovery manager hands
// targets to the scrape loop in 5 s batches, static ones included. Share one instance per test
// binary where possible.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "kopiur/support/json.hpp"

namespace kopiur::test {

class TempDir;

// One scrape job: a target and how to reach it.
struct ScrapeJob {
  std::string job = "kopiur";  // the `job` label of its series
  std::string target{};        // host:port to scrape, e.g. "127.0.0.1:8080"
  std::string metrics_path = "/metrics";
  std::string scheme = "http";        // "https" for a TLS target
  std::string ca_file{};              // https: verify the server against this CA (PEM)
  bool insecure_skip_verify = false;  // https: accept any certificate
};

// The first job's fields sit here directly, so the common case reads
// PrometheusServer prom({.target = "127.0.0.1:8080"}). Every member has a default initializer:
// designated initializers may skip any of them without -Wmissing-field-initializers.
struct PrometheusOptions {
  std::string target{};
  std::string job = "kopiur";
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  std::string ca_file{};
  bool insecure_skip_verify = false;
  std::vector<ScrapeJob> extra_jobs{};  // more targets for the same server (distinct job names)
  std::chrono::milliseconds scrape_interval{1000};
  std::chrono::milliseconds ready_timeout{20000};
  std::string binary = "/usr/bin/prometheus";
};

// The outcome of wait_for(): whether the predicate held, and the last thing seen either way.
struct WaitOutcome {
  bool satisfied = false;
  nlohmann::json last_result;  // the last "result" array returned by Prometheus
  std::string last_error;      // the last query error, if the last attempt failed
  [[nodiscard]] std::string describe() const;
};

class PrometheusServer {
 public:
  using Predicate = std::function<bool(const nlohmann::json& result)>;

  explicit PrometheusServer(PrometheusOptions options);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  // Whether the Prometheus binary is installed and executable.
  [[nodiscard]] static bool available(const std::string& binary = "/usr/bin/prometheus");

  // Launches Prometheus and waits until it is ready. Empty on success, else why (with the tail of
  // Prometheus's log).
  [[nodiscard]] std::string start();

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  // Runs an instant query; returns the "data" object ({"resultType", "result"}). Throws
  // std::runtime_error on transport, HTTP or PromQL errors.
  [[nodiscard]] nlohmann::json query(std::string_view promql) const;

  // Re-runs `promql` every 100 ms until `predicate(data["result"])` holds or `timeout` passes.
  // Query errors count as "not yet".
  [[nodiscard]] WaitOutcome wait_for(std::string_view promql, const Predicate& predicate,
                                     std::chrono::milliseconds timeout) const;

  // Prometheus's own log (stdout and stderr), for failure messages.
  [[nodiscard]] std::string log() const;

  // Predicates and accessors for instant-vector results.
  // The value of the first sample, if the result has one.
  [[nodiscard]] static std::optional<double> first_value(const nlohmann::json& result);
  // Holds when the result has at least one sample and the first equals `value`.
  [[nodiscard]] static Predicate has_value(double value);
  // Holds when the result has at least one sample.
  [[nodiscard]] static Predicate non_empty();

 private:
  [[nodiscard]] std::string launch(std::uint16_t port);
  void terminate() noexcept;

  PrometheusOptions options_;
  std::unique_ptr<TempDir> dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace kopiur::test
