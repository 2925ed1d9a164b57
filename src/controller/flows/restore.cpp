#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/flows.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::controller::flows {

// Placeholder until this kind's flow lands: logs the phase it saw and waits for a change.
ReconcileResult restore(FlowEnv& /*env*/, ReconcileContext& context) {
  KOPIUR_INFO("reconciled", telemetry::log::kv("phase", phase_of_status(context.object())));
  return Action::done();
}

}  // namespace kopiur::controller::flows
