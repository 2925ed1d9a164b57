// libFuzzer target for the OTEL_* variables. The input is an environment, one NAME=value per line
// (seeds in corpus/otel_env); the OTLP configuration and the resource are built from it. Either
// the config parses or every problem is named in an error; never a crash.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kopiur/telemetry/otlp/config.hpp"
#include "kopiur/telemetry/resource_builder.hpp"

#include "fuzz_check.hpp"

namespace {

std::vector<std::pair<std::string, std::string>> read_env(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> env;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace_back(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return env;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto env = read_env(std::string_view(reinterpret_cast<const char*>(data), size));
  const kopiur::telemetry::EnvLookup lookup =
      [&env](std::string_view name) -> std::optional<std::string> {
    for (const auto& [key, value] : env) {
      if (key == name) return value;
    }
    return std::nullopt;
  };
  const auto config = kopiur::telemetry::otlp::parse_otlp_config(lookup);
  for (const auto& error : config.errors) kopiur::fuzz::fuzz_require(!error.empty());
  (void)kopiur::telemetry::otlp::summary(config.config);
  kopiur::telemetry::ResourceOptions options;
  options.service_name = "kopiur-fuzz";
  options.instance_id = "fuzz";
  const auto resource = kopiur::telemetry::build_resource(options, lookup);
  kopiur::fuzz::fuzz_require(resource.resource.get("service.name").has_value());
  return 0;
}
