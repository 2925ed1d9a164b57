// build_resource(): the Resource from the program's identity and the OTel / Kubernetes
// environment variables.
#include "kopiur/telemetry/resource_builder.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "kopiur/telemetry/env.hpp"
#include "kopiur/telemetry/utf8.hpp"
#include "kopiur/version.hpp"

namespace kopiur::telemetry {
namespace {

std::string_view resource_trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int resource_hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// W3C baggage-style percent decoding; nullopt on a truncated or non-hex escape.
std::optional<std::string> resource_percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = resource_hex_value(s[i + 1]);
    const int lo = resource_hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string resource_random_uuid() {
  std::random_device rd;
  std::array<unsigned, 4> words{rd(), rd(), rd(), rd()};
  std::array<unsigned char, 16> b{};
  for (std::size_t i = 0; i < 16; ++i)
    b[i] = static_cast<unsigned char>(words[i / 4] >> (8 * (i % 4)));
  b[6] = static_cast<unsigned char>((b[6] & 0x0FU) | 0x40U);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3FU) | 0x80U);  // RFC 4122 variant
  std::array<char, 37> text{};
  std::snprintf(text.data(), text.size(),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return std::string(text.data(), 36);
}

}  // namespace

ResourceBuild build_resource(const ResourceOptions& options, const EnvLookup& env) {
  ResourceBuild out;
  Resource& r = out.resource;
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    if (!env) return std::nullopt;
    std::optional<std::string> v = env(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  };
  // Every exported string must be valid UTF-8 (Prometheus drops the whole scrape otherwise):
  // bad bytes become U+FFFD here, and one warning names the variables that had them.
  std::string invalid_utf8_in;
  auto repaired = [&](std::string_view variable, std::string value) {
    if (is_valid_utf8(value)) return value;
    if (invalid_utf8_in.find(variable) == std::string::npos) {
      if (!invalid_utf8_in.empty()) invalid_utf8_in += ", ";
      invalid_utf8_in += variable;
    }
    return sanitize_utf8(value);
  };
  auto lookup_utf8 = [&](std::string_view name) -> std::optional<std::string> {
    std::optional<std::string> v = lookup(name);
    if (v) v = repaired(name, std::move(*v));
    return v;
  };
  const std::optional<std::string> pod = lookup_utf8(env::kPodName);
  const std::optional<std::string> ns = lookup_utf8(env::kPodNamespace);
  const std::optional<std::string> node = lookup_utf8(env::kNodeName);

  r.set("service.name", options.service_name.empty() ? "kopiur" : options.service_name);
  r.set("service.version",
        options.service_version.empty() ? std::string(kVersion) : options.service_version);
  r.set("service.instance.id", !options.instance_id.empty() ? options.instance_id
                               : pod                        ? *pod
                                                            : resource_random_uuid());
  if (pod) r.set("k8s.pod.name", *pod);
  if (ns) r.set("k8s.namespace.name", *ns);
  if (node) r.set("k8s.node.name", *node);
  r.set("telemetry.sdk.language", "cpp");
  r.set("telemetry.sdk.name", "kopiur");
  r.set("telemetry.sdk.version", std::string(kVersion));

  if (const std::optional<std::string> raw = lookup(env::kResourceAttributes)) {
    std::string_view rest(*raw);
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view entry = resource_trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (entry.empty()) continue;
      const std::size_t eq = entry.find('=');
      const std::string_view key =
          eq == std::string_view::npos ? entry : resource_trim(entry.substr(0, eq));
      if (eq == std::string_view::npos || key.empty()) {
        out.warnings.push_back(std::string(env::kResourceAttributes) + ": ignored entry \"" +
                               std::string(entry) +
                               "\": expected key=value pairs separated by commas");
        continue;
      }
      std::optional<std::string> value =
          resource_percent_decode(resource_trim(entry.substr(eq + 1)));
      if (!value) {
        out.warnings.push_back(std::string(env::kResourceAttributes) + ": ignored entry \"" +
                               std::string(entry) +
                               "\": bad percent-encoding in the value (use %XX with two hex "
                               "digits)");
        continue;
      }
      r.set(repaired(env::kResourceAttributes, std::string(key)),
            repaired(env::kResourceAttributes, std::move(*value)));
    }
  }
  if (const std::optional<std::string> name = lookup_utf8(env::kServiceName)) {
    r.set("service.name", *name);
  }
  if (!invalid_utf8_in.empty()) {
    out.warnings.push_back(invalid_utf8_in +
                           ": invalid UTF-8 replaced by U+FFFD in the resource attributes "
                           "(percent-encode UTF-8 bytes, e.g. %C3%A9 for \u00e9)");
  }
  return out;
}

}  // namespace kopiur::telemetry
