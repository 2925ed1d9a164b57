// process_env(): the one EnvLookup over the real environment, shared by every telemetry library
// (kopiur_log is the lowest of them).
#include "kopiur/telemetry/env.hpp"

#include <cstdlib>

namespace kopiur::telemetry {

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const std::string key(name);
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read-only; nothing in kopiur calls setenv.
    const char* value = std::getenv(key.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

}  // namespace kopiur::telemetry
