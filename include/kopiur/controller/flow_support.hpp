// File: kopiur/controller/flow_support.hpp
//
// Small pieces every flow uses, so each kind's file only says what is particular to it:
//   - rfc3339() / parse_rfc3339(): the API's timestamps (UTC, seconds);
//   - write_status(): replaces an object's status through the status subresource (a JSON merge
//     patch with the whole new status, removing the fields it no longer has) and reports the
//     server's answer to the runtime (ReconcileContext::report_status), so kopiur_resource_phase
//     follows what was written;
//   - add_finalizer() / remove_finalizer(): guarded by the object's resourceVersion (a
//     concurrent change gives 409, a transient error, and the reconcile runs again);
//   - event(): a Normal or Warning Event on an object (failures are logged, never fatal);
//   - set_condition(): one condition of a status JSON, Kubernetes' meta.SetStatusCondition
//     semantics (lastTransitionTime moves only when status changes);
//   - spec_error(): the structural error (reason InvalidSpec) for an object the API types
//     reject, e.g. one that reached the cluster while the webhook was down.
//
// Thread-safety: stateless functions. Failure: API failures come back as ReconcileError values.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "kopiur/api/codec.hpp"
#include "kopiur/controller/flow_env.hpp"
#include "kopiur/controller/reconcile.hpp"
#include "kopiur/controller/runtime.hpp"
#include "kopiur/kube/events.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::controller {

// Label and annotation keys kopiur puts on objects.
inline constexpr const char* kSnapshotFinalizer = "kopiur.io/snapshot-cleanup";
inline constexpr const char* kSkipCleanupAnnotation = "kopiur.io/skip-cleanup";

std::string rfc3339(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// write_status(): the reconcile's status write. `resource` is the kind's resource; the object is
// the context's cached one (its namespace, name and current status). The written status goes to
// context.report_status(); the result is the error when the write failed.
std::optional<ReconcileError> write_status(const FlowEnv& env, ReconcileContext& context,
                                           const kube::ResourceId& resource,
                                           const nlohmann::json& status);

std::optional<ReconcileError> add_finalizer(const FlowEnv& env, const kube::ResourceId& resource,
                                            const nlohmann::json& object,
                                            const std::string& finalizer);
std::optional<ReconcileError> remove_finalizer(const FlowEnv& env, const kube::ResourceId& resource,
                                               const nlohmann::json& object,
                                               const std::string& finalizer);
bool has_finalizer(const nlohmann::json& object, const std::string& finalizer);
bool being_deleted(const nlohmann::json& object);

void event(const FlowEnv& env, const nlohmann::json& object, kube::EventType type,
           const std::string& reason, const std::string& action, const std::string& note);

// set_condition(): sets status.conditions[type]; returns true when anything changed.
bool set_condition(nlohmann::json& status, const std::string& type, bool value,
                   const std::string& reason, const std::string& message,
                   std::chrono::system_clock::time_point now,
                   std::optional<std::int64_t> observed_generation = std::nullopt);
// The condition's status ("True", "False", "Unknown") or "" when absent.
std::string condition_status(const nlohmann::json& status, const std::string& type);

ReconcileError spec_error(const std::string& kind, const api::FieldErrors& errors);

// Metadata accessors that never throw.
std::string name_of(const nlohmann::json& object);
std::string namespace_of(const nlohmann::json& object);
std::int64_t generation_of(const nlohmann::json& object);
std::string phase_of_status(const nlohmann::json& object);

}  // namespace kopiur::controller
