// The definition of one of the controller's runtime metrics (kopiur_controller_workqueue_*,
// kopiur_kube_client_*), looked up by instrument name in the catalog, so the name, unit and
// description recorded are the catalog's.
#pragma once

#include <exception>
#include <string_view>

#include "kopiur/telemetry/catalog.hpp"

namespace kopiur::controller::detail {

inline const telemetry::MetricDefinition& runtime_metric(std::string_view name) {
  if (const auto* d = telemetry::find_runtime_metric(name)) return *d;
  std::terminate();  // the catalog and its users are edited together
}

}  // namespace kopiur::controller::detail
