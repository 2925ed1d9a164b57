// Internal to the Repository / ClusterRepository flow (docs/controller.md, "Repository flow"):
// what repository.cpp (connect, conditions, maintenance) and repository_catalog.cpp (catalog
// scans, discovered Backups) share.
//
// Thread-safety: stateless functions over one reconcile's values. Failure: ReconcileError values.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "kopiur/controller/flow_env.hpp"
#include "kopiur/controller/mover_job.hpp"
#include "kopiur/controller/reconcile.hpp"
#include "kopiur/controller/repository_access.hpp"
#include "kopiur/controller/runtime.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::controller::repository_flow {

// The condition the catalog step keeps (True after a scan succeeded, False after one failed).
inline constexpr const char* kCatalogCondition = "CatalogScanned";

// Who the reconcile is about.
struct Subject {
  std::string kind;        // Repository or ClusterRepository
  std::string namespace_;  // "" for a ClusterRepository
  std::string name;
  std::string job_namespace;  // where its Jobs, their Secrets and its discovered Backups live
  std::string what;           // "Repository team-a/repo" for messages
  nlohmann::json object;      // as cached
  [[nodiscard]] bool cluster() const { return kind == "ClusterRepository"; }
};

// A mover Job for the repository itself (connect or catalog).
MoverJobRequest mover_request(const Subject& subject, const RepositoryAccess& access,
                              const std::string& operation, const std::string& job);

// True while pods of an earlier Job of the same name are still being collected: a Job of that
// name must not start yet, or reading its result could find the old pods' termination message.
std::variant<bool, ReconcileError> leftover_pods(const FlowEnv& env, const std::string& ns,
                                                 const std::string& job);

// Jobs of the repository for `operation` (label-selected), as listed.
std::variant<nlohmann::json, ReconcileError> jobs_of(const FlowEnv& env, const Subject& subject,
                                                     const std::string& operation);

// Whether `ref` (a RepositoryRef as JSON, written by an object in `from_namespace`) names the
// subject; a Repository reference's namespace defaults to the referrer's.
bool names_subject(const nlohmann::json& ref, const std::string& from_namespace,
                   const Subject& subject);

// spec.maintenance: keeps the repository's own Maintenance (named managed_maintenance_name(),
// annotated kopiur.io/managed-by) in line with it, or deletes it when spec.maintenance is unset,
// `enabled: false`, the repository is ReadOnly, or `deleting`. Problems are Events, never errors:
// the MaintenanceConfigured check that follows says whether a Maintenance covers the repository.
std::string managed_maintenance_name(const Subject& subject);
void managed_maintenance_step(const FlowEnv& env, const Subject& subject, bool deleting = false);

// The catalog step of a Ready repository: consumes a finished catalog Job into `status`
// (status.catalog, status.storageStats, the Catalog condition, discovered Backups), starts a new
// scan when one is due, and says when to come back. `status` is written by the caller.
ReconcileResult catalog_step(const FlowEnv& env, const Subject& subject,
                             const RepositoryAccess& access, std::chrono::milliseconds interval,
                             nlohmann::json& status);

}  // namespace kopiur::controller::repository_flow
