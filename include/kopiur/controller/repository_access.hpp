// File: kopiur/controller/repository_access.hpp
//
// What a mover Job needs to reach a repository: the work spec's "repository" member, the Secret
// files (the password under KOPIA_PASSWORD), and the volumes (a filesystem backend's claim,
// mounted at /repository). Built from a Repository or ClusterRepository object; a reference
// (BackupConfig, Restore, Maintenance) is resolved through the runtime's cache, checking that the
// repository exists, is Ready or Degraded (unless the caller only needs it to exist), and, for a
// ClusterRepository, that the requesting namespace is allowed.
//
// Errors are ReconcileErrors a person can act on: a missing repository or Secret is structural
// (it names the object to create), a repository still initialising is transient.
//
// Thread-safety: stateless functions. Cost: one Secret GET. Failure: see above.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "kopiur/api/meta.hpp"
#include "kopiur/controller/flow_env.hpp"
#include "kopiur/controller/reconcile.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::controller {

inline constexpr const char* kRepositoryMount = "/repository";
inline constexpr const char* kPasswordFile = "KOPIA_PASSWORD";

struct RepositoryAccess {
  std::string kind;        // Repository or ClusterRepository
  std::string namespace_;  // "" for a ClusterRepository
  std::string name;
  nlohmann::json object;                // the repository as cached
  nlohmann::json work_spec_repository;  // {"filesystem": {"path"}, "create", "passwordKey"}
  std::map<std::string, std::string> secret_files;
  std::vector<nlohmann::json> volumes;
  std::vector<nlohmann::json> volume_mounts;
};

using AccessResult = std::variant<RepositoryAccess, ReconcileError>;

// For the repository object itself (its connect and catalog Jobs), whose Jobs run in
// `job_namespace` (the claim must exist there).
AccessResult access_repository(const FlowEnv& env, const nlohmann::json& repository,
                               const std::string& job_namespace);

// For an object in `from_namespace` referring to a repository. require_ready: a repository not
// (yet) Ready is a transient error naming its phase.
AccessResult resolve_repository(const FlowEnv& env, const api::RepositoryRef& ref,
                                const std::string& from_namespace, bool require_ready = true);

// spec.mode: ReadOnly. Such a repository is connected with kopia's --readonly (the work spec's
// repository.readOnly, never with create): restores and catalog scans read it; backups,
// maintenance and snapshot deletions are refused before any Job (refuse_writes()).
bool read_only(const nlohmann::json& repository);

// A structural "RepositoryReadOnly" error when `access` is read-only, naming `what` would write
// ("the backup", "maintenance", ...) and how to allow it; nullopt otherwise.
std::optional<ReconcileError> refuse_writes(const RepositoryAccess& access,
                                            const std::string& what);

// The allowed-namespaces rule of a ClusterRepository (spec.allowedNamespaces: names, "*" for
// every namespace).
bool namespace_allowed(const nlohmann::json& cluster_repository, const std::string& ns);

}  // namespace kopiur::controller
