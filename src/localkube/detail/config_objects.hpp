// Built-in kinds the local server stores without running anything for them: apps/v1
// Deployments, v1 Services, the RBAC kinds and admissionregistration.k8s.io/v1
// ValidatingWebhookConfigurations. They are validated as a real API server validates them (the
// rules a chart can get wrong: a selector that does not match the template, a port out of range,
// a rule without verbs, a webhook without sideEffects), with its field paths, so
// `kubectl apply --dry-run=server` of a rendered chart against the local server means something.
#pragma once

#include "kopiur/support/json.hpp"

#include "localkube/detail/kube_types.hpp"

namespace kopiur::localkube::detail {

struct ResourceType;

// Applies the defaults and checks of the kinds above; other kinds pass unchanged.
Status prepare_config_object(const ResourceType& rt, nlohmann::json& object);

}  // namespace kopiur::localkube::detail
