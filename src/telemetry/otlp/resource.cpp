// The process's OTLP resource.
#include "kopiur/telemetry/otlp/resource.hpp"

#include <cstdio>
#include <random>

#include "kopiur/version.hpp"

namespace kopiur::telemetry::otlp {

namespace {

// A random (version 4) UUID: service.instance.id must tell two processes of one service apart,
// including two short-lived mover runs that export delta metrics.
std::string random_uuid() {
  std::random_device device;
  std::mt19937_64 engine((static_cast<std::uint64_t>(device()) << 32) ^ device());
  std::uniform_int_distribution<unsigned> byte(0, 255);
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(byte(engine));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

void set(KeyValues& attributes, std::string_view key, std::string value) {
  for (auto& [k, v] : attributes) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  attributes.emplace_back(std::string(key), std::move(value));
}

}  // namespace

KeyValues make_resource(const OtlpConfig& config, std::string_view program_service_name) {
  KeyValues attributes;
  std::string service_name(program_service_name);
  for (const auto& [key, value] : config.resource_attributes) {
    if (key == "service.name") service_name = value;
  }
  if (!config.service_name.empty()) service_name = config.service_name;
  set(attributes, "service.name", service_name);
  set(attributes, "service.version", kVersion);
  set(attributes, "service.instance.id", random_uuid());
  set(attributes, "telemetry.sdk.name", "kopiur");
  set(attributes, "telemetry.sdk.language", "cpp");
  set(attributes, "telemetry.sdk.version", kVersion);
  for (const auto& [key, value] : config.kubernetes_attributes) set(attributes, key, value);
  // User-supplied attributes win over detected ones, except service.name (resolved above).
  for (const auto& [key, value] : config.resource_attributes) {
    if (key != "service.name") set(attributes, key, value);
  }
  return attributes;
}

}  // namespace kopiur::telemetry::otlp
