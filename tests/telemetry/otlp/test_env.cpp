#include "telemetry/otlp/test_env.hpp"

#include <gtest/gtest.h>

namespace kopiur::telemetry::otlp::testing {

OtlpConfig config_for(EnvMap vars) {
  auto result = parse_otlp_config(map_env(std::move(vars)));
  EXPECT_TRUE(result.errors.empty()) << result.errors_message();
  if (!result.config) {
    ADD_FAILURE() << "OTLP unexpectedly off";
    return {};
  }
  return *result.config;
}

}  // namespace kopiur::telemetry::otlp::testing
