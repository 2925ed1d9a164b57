#include "kopiur/controller/kinds.hpp"

#include "kopiur/api/kinds.hpp"
#include "kopiur/controller/flows.hpp"

namespace kopiur::controller {

namespace {

using Flow = ReconcileResult (*)(FlowEnv&, ReconcileContext&);

Flow flow_of(const std::string& kind) {
  if (kind == "Repository" || kind == "ClusterRepository") return flows::repository;
  if (kind == "BackupConfig") return flows::backup_config;
  if (kind == "Backup") return flows::backup;
  if (kind == "BackupSchedule") return flows::backup_schedule;
  if (kind == "Restore") return flows::restore;
  return flows::maintenance;
}

bool runs_movers(const std::string& kind) {
  return kind == "Repository" || kind == "ClusterRepository" || kind == "Backup" ||
         kind == "Restore" || kind == "Maintenance";
}

using nlohmann::json;
using Owners = std::vector<std::pair<std::string, std::string>>;

// The repository `ref` ({kind, name, namespace}) names, if it is of kind `kind`; a Repository's
// namespace defaults to the referrer's.
Owners repository_named(const json& ref, const std::string& kind, const std::string& from_ns) {
  if (!ref.is_object() || ref.value("kind", "Repository") != kind) return {};
  const std::string name = ref.value("name", "");
  if (name.empty()) return {};
  if (kind == "ClusterRepository") return {{"", name}};
  const auto ns = ref.find("namespace");
  return {{ns != ref.end() && ns->is_string() ? ns->get<std::string>() : from_ns, name}};
}

std::string ns_of(const json& o) {
  return o.value("metadata", json::object()).value("namespace", "");
}

// Changes of other kinds that a kind's flow reads (docs/controller.md, "What requeues what"):
// a repository follows the Maintenances naming it (kopiur_repository_maintenance_configured) and
// the Backups written to it (a catalog scan after each backup); a BackupConfig follows its
// Backups (consecutive failures, the kopiur_backup_* gauges); a BackupSchedule the Backups it
// created (history limits, concurrency); a Maintenance or Restore its repository (waiting for it
// to become Ready); a Restore the Backups it may restore (waiting for its source).
// The objects of `kind` (from the runtime's cache) whose spec.repository names `repository`:
// a Maintenance or Restore waiting for its repository to become Ready is requeued when it does.
Owners referrers_of_repository(const FlowEnv& env, const std::string& kind,
                               const json& repository) {
  Owners out;
  const auto* cache = env.runtime != nullptr ? env.runtime->cache(kind) : nullptr;
  if (cache == nullptr) return out;
  const std::string repo_kind = repository.value("kind", "Repository");
  const std::pair<std::string, std::string> key{
      ns_of(repository), repository.value("metadata", json::object()).value("name", "")};
  for (const auto& o : cache->list()) {
    const auto spec = o->value("spec", json::object());
    auto ref = spec.value("repository", json());
    // A Restore of a snapshot by its ID names the repository in its source.
    if (kind == "Restore" && !ref.is_object()) {
      ref = spec.value("source", json::object())
                .value("snapshot", json::object())
                .value("repository", json());
    }
    // A Restore without spec.repository uses its source Backup's: any unfinished one in the
    // repository's namespace (any namespace for a ClusterRepository) may be waiting for it.
    if (kind == "Restore" && !ref.is_object()) {
      const auto phase = o->value("status", json::object()).value("phase", "");
      if (phase != "Completed" && phase != "Failed" &&
          (repo_kind == "ClusterRepository" || ns_of(*o) == key.first)) {
        out.emplace_back(ns_of(*o), o->value("metadata", json::object()).value("name", ""));
      }
      continue;
    }
    for (const auto& named : repository_named(ref, repo_kind, ns_of(*o))) {
      if (named == key) {
        out.emplace_back(ns_of(*o), o->value("metadata", json::object()).value("name", ""));
      }
    }
  }
  return out;
}

std::vector<RelatedWatch> related_kinds(const FlowEnv& env, const std::string& kind) {
  std::vector<RelatedWatch> out;
  // A BackupConfig, Maintenance or Restore reads its repository's phase from the cache: it is
  // requeued when the repository changes, so a read from a cache a little behind (a watch being
  // reopened) is corrected at once instead of at its next periodic look.
  if (kind == "Maintenance" || kind == "Restore" || kind == "BackupConfig") {
    for (const char* repo : {"Repository", "ClusterRepository"}) {
      out.push_back({kube::resource_for(repo), "", [&env, kind](const json& r) {
                       return referrers_of_repository(env, kind, r);
                     }});
    }
  }
  if (kind == "Restore") {
    // A Restore waiting for its source Backup (backupRef, or the newest of a BackupConfig).
    out.push_back(
        {kube::resource_for("Backup"), "", [&env](const json& b) {
           Owners owners;
           const auto* restores = env.runtime != nullptr ? env.runtime->cache("Restore") : nullptr;
           if (restores == nullptr) return owners;
           const std::string name = b.value("metadata", json::object()).value("name", "");
           const std::string config =
               b.value("spec", json::object()).value("configRef", json::object()).value("name", "");
           for (const auto& r : restores->list()) {
             const auto source = r->value("spec", json::object()).value("source", json::object());
             const auto by_ref = source.value("backupRef", json::object());
             const auto by_config = source.value("fromConfig", json::object());
             const bool same_ns = ns_of(*r) == ns_of(b);
             if ((same_ns && by_ref.value("name", "") == name) ||
                 (!config.empty() && by_config.value("name", "") == config &&
                  by_config.value("namespace", ns_of(*r)) == ns_of(b))) {
               owners.emplace_back(ns_of(*r),
                                   r->value("metadata", json::object()).value("name", ""));
             }
           }
           return owners;
         }});
  }
  if (kind == "Repository" || kind == "ClusterRepository") {
    out.push_back({kube::resource_for("Maintenance"), "", [kind](const json& m) {
                     return repository_named(
                         m.value("spec", json::object()).value("repository", json()), kind,
                         ns_of(m));
                   }});
    out.push_back({kube::resource_for("Backup"), "", [kind](const json& b) {
                     const auto resolved =
                         b.value("status", json::object()).value("resolved", json::object());
                     return repository_named(resolved.value("repository", json()), kind, ns_of(b));
                   }});
  } else if (kind == "BackupConfig") {
    out.push_back({kube::resource_for("Backup"), "", [](const json& b) -> Owners {
                     const auto ref = b.value("spec", json::object()).value("configRef", json());
                     if (!ref.is_object() || ref.value("name", "").empty()) return {};
                     return {{ns_of(b), ref.value("name", "")}};
                   }});
  } else if (kind == "BackupSchedule") {
    out.push_back({kube::resource_for("Backup"), "kopiur.io/schedule", [](const json& b) -> Owners {
                     const auto labels =
                         b.value("metadata", json::object()).value("labels", json::object());
                     const std::string schedule = labels.value("kopiur.io/schedule", "");
                     if (schedule.empty()) return {};
                     return {{ns_of(b), schedule}};
                   }});
  }
  return out;
}

}  // namespace

std::vector<KindRegistration> kind_registrations(FlowEnv& env) {
  std::vector<KindRegistration> out;
  for (const auto& info : api::kinds()) {
    KindRegistration r;
    r.kind = info.kind;
    r.resource = kube::resource_for(info.kind);
    r.phases = info.phases;
    const Flow flow = flow_of(info.kind);
    r.reconcile = [&env, flow](ReconcileContext& context) { return flow(env, context); };
    if (runs_movers(info.kind)) {
      r.related.push_back(
          owned_by(info.kind, info.namespaced(), kube::resources::kJobs,
                   "app.kubernetes.io/managed-by=kopiur,kopiur.io/kind=" + info.kind));
    }
    for (auto& watch : related_kinds(env, info.kind)) r.related.push_back(std::move(watch));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace kopiur::controller
