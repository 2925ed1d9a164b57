// File: kopiur/controller/kinds.hpp
//
// kind_registrations(): the runtime registration of each of kopiur's seven kinds (api/kinds.hpp):
// its resource, its phases for kopiur_resource_phase, and the Jobs it owns (a label-selected
// watch requeueing the owner) for the kinds that run movers. Until a kind's flow exists its
// reconcile only logs that it saw the object and waits for the next change.
//
// Thread-safety: returns fresh values.
#pragma once

#include <vector>

#include "kopiur/controller/runtime.hpp"

namespace kopiur::controller {

std::vector<KindRegistration> kind_registrations();

}  // namespace kopiur::controller
