// File: kopiur/api/meta.hpp
//
// Shapes shared by every kopiur kind: ObjectMeta (the subset of Kubernetes metadata kopiur reads,
// with anything else kept verbatim), the standard Condition, and the small reference types
// (Secret key, repository, local object). The group/version constants live here too.
//
// Thread-safety: plain values. Cost: none beyond copying. Failure: decode() reports FieldErrors
// (see codec.hpp); Condition enforces the standard required fields.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/api/codec.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::api {

inline constexpr std::string_view kGroup = "kopiur.home-operations.com";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "kopiur.home-operations.com/v1alpha1";

// ObjectMeta: the metadata kopiur uses. Unknown metadata keys (managedFields, ...) are accepted
// and dropped on decode; ownerReferences are kept as raw JSON objects.
struct ObjectMeta {
  std::string name;
  std::string generate_name;
  std::string namespace_;
  std::string uid;
  std::string resource_version;
  std::int64_t generation = 0;
  std::string creation_timestamp;
  std::string deletion_timestamp;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> finalizers;
  std::vector<nlohmann::json> owner_references;

  static constexpr bool kAllowUnknownFields = true;
  static constexpr auto fields() {
    return std::tuple{
        field("name", &ObjectMeta::name, "", omit_empty()),
        field("generateName", &ObjectMeta::generate_name, "", omit_empty()),
        field("namespace", &ObjectMeta::namespace_, "", omit_empty()),
        field("uid", &ObjectMeta::uid, "", omit_empty()),
        field("resourceVersion", &ObjectMeta::resource_version, "", omit_empty()),
        field("generation", &ObjectMeta::generation, "", omit_empty()),
        field("creationTimestamp", &ObjectMeta::creation_timestamp, "", omit_empty()),
        field("deletionTimestamp", &ObjectMeta::deletion_timestamp, "", omit_empty()),
        field("labels", &ObjectMeta::labels, ""),
        field("annotations", &ObjectMeta::annotations, ""),
        field("finalizers", &ObjectMeta::finalizers, ""),
        field("ownerReferences", &ObjectMeta::owner_references, ""),
    };
  }
};

enum class ConditionStatus { kTrue, kFalse, kUnknown };
template <>
struct EnumTraits<ConditionStatus> {
  static constexpr std::array<std::string_view, 3> kNames = {"True", "False", "Unknown"};
};

// Condition: the standard Kubernetes condition shape (metav1.Condition).
struct Condition {
  std::string type;
  ConditionStatus status = ConditionStatus::kUnknown;
  std::string reason;
  std::string message;
  std::string last_transition_time;
  std::optional<std::int64_t> observed_generation;

  static constexpr auto fields() {
    return std::tuple{
        field("type", &Condition::type, "Condition type, e.g. Ready or MaintenanceConfigured."),
        field("status", &Condition::status, "True, False or Unknown."),
        field("reason", &Condition::reason, "CamelCase reason for the last transition."),
        field("message", &Condition::message, "Human-readable detail."),
        field("lastTransitionTime", &Condition::last_transition_time,
              "When the status last changed (RFC 3339).", with_format("date-time")),
        field("observedGeneration", &Condition::observed_generation,
              "metadata.generation the condition was computed from."),
    };
  }
};

// Well-known condition types kopiur sets.
inline constexpr std::string_view kConditionReady = "Ready";
inline constexpr std::string_view kConditionMaintenanceConfigured = "MaintenanceConfigured";

// find_condition(): the condition of that type, or nullptr.
const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type);

// set_condition(): inserts or updates a condition; lastTransitionTime changes only when the status
// does (as Kubernetes' meta.SetStatusCondition does). Returns true when anything changed.
bool set_condition(std::vector<Condition>& conditions, Condition condition);

struct SecretKeyRef {
  std::string name;
  std::string key;
  static constexpr auto fields() {
    return std::tuple{field("name", &SecretKeyRef::name, "Secret name, same namespace."),
                      field("key", &SecretKeyRef::key, "Key inside the Secret.")};
  }
};

struct LocalObjectRef {
  std::string name;
  static constexpr auto fields() {
    return std::tuple{field("name", &LocalObjectRef::name, "Object name, same namespace.")};
  }
};

enum class RepositoryKind { kRepository, kClusterRepository };
template <>
struct EnumTraits<RepositoryKind> {
  static constexpr std::array<std::string_view, 2> kNames = {"Repository", "ClusterRepository"};
};

// RepositoryRef: which repository a BackupConfig, Restore or Maintenance uses.
struct RepositoryRef {
  RepositoryKind kind = RepositoryKind::kRepository;
  std::string name;
  std::optional<std::string> namespace_;
  static constexpr auto fields() {
    return std::tuple{
        field("kind", &RepositoryRef::kind, "Repository or ClusterRepository."),
        field("name", &RepositoryRef::name, "Name of the repository."),
        field("namespace", &RepositoryRef::namespace_,
              "Namespace of a Repository; defaults to the referrer's. Unused for "
              "ClusterRepository."),
    };
  }
  static void validate(const RepositoryRef& ref, const std::string& path, FieldErrors& errors);
};

// FailurePolicy: limits of a mover Job (Backup, Restore, Maintenance, a Repository's maintenance).
struct FailurePolicy {
  std::optional<std::int64_t> active_deadline_seconds;
  std::optional<std::int64_t> backoff_limit;
  static constexpr auto fields() {
    return std::tuple{
        field("activeDeadlineSeconds", &FailurePolicy::active_deadline_seconds,
              "Mover Job deadline.", at_least(1)),
        field("backoffLimit", &FailurePolicy::backoff_limit, "Mover Job retries.", at_least(0)),
    };
  }
};

// CredentialProjection: copy the repository's credential Secrets into the namespace where each
// mover Job runs (off by default), as the original operator does for a shared ClusterRepository
// whose Secrets live in one namespace.
struct CredentialProjection {
  bool enabled = false;
  static constexpr auto fields() {
    return std::tuple{field("enabled", &CredentialProjection::enabled,
                            "Copy the repository's credential Secrets into the mover's namespace "
                            "before each run (default false).",
                            omit_empty())};
  }
};

}  // namespace kopiur::api
