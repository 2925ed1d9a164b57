// MapEnv: an EnvLookup over a fixed map, so tests never touch the process environment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "kopiur/telemetry/otlp/config.hpp"

namespace kopiur::telemetry::otlp::testing {

using EnvMap = std::map<std::string, std::string, std::less<>>;

inline EnvLookup map_env(EnvMap vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Parses `vars` and returns the config, failing the test on any error.
OtlpConfig config_for(EnvMap vars);

}  // namespace kopiur::telemetry::otlp::testing
