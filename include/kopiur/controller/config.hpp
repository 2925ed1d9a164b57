// File: kopiur/controller/config.hpp
//
// The controller's command line: the flag table (every flag the chart passes, with the chart's
// environment variables as fallbacks) and its validation into a ControllerConfig. Every bad value
// is reported with the flag's name, what is expected and what was given, before anything starts.
//
//   spec.flags = controller_flags();
//   auto config = controller_config(flags, telemetry::process_env());
//   if (!config.error.empty()) { print(config.error); return 2; }
//
// Thread-safety: pure functions. Failure: the error string; nothing throws but std::bad_alloc.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/app/cli.hpp"
#include "kopiur/controller/health.hpp"
#include "kopiur/controller/leader_election.hpp"
#include "kopiur/telemetry/env.hpp"

namespace kopiur::controller {

struct ControllerConfig {
  std::vector<std::string> namespaces;  // empty: the whole cluster
  std::string http_addr;
  std::string kubeconfig;
  bool standalone = false;
  std::size_t workers = 4;
  bool leader_elect = false;
  LeaderElectionOptions leader;
  std::string mover_image;
  std::string mover_pull_policy;
  std::chrono::milliseconds phase_grace{std::chrono::minutes(10)};
  HealthOptions health;
};

struct ConfigResult {
  std::optional<ControllerConfig> config;
  std::string error;  // "" when config is set
};

std::vector<app::FlagSpec> controller_flags();
std::vector<app::EnvSpec> controller_env();
ConfigResult controller_config(const app::Flags& flags, const telemetry::EnvLookup& env);

// parse_duration(): "15s", "10m", "1h", "500ms" (a whole number and a unit); nullopt otherwise.
// The same as schedule::parse_duration (kopiur/schedule/duration.hpp), which the webhook uses.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace kopiur::controller
