// LocalSystem: tools/local-system.sh run headless from the build tree under test, on free ports
// and a fresh state directory, with JSON logs. The end-to-end test starts one, waits for the
// demo scenario's last line, reads what the system produced and stops it with SIGTERM.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "child_process.hpp"
#include "support/temp_dir.hpp"

namespace kopiur::e2e {

class LocalSystem {
 public:
  LocalSystem();  // starts the script

  // Waits for "demo: done" (true) or "demo: FAILED" / the deadline (false, with the output).
  bool wait_for_demo(std::chrono::seconds timeout, std::string& why);
  // SIGTERM; the script's exit code, nullopt when it did not stop within the deadline.
  std::optional<int> stop(std::chrono::seconds timeout);

  [[nodiscard]] std::string output() const { return script_->out() + script_->err(); }
  [[nodiscard]] std::string state() const { return dir_.file("run"); }
  [[nodiscard]] std::string log(const std::string& name) const;  // <state>/logs/<name>.log
  [[nodiscard]] std::string kubeconfig() const { return state() + "/kubeconfig"; }
  [[nodiscard]] std::string ca_file() const { return state() + "/tls/ca.crt"; }

  [[nodiscard]] std::string controller_url() const;  // http://127.0.0.1:PORT
  [[nodiscard]] std::string webhook_url() const;     // https://127.0.0.1:PORT
  [[nodiscard]] std::string prometheus_url() const;
  [[nodiscard]] int port_of(const std::string& what) const;  // controller, webhook, api, ...

 private:
  test::TempDir dir_;
  std::map<std::string, int> ports_;
  std::unique_ptr<test::ChildProcess> script_;
};

// GET `url` with curl (the CA of the run for https); the body, or "" with `error` set.
std::string http_get(const LocalSystem& system, const std::string& url, std::string* error);
// Runs `kubectl ARGS...` against the run's API server: {exit code, stdout + stderr}.
std::pair<int, std::string> kubectl(const LocalSystem& system,
                                    const std::vector<std::string>& args);

}  // namespace kopiur::e2e
