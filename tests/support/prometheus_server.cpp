#include "support/prometheus_server.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

extern char** environ;

namespace kopiur::test {
namespace {

using namespace std::chrono_literals;

// A port that was free a moment ago on 127.0.0.1 (Prometheus binds it right after; start()
// retries with another if something else took it meanwhile).
std::uint16_t pick_free_port() {
  const std::uint16_t port = unused_loopback_port();
  if (port == 0) throw std::runtime_error("cannot find a free port on 127.0.0.1");
  return port;
}

std::string duration_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

// One entry of scrape_configs. Values are single-quoted YAML scalars (tests control them).
std::string job_yaml(const ScrapeJob& job) {
  std::string yaml;
  yaml += "  - job_name: '" + job.job + "'\n";
  yaml += "    scheme: " + job.scheme + "\n";
  yaml += "    metrics_path: '" + job.metrics_path + "'\n";
  if (!job.ca_file.empty() || job.insecure_skip_verify) {
    yaml += "    tls_config:\n";
    if (!job.ca_file.empty()) yaml += "      ca_file: '" + job.ca_file + "'\n";
    if (job.insecure_skip_verify) yaml += "      insecure_skip_verify: true\n";
  }
  yaml += "    static_configs:\n      - targets: ['" + job.target + "']\n";
  return yaml;
}

std::string tail(const std::string& text, std::size_t max_chars) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

}  // namespace

std::string WaitOutcome::describe() const {
  std::string out = satisfied ? "condition met" : "condition not met before the deadline";
  out += "; last result: " + (last_result.is_null() ? std::string("none") : last_result.dump());
  if (!last_error.empty()) out += "; last error: " + last_error;
  return out;
}

PrometheusServer::PrometheusServer(PrometheusOptions options) : options_(std::move(options)) {}

PrometheusServer::~PrometheusServer() { terminate(); }

bool PrometheusServer::available(const std::string& binary) {
  return access(binary.c_str(), X_OK) == 0;
}

std::string PrometheusServer::start() {
  if (pid_ > 0) return "Prometheus already started on port " + std::to_string(port_);
  if (!available(options_.binary)) return options_.binary + " is not installed or not executable";
  if (options_.target.empty()) return "PrometheusOptions::target is empty";
  for (const ScrapeJob& job : options_.extra_jobs) {
    if (job.target.empty() || job.job == options_.job) {
      return "extra job '" + job.job + "' needs a target and a job name of its own";
    }
  }
  try {
    dir_ = std::make_unique<TempDir>("kopiur-prometheus-");
    std::string yaml;
    yaml += "global:\n";
    yaml += "  scrape_interval: " + duration_text(options_.scrape_interval) + "\n";
    yaml += "  scrape_timeout: " + duration_text(options_.scrape_interval) + "\n";
    yaml += "  evaluation_interval: " + duration_text(options_.scrape_interval) + "\n";
    yaml += "scrape_configs:\n";
    yaml += job_yaml(ScrapeJob{options_.job, options_.target, options_.metrics_path,
                               options_.scheme, options_.ca_file, options_.insecure_skip_verify});
    for (const ScrapeJob& job : options_.extra_jobs) yaml += job_yaml(job);
    write_file_atomically(dir_->file("prometheus.yml"), yaml);
  } catch (const std::exception& e) {
    return std::string("cannot prepare Prometheus: ") + e.what();
  }
  std::string error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      error = launch(pick_free_port());
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (error.empty()) return {};
    terminate();
  }
  return error;
}

std::string PrometheusServer::launch(std::uint16_t port) {
  const std::string log_file = dir_->file("prometheus.log");
  const std::vector<std::string> args = {
      options_.binary,
      "--config.file=" + dir_->file("prometheus.yml"),
      "--storage.tsdb.path=" + dir_->file("data"),
      "--web.listen-address=127.0.0.1:" + std::to_string(port),
      "--log.level=info",
  };
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  // The test process's sockets (a listening server) must not live on in the child.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  pid_t pid = -1;
  const int rc =
      posix_spawn(&pid, options_.binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return "cannot run " + options_.binary + ": " + std::generic_category().message(rc);
  pid_ = pid;
  port_ = port;

  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(0, 200'000);
  client.set_read_timeout(1, 0);
  bool exited = false;
  const bool ready = wait_until(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          exited = true;
          pid_ = -1;
          return true;
        }
        auto res = client.Get("/-/ready");
        return res && res->status == 200;
      },
      options_.ready_timeout, 50ms);
  if (exited) return "Prometheus exited during startup:\n" + tail(log(), 2000);
  if (!ready) {
    return "Prometheus not ready after " + std::to_string(options_.ready_timeout.count()) +
           " ms:\n" + tail(log(), 2000);
  }
  return {};
}

void PrometheusServer::terminate() noexcept {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  const bool gone = wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, 10s, 20ms);
  if (!gone) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

nlohmann::json PrometheusServer::query(std::string_view promql) const {
  if (pid_ <= 0) throw std::runtime_error("Prometheus is not running");
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(5, 0);
  const httplib::Params params = {{"query", std::string(promql)}};
  auto res = client.Get("/api/v1/query", params, httplib::Headers{});
  if (!res) {
    throw std::runtime_error("query '" + std::string(promql) +
                             "': " + httplib::to_string(res.error()));
  }
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    throw std::runtime_error("query '" + std::string(promql) + "': HTTP " +
                             std::to_string(res->status) + ", not JSON: " + tail(res->body, 300));
  }
  if (res->status != 200 || body.value("status", "") != "success") {
    throw std::runtime_error("query '" + std::string(promql) + "': HTTP " +
                             std::to_string(res->status) + ": " + body.value("error", body.dump()));
  }
  return body.at("data");
}

WaitOutcome PrometheusServer::wait_for(std::string_view promql, const Predicate& predicate,
                                       std::chrono::milliseconds timeout) const {
  WaitOutcome outcome;
  outcome.satisfied = wait_until(
      [&] {
        try {
          nlohmann::json data = query(promql);
          outcome.last_result = data.at("result");
          outcome.last_error.clear();
          return predicate(outcome.last_result);
        } catch (const std::exception& e) {
          outcome.last_error = e.what();
          return false;
        }
      },
      timeout, 100ms);
  return outcome;
}

std::string PrometheusServer::log() const {
  if (!dir_) return {};
  try {
    return read_file(dir_->file("prometheus.log"));
  } catch (const std::exception&) {
    return {};
  }
}

std::optional<double> PrometheusServer::first_value(const nlohmann::json& result) {
  // An instant vector: [{"metric": {...}, "value": [<unix time>, "<value as string>"]}, ...]
  if (!result.is_array() || result.empty()) return std::nullopt;
  const auto& value = result.at(0).value("value", nlohmann::json::array());
  if (value.size() != 2 || !value.at(1).is_string()) return std::nullopt;
  try {
    return std::stod(value.at(1).get<std::string>());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

PrometheusServer::Predicate PrometheusServer::has_value(double value) {
  return [value](const nlohmann::json& result) {
    const auto v = first_value(result);
    return v.has_value() && *v == value;
  };
}

PrometheusServer::Predicate PrometheusServer::non_empty() {
  return [](const nlohmann::json& result) { return result.is_array() && !result.empty(); };
}

}  // namespace kopiur::test
