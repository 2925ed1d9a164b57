// metadata.managedFields as kube-apiserver keeps it: one entry per field manager, operation
// (Apply or Update), API version (Update only) and subresource, each owning a set of fields
// (FieldsV1). Server-side apply makes the applied configuration its manager's set, removes the
// fields the manager applied before and no longer does (unless another manager owns them), and
// refuses to change a field another manager owns (409 naming the managers and fields) unless
// forced; every other write gives its manager the fields it changed, taken from the others.
// Writes to the main resource of a kind with a status subresource never own `status`; writes to
// the status subresource own only `status`.
#pragma once

#include <functional>
#include <string>

#include "kopiur/support/json.hpp"

#include "localkube/detail/field_schema.hpp"
#include "localkube/detail/kube_types.hpp"

namespace kopiur::localkube::detail {

// Who writes, and how.
struct FieldManager {
  std::string manager;
  std::string api_version;  // of the URL the write came through
  std::string subresource;  // "" or "status"
  bool has_status = false;  // the kind has a status subresource
  // What the store does to the object as it is written (built-in defaults: a Secret's
  // stringData folded into data, ...), so an Update owns the fields as they are stored. May be
  // empty; its errors are the store's to report.
  std::function<void(nlohmann::json& object, const nlohmann::json* live)> defaults;
};

// The manager of a write: the fieldManager parameter, else the user agent up to its first '/'
// (kubectl always names itself: kubectl-create, kubectl-client-side-apply, kubectl-edit, ...).
// 422 when longer than 128 characters.
Result<std::string> manager_of(const std::string& field_manager, const std::string& user_agent);

// A create, update or patch: `next` (the object about to be stored) gets the managed fields of
// `live` (null for a create), or those it carries itself (a client may replace them; `[]` resets
// them), with `who` owning what it changed. An existing object without managed fields stays
// without them, as on a real server.
nlohmann::json track_update(const FieldType& type, const nlohmann::json* live, nlohmann::json next,
                            const FieldManager& who);

// A server-side apply of `config` to `live` (null when the apply creates the object): the new
// object with its managed fields, or 409 Conflict (400 when `config` sets managedFields).
// `force` takes the conflicting fields over.
Result<nlohmann::json> track_apply(const FieldType& type, const nlohmann::json* live,
                                   const nlohmann::json& config, const FieldManager& who,
                                   bool force);

// The writes of the server's own controllers, recorded as their manager's Update entries the way
// a cluster records kube-controller-manager and kubelet: a created object, and a change made by
// LocalStore::change_same() (status_only: through the status subresource).
nlohmann::json tracked_create(const ResourceType& rt, const std::string& manager,
                              nlohmann::json object);
LocalStore::Change tracked_change(const ResourceType& rt, const std::string& manager,
                                  bool status_only, LocalStore::Change change);

}  // namespace kopiur::localkube::detail
