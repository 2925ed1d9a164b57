#include "e2e/local_system.hpp"

#include <csignal>
#include <fstream>
#include <sstream>

namespace kopiur::e2e {

namespace {
std::string source(const std::string& rel) {
  return std::string(KOPIUR_TEST_SOURCE_DIR) + "/" + rel;
}
}  // namespace

LocalSystem::LocalSystem() : dir_("kopiur-e2e-") {
  for (const char* what :
       {"controller", "webhook", "api", "prometheus", "otlp", "otlp-prometheus"}) {
    ports_[what] = test::free_tcp_port();
  }
  const auto addr = [this](const char* what) {
    return "127.0.0.1:" + std::to_string(ports_[what]);
  };
  std::map<std::string, std::string> env = {
      {"KOPIUR_HTTP_ADDR", addr("controller")},
      {"KOPIUR_WEBHOOK_ADDR", addr("webhook")},
      {"KOPIUR_LOCALKUBE_ADDR", addr("api")},
      {"KOPIUR_PROMETHEUS_ADDR", addr("prometheus")},
      {"KOPIUR_OTLP_ADDR", addr("otlp")},
      {"KOPIUR_OTLP_PROMETHEUS_ADDR", addr("otlp-prometheus")},
      {"KOPIUR_LOG_FORMAT", "json"},
      // The movers must follow this (they get it from the controller, not from here).
      {"RUST_LOG", "info,kopiur_mover=debug"},
      {"KOPIUR_DEMO", "1"},
      {"KOPIUR_DEMO_ALERT_FOR", "10s"},
  };
  script_ = std::make_unique<test::ChildProcess>(
      "/bin/bash",
      std::vector<std::string>{source("tools/local-system.sh"), "--build", KOPIUR_TEST_BINARY_DIR,
                               "--state", dir_.file("run")},
      env);
}

bool LocalSystem::wait_for_demo(std::chrono::seconds timeout, std::string& why) {
  std::string last;
  const bool ended = script_->wait_for_stdout(
      [&last](const std::string& out) {
        last = out;
        return out.find("demo: done") != std::string::npos ||
               out.find("demo: FAILED") != std::string::npos;
      },
      timeout);
  if (ended && last.find("demo: done") != std::string::npos) return true;
  why = (ended ? "the demo failed" : "the demo did not finish in time") + std::string(":\n") +
        output();
  return false;
}

std::optional<int> LocalSystem::stop(std::chrono::seconds timeout) {
  script_->signal(SIGTERM);
  return script_->wait(timeout);
}

std::string LocalSystem::log(const std::string& name) const {
  std::ifstream in(state() + "/logs/" + name + ".log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int LocalSystem::port_of(const std::string& what) const { return ports_.at(what); }

std::string LocalSystem::controller_url() const {
  return "http://127.0.0.1:" + std::to_string(port_of("controller"));
}
std::string LocalSystem::webhook_url() const {
  return "https://127.0.0.1:" + std::to_string(port_of("webhook"));
}
std::string LocalSystem::prometheus_url() const {
  return "http://127.0.0.1:" + std::to_string(port_of("prometheus"));
}

std::string http_get(const LocalSystem& system, const std::string& url, std::string* error) {
  const auto r = test::run_program("curl", {"-fsS", "--cacert", system.ca_file(), url});
  if (r.exit_code != 0) {
    if (error) *error = "curl " + url + ": " + r.err;
    return "";
  }
  return r.out;
}

std::pair<int, std::string> kubectl(const LocalSystem& system,
                                    const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"--kubeconfig", system.kubeconfig()};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = test::run_program("kubectl", argv);
  return {r.exit_code, r.out + r.err};
}

}  // namespace kopiur::e2e
