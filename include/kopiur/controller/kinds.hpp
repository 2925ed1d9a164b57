// File: kopiur/controller/kinds.hpp
//
// kind_registrations(): the runtime registration of each of kopiur's seven kinds (api/kinds.hpp):
// its resource, its phases for kopiur_resource_phase, its flow (flows.hpp) bound to `env`, and
// the Jobs it owns (a label-selected watch requeueing the owner) for the kinds that run movers.
//
// Thread-safety: returns fresh values; `env` must outlive the registrations.
#pragma once

#include <vector>

#include "kopiur/controller/flow_env.hpp"
#include "kopiur/controller/runtime.hpp"

namespace kopiur::controller {

std::vector<KindRegistration> kind_registrations(FlowEnv& env);

}  // namespace kopiur::controller
