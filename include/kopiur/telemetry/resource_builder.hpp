// File: kopiur/telemetry/resource_builder.hpp
//
// build_resource(): kopiur's Resource (resource.hpp) from the program's identity and the OTel /
// Kubernetes environment variables, the one resource /metrics and every OTLP exporter share.
//
//   ResourceBuild built = build_resource({.service_name = "kopiur-controller"});
//   for (const std::string& w : built.warnings) log_warning(w);
//
// Precedence, lowest first (standard OTel SDK behaviour): the program's defaults, then the
// Kubernetes downward-API variables (KOPIUR_POD_NAME, KOPIUR_NAMESPACE, KOPIUR_NODE_NAME), then
// OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME (service.name only). Invalid UTF-8 becomes
// U+FFFD, with one warning naming the variables that had it.
// Thread-safety: build_resource() only reads through the lookup it gets; call it from any thread.
// Failures: malformed OTEL_RESOURCE_ATTRIBUTES entries are skipped and described in `warnings`
// (one actionable sentence each); nothing throws but std::bad_alloc.
#pragma once

#include <string>
#include <vector>

#include "kopiur/telemetry/env.hpp"  // EnvLookup: tests inject a map
#include "kopiur/telemetry/resource.hpp"

namespace kopiur::telemetry {

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
