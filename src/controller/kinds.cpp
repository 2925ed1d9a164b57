#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include "kopiur/controller/kinds.hpp"

#include "kopiur/api/kinds.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::controller {
namespace {

namespace log = telemetry::log;

bool runs_movers(const std::string& kind) {
  return kind == "Repository" || kind == "ClusterRepository" || kind == "Backup" ||
         kind == "Restore" || kind == "Maintenance";
}

ReconcileResult observe_only(ReconcileContext& context) {
  const auto& status = context.object().value("status", nlohmann::json::object());
  const auto phase = status.is_object() ? status.value("phase", "") : std::string();
  KOPIUR_INFO("reconciled", log::kv("phase", phase.empty() ? std::string("-") : phase),
              log::kv("flow", "none yet"));
  return Action::done();
}

}  // namespace

std::vector<KindRegistration> kind_registrations() {
  std::vector<KindRegistration> out;
  for (const auto& info : api::kinds()) {
    KindRegistration r;
    r.kind = info.kind;
    r.resource = kube::resource_for(info.kind);
    r.phases = info.phases;
    r.reconcile = observe_only;
    if (runs_movers(info.kind)) {
      r.related.push_back(
          owned_by(info.kind, info.namespaced(), kube::resources::kJobs,
                   "app.kubernetes.io/managed-by=kopiur,kopiur.io/kind=" + info.kind));
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace kopiur::controller
