// File: kopiur/api/maintenance.hpp
//
// Maintenance: quick and full kopia maintenance of one repository on cron schedules. Like the
// original it has no top-level phase; status.full.lastContentReclaimedBytes feeds
// kopiur_maintenance_last_reclaimed_bytes, and a Maintenance's spec.repository is what sets the
// repositories' MaintenanceConfigured condition.
//
// Thread-safety: plain values. Failure: decode() reports FieldErrors with JSON paths.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kopiur/api/codec.hpp"
#include "kopiur/api/meta.hpp"

namespace kopiur::api {

enum class TakeoverPolicy { kNever, kPromptCondition, kForce };
template <>
struct EnumTraits<TakeoverPolicy> {
  static constexpr std::array<std::string_view, 3> kNames = {"Never", "PromptCondition", "Force"};
};

struct CronSchedule {
  std::string cron;
  static constexpr auto fields() {
    return std::tuple{field("cron", &CronSchedule::cron, "Five-field cron expression.")};
  }
  static void validate(const CronSchedule& schedule, const std::string& path, FieldErrors& errors);
};

struct MaintenanceSchedule {
  CronSchedule quick;
  CronSchedule full;
  std::optional<std::string> timezone;
  static constexpr auto fields() {
    return std::tuple{
        field("quick", &MaintenanceSchedule::quick, "Quick maintenance schedule."),
        field("full", &MaintenanceSchedule::full, "Full maintenance schedule."),
        field("timezone", &MaintenanceSchedule::timezone, "IANA time zone; UTC when unset."),
    };
  }
  static void validate(const MaintenanceSchedule& schedule, const std::string& path,
                       FieldErrors& errors);
};

struct Ownership {
  std::string owner;
  std::optional<TakeoverPolicy> takeover_policy;
  static constexpr auto fields() {
    return std::tuple{
        field("owner", &Ownership::owner, "Maintenance owner written into the repository."),
        field("takeoverPolicy", &Ownership::takeover_policy,
              "Never (default), PromptCondition or Force.", with_default("\"Never\"")),
    };
  }
};

struct MaintenanceSpec {
  RepositoryRef repository;
  Ownership ownership;
  MaintenanceSchedule schedule;
  std::optional<nlohmann::json> mover;
  std::optional<FailurePolicy> failure_policy;
  std::optional<CredentialProjection> credential_projection;
  static constexpr auto fields() {
    return std::tuple{
        field("repository", &MaintenanceSpec::repository, "Repository to maintain."),
        field("ownership", &MaintenanceSpec::ownership, "Who owns maintenance."),
        field("schedule", &MaintenanceSpec::schedule, "When to run."),
        field("mover", &MaintenanceSpec::mover, "Mover Job overrides."),
        field("failurePolicy", &MaintenanceSpec::failure_policy, "Mover Job limits."),
        field("credentialProjection", &MaintenanceSpec::credential_projection,
              "Copy the repository's credential Secrets into this namespace for the mover."),
    };
  }
};

struct MaintenanceRun {
  std::optional<std::string> last_run_at;
  std::optional<std::string> next_scheduled_at;
  std::optional<std::int64_t> consecutive_failures;
  std::optional<std::int64_t> last_content_reclaimed_bytes;
  static constexpr auto fields() {
    return std::tuple{
        field("lastRunAt", &MaintenanceRun::last_run_at, "Last run (RFC 3339)."),
        field("nextScheduledAt", &MaintenanceRun::next_scheduled_at, "Next run (RFC 3339)."),
        field("consecutiveFailures", &MaintenanceRun::consecutive_failures,
              "Failed runs in a row."),
        field("lastContentReclaimedBytes", &MaintenanceRun::last_content_reclaimed_bytes,
              "Bytes freed by the last run (kopiur_maintenance_last_reclaimed_bytes for full)."),
    };
  }
};

struct OwnershipStatus {
  std::optional<std::string> owner;
  std::optional<std::string> claimed_at;
  static constexpr auto fields() {
    return std::tuple{field("owner", &OwnershipStatus::owner, "Current owner."),
                      field("claimedAt", &OwnershipStatus::claimed_at, "When claimed.")};
  }
};

struct MaintenanceStatus {
  std::optional<MaintenanceRun> quick;
  std::optional<MaintenanceRun> full;
  std::optional<OwnershipStatus> ownership;
  std::vector<Condition> conditions;
  std::optional<std::int64_t> observed_generation;
  static constexpr auto fields() {
    return std::tuple{
        field("quick", &MaintenanceStatus::quick, "Quick maintenance runs."),
        field("full", &MaintenanceStatus::full, "Full maintenance runs."),
        field("ownership", &MaintenanceStatus::ownership, "Ownership claim."),
        field("conditions", &MaintenanceStatus::conditions, "Ready, Owned, ..."),
        field("observedGeneration", &MaintenanceStatus::observed_generation,
              "metadata.generation last reconciled."),
    };
  }
};

struct Maintenance {
  static constexpr std::string_view kKind = "Maintenance";
  ObjectMeta metadata;
  MaintenanceSpec spec;
  std::optional<MaintenanceStatus> status;
  static constexpr auto fields() {
    return std::tuple{field("metadata", &Maintenance::metadata, ""),
                      field("spec", &Maintenance::spec, "Desired state."),
                      field("status", &Maintenance::status, "Observed state.")};
  }
};

}  // namespace kopiur::api
