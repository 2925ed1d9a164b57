// File: kopiur/controller/manager.hpp
//
// Manager: everything kopiur-controller runs, wired from its ControllerConfig: the API client,
// the Event recorder, the runtime with every kind registered, the health routes and, with
// --leader-elect, the Lease elector driving the runtime. main() only creates and starts it.
//
//   auto manager = Manager::connect(config, telemetry.meter());
//   if (!manager.error.empty()) ...
//   manager.value->add_health_routes(server);
//   manager.value->start();  ...  manager.value->stop();
//
// Thread-safety: connect/start/stop from main(). Failure: connect() returns an actionable error
// when no Kubernetes API configuration is found.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "kopiur/controller/config.hpp"
#include "kopiur/controller/flow_env.hpp"
#include "kopiur/controller/leader_election.hpp"
#include "kopiur/controller/runtime.hpp"
#include "kopiur/kube/events.hpp"
#include "kopiur/telemetry/http/server.hpp"

namespace kopiur::controller {

class Manager {
 public:
  struct Connected {
    std::unique_ptr<Manager> value;
    std::string error;
  };
  static Connected connect(const ControllerConfig& config, telemetry::metrics::Meter meter);
  // Only connect() can make the key, so only connect() constructs a Manager.
  class Key {
    friend class Manager;
    Key() = default;
  };
  Manager(Key key, const ControllerConfig& config, kube::Client client,
          telemetry::metrics::Meter meter);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // /readyz and /healthz of the runtime (before the server starts).
  void add_health_routes(telemetry::http::HttpServer& server) const;
  void start();
  // Gives up the Lease, then stops the runtime; idempotent.
  void stop();

 private:
  ControllerConfig config_;
  kube::Client client_;
  kube::EventRecorder events_;
  Runtime runtime_;
  SystemWallClock wall_clock_;
  FlowEnv flows_;
  std::optional<LeaderElector> elector_;
};

}  // namespace kopiur::controller
