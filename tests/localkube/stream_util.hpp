// Helpers shared by the local API server's stream tests (watch_stream_test.cpp over raw sockets,
// kubectl_stream_test.cpp with the real kubectl): the failure bound of their waits, a JSON POST
// over a raw connection and the ConfigMaps they create and watch.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

#include "telemetry/http/raw_client.hpp"

namespace kopiur::localkube::testing {

using namespace std::chrono_literals;

inline constexpr auto kWait = 20s;  // failure bound for every wait; passing tests return sooner
inline constexpr const char* kConfigMaps = "/api/v1/namespaces/default/configmaps";

inline telemetry::http::testing::RawResponse post(int port, const std::string& path,
                                                  const nlohmann::json& body) {
  return telemetry::http::testing::send(static_cast<std::uint16_t>(port), "POST", path,
                                        "Content-Type: application/json\r\n", body.dump());
}

inline nlohmann::json config_map(const std::string& name, const std::string& value = "v",
                                 std::vector<std::string> finalizers = {}) {
  nlohmann::json meta = {{"name", name}};
  if (!finalizers.empty()) meta["finalizers"] = finalizers;
  return {
      {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", meta}, {"data", {{"k", value}}}};
}

}  // namespace kopiur::localkube::testing
