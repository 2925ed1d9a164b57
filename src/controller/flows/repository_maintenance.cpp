// The repository's own spec.maintenance (docs/controller.md, "Repository flow"): while it is set
// and not `enabled: false`, the repository keeps a Maintenance object of its own, marked with the
// kopiur.io/managed-by annotation, so the Maintenance flow runs it like any other (and the
// MaintenanceConfigured check finds it). Unset, disabled or on a ReadOnly repository, a managed
// one is deleted; a Maintenance of that name that the repository did not make is left alone.
#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include "kopiur/api/meta.hpp"
#include "kopiur/controller/flow_support.hpp"
#include "kopiur/telemetry/log/log.hpp"

#include "controller/flows/repository_flow.hpp"

namespace kopiur::controller::repository_flow {

namespace {

using nlohmann::json;
namespace log = telemetry::log;

constexpr const char* kManagedBy = "kopiur.io/managed-by";

const kube::ResourceId& maintenance_resource() {
  static const kube::ResourceId resource = kube::resource_for("Maintenance");
  return resource;
}

// The Maintenance spec that spec.maintenance `config` asks for; kopia's own intervals (hourly
// quick, daily full) when it gives no schedule.
json wanted_spec(const Subject& s, const json& config, const std::string& ns) {
  json repository = {{"kind", s.kind}, {"name", s.name}};
  if (!s.cluster()) repository["namespace"] = s.namespace_;
  // Every field the API server could default is set, so the comparison below is stable.
  json ownership = {{"owner", "kopiur@" + ns},
                    {"takeoverPolicy", config.value("takeoverPolicy", "Never")}};
  json spec = {{"repository", repository},
               {"ownership", ownership},
               {"schedule", config.value("schedule", json{{"quick", {{"cron", "@hourly"}}},
                                                          {"full", {{"cron", "@daily"}}}})}};
  for (const char* key : {"mover", "failurePolicy"}) {
    if (config.contains(key) && !config[key].is_null()) spec[key] = config[key];
  }
  return spec;
}

std::string annotation_of(const json& object) {
  const auto annotations =
      object.value("metadata", json::object()).value("annotations", json::object());
  return annotations.is_object() ? annotations.value(kManagedBy, "") : "";
}

}  // namespace

std::string managed_maintenance_name(const Subject& s) {
  return s.cluster() ? "cluster-" + s.name + "-maintenance" : s.name + "-maintenance";
}

void managed_maintenance_step(const FlowEnv& env, const Subject& s, bool deleting) {
  const json spec = s.object.value("spec", json::object());
  const json config = spec.value("maintenance", json());
  const bool wanted =
      !deleting && config.is_object() && config.value("enabled", true) && !read_only(s.object);
  const std::string ns = s.cluster() && config.is_object()
                             ? config.value("namespace", env.system_namespace)
                             : s.job_namespace;
  const std::string name = managed_maintenance_name(s);
  const std::string marker = s.kind + "/" + (s.cluster() ? "" : s.namespace_ + "/") + s.name;
  auto existing = env.client.get(maintenance_resource(), ns, name);
  if (!existing.ok() && !existing.error().is_not_found()) {
    KOPIUR_WARN("cannot read the managed Maintenance",
                log::kv("error", existing.error().to_string()));
    return;
  }
  const bool ours = existing.ok() && annotation_of(*existing) == marker;
  if (existing.ok() && !ours) {
    if (wanted) {
      event(env, s.object, kube::EventType::kWarning, "ManagedMaintenanceNameTaken",
            "ManageMaintenance",
            "Maintenance " + ns + "/" + name +
                " exists and was not made by this repository; spec.maintenance is not applied "
                "(rename that Maintenance, or drop spec.maintenance and keep it)");
    }
    return;
  }
  if (!wanted) {
    if (ours) {
      auto gone = env.client.remove(maintenance_resource(), ns, name);
      if (gone.ok() || gone.error().is_not_found()) {
        event(env, s.object, kube::EventType::kNormal, "ManagedMaintenanceDeleted",
              "ManageMaintenance",
              "deleted Maintenance " + ns + "/" + name +
                  (deleting              ? " (the repository is being deleted)"
                   : read_only(s.object) ? " (the repository is ReadOnly)"
                                         : " (spec.maintenance is unset or disabled)"));
      }
    }
    return;
  }
  const json desired = wanted_spec(s, config, ns);
  if (ours) {
    if (existing->value("spec", json::object()) == desired) return;
    json updated = *existing;
    updated["spec"] = desired;
    if (auto done = env.client.replace(maintenance_resource(), ns, updated); !done.ok()) {
      KOPIUR_WARN("cannot update the managed Maintenance",
                  log::kv("error", done.error().to_string()));
    }
    return;
  }
  json owner = {{"apiVersion", std::string(api::kApiVersion)},
                {"kind", s.kind},
                {"name", s.name},
                {"uid", s.object.value("metadata", json::object()).value("uid", "")},
                {"controller", true}};
  const json object = {{"apiVersion", std::string(api::kApiVersion)},
                       {"kind", "Maintenance"},
                       {"metadata",
                        {{"name", name},
                         {"namespace", ns},
                         {"labels", {{"app.kubernetes.io/managed-by", "kopiur"}}},
                         {"annotations", {{kManagedBy, marker}}},
                         {"ownerReferences", json::array({owner})}}},
                       {"spec", desired}};
  auto made = env.client.create(maintenance_resource(), ns, object);
  if (made.ok()) {
    event(env, s.object, kube::EventType::kNormal, "ManagedMaintenanceCreated", "ManageMaintenance",
          "created Maintenance " + ns + "/" + name + " from spec.maintenance");
  } else if (!made.error().is_already_exists()) {
    event(env, s.object, kube::EventType::kWarning, "ManagedMaintenanceNotCreated",
          "ManageMaintenance",
          "cannot create Maintenance " + ns + "/" + name + ": " + made.error().to_string() +
              "; check spec.maintenance and the controller's RBAC (create on maintenances)");
  }
}

}  // namespace kopiur::controller::repository_flow
