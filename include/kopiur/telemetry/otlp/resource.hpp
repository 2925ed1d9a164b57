// File: kopiur/telemetry/otlp/resource.hpp
//
// The OTLP resource: the attributes identifying the process that exports. Build it once per
// process and hand the same value to every exporter (service.instance.id is random per call).
//
// Precedence for service.name: OTEL_SERVICE_NAME, then service.name in OTEL_RESOURCE_ATTRIBUTES,
// then the program's own name. service.version is the project version. k8s.pod.name,
// k8s.namespace.name and k8s.node.name come from the downward-API variables when set; the rest of
// OTEL_RESOURCE_ATTRIBUTES follows.
#pragma once

#include <string_view>

#include "kopiur/telemetry/otlp/config.hpp"

namespace kopiur::telemetry::otlp {

KeyValues make_resource(const OtlpConfig& config, std::string_view program_service_name);

}  // namespace kopiur::telemetry::otlp
