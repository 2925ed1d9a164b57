// File: kopiur/telemetry/resource.hpp
//
// Resource: the ordered key/value attributes identifying the process that emits telemetry
// (service.name, service.version, service.instance.id, k8s.pod.name, ...). The Prometheus reader
// exports them as target_info; the OTLP exporters send them as the OTLP resource.
//
//   ResourceBuild built = build_resource({.service_name = "kopiur-controller"});
//   for (const std::string& w : built.warnings) log_warning(w);
//
// Precedence, lowest first (standard OTel SDK behaviour): the program's defaults, then the
// Kubernetes downward-API variables (KOPIUR_POD_NAME, KOPIUR_NAMESPACE, KOPIUR_NODE_NAME), then
// OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME (service.name only).
// Thread-safety: a Resource is a value; build_resource() only reads through the lookup it gets.
// Failures: malformed OTEL_RESOURCE_ATTRIBUTES entries are skipped and described in `warnings`
// (one actionable sentence each); nothing throws but std::bad_alloc.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kopiur/telemetry/env.hpp"  // EnvLookup: tests inject a map

namespace kopiur::telemetry {

class Resource {
 public:
  using Attributes = std::vector<std::pair<std::string, std::string>>;

  Resource() = default;
  explicit Resource(Attributes attributes) : attributes_(std::move(attributes)) {}

  // In insertion order; keys unique.
  [[nodiscard]] const Attributes& attributes() const noexcept { return attributes_; }
  [[nodiscard]] std::optional<std::string_view> get(std::string_view key) const noexcept;
  // Replaces the value of an existing key in place, or appends the pair.
  void set(std::string key, std::string value);

 private:
  Attributes attributes_;
};

struct ResourceOptions {
  std::string service_name{};     // e.g. "kopiur-controller"
  std::string service_version{};  // empty: kopiur::kVersion
  std::string instance_id{};      // empty: the pod name when known, else a random UUID
};

struct ResourceBuild {
  Resource resource;
  std::vector<std::string> warnings;
};

ResourceBuild build_resource(const ResourceOptions& options, const EnvLookup& env = process_env());

}  // namespace kopiur::telemetry
