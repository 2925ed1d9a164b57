// Cross-field rules that a JSON schema alone cannot state, plus small helpers on the types.

#include "kopiur/api/backup.hpp"
#include "kopiur/api/maintenance.hpp"
#include "kopiur/api/meta.hpp"
#include "kopiur/api/repository.hpp"
#include "kopiur/api/restore.hpp"
#include "kopiur/schedule/cron.hpp"
#include "kopiur/schedule/time_zone.hpp"

namespace kopiur::api {
namespace {

using detail::join_path;

// Cron and time zone fields go through kopiur_schedule, the parser the controller schedules
// with, so whatever the API accepts the controller can run, and the messages are the same.
void check_cron(const std::string& cron, const std::string& path, FieldErrors& errors) {
  const auto parsed = schedule::parse_cron(cron);
  if (!parsed.ok()) {
    errors.push_back({path, parsed.error});
  } else if (auto never = schedule::never_runs(*parsed.cron)) {
    errors.push_back({path, "\"" + cron + "\" " + *never});
  }
}

void check_time_zone(const std::optional<std::string>& zone, const std::string& path,
                     FieldErrors& errors) {
  if (!zone) return;
  if (auto found = schedule::find_time_zone(*zone); !found.ok()) {
    errors.push_back({path, std::move(found.error)});
  }
}

}  // namespace

const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const auto& condition : conditions) {
    if (condition.type == type) return &condition;
  }
  return nullptr;
}

bool set_condition(std::vector<Condition>& conditions, Condition condition) {
  for (auto& existing : conditions) {
    if (existing.type != condition.type) continue;
    if (existing.status == condition.status)
      condition.last_transition_time = existing.last_transition_time;
    const bool changed = existing.status != condition.status ||
                         existing.reason != condition.reason ||
                         existing.message != condition.message ||
                         existing.observed_generation != condition.observed_generation ||
                         existing.last_transition_time != condition.last_transition_time;
    existing = std::move(condition);
    return changed;
  }
  conditions.push_back(std::move(condition));
  return true;
}

void RepositoryRef::validate(const RepositoryRef& ref, const std::string& path,
                             FieldErrors& errors) {
  if (ref.name.empty()) errors.push_back({join_path(path, "name"), "must not be empty"});
  if (ref.kind == RepositoryKind::kClusterRepository && ref.namespace_) {
    errors.push_back({join_path(path, "namespace"),
                      "must be unset for a ClusterRepository (it is cluster-scoped)"});
  }
}

std::string Backend::name() const {
  std::string found;
  std::apply(
      [&](const auto&... f) {
        ((found = found.empty() && (this->*(f.member)).has_value() ? std::string(f.name) : found),
         ...);
      },
      fields());
  return found;
}

void ScheduleSpec::validate(const ScheduleSpec& spec, const std::string& path,
                            FieldErrors& errors) {
  check_cron(spec.cron, join_path(path, "cron"), errors);
  check_time_zone(spec.timezone, join_path(path, "timezone"), errors);
}

void MaintenanceSchedule::validate(const MaintenanceSchedule& schedule, const std::string& path,
                                   FieldErrors& errors) {
  check_time_zone(schedule.timezone, join_path(path, "timezone"), errors);
}

void CronSchedule::validate(const CronSchedule& schedule, const std::string& path,
                            FieldErrors& errors) {
  check_cron(schedule.cron, join_path(path, "cron"), errors);
}

bool is_kopia_snapshot_id(std::string_view id) {
  const auto hex_digits = [](std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  };
  // A manifest ID: 16 random bytes in hex.
  if (id.size() == 32 && hex_digits(id)) return true;
  // A root object ID: "I" for each level of indirection, "k" (a directory's content prefix),
  // then the content hash in hex (128 bits or more).
  while (!id.empty() && id.front() == 'I') id.remove_prefix(1);
  return id.size() >= 33 && id.front() == 'k' && hex_digits(id.substr(1));
}

void SnapshotSource::validate(const SnapshotSource& source, const std::string& path,
                              FieldErrors& errors) {
  if (!is_kopia_snapshot_id(source.id)) {
    errors.push_back({join_path(path, "id"),
                      "\"" + source.id +
                          "\" is not a kopia snapshot ID: expected the manifest ID (32 hex digits, "
                          "the \"id\" of kopia snapshot list --json) or the root object ID "
                          "(k followed by hex digits, as kopia snapshot list prints it)"});
  }
}

void RestoreSpec::validate(const RestoreSpec& spec, const std::string& path, FieldErrors& errors) {
  if (spec.source.snapshot && spec.repository) {
    errors.push_back({join_path(path, "repository"),
                      "must be unset with source.snapshot: source.snapshot.repository names the "
                      "repository that holds the snapshot"});
  }
}

std::optional<std::int64_t> BackupStats::total_files() const {
  if (!files_new && !files_modified && !files_unchanged) return std::nullopt;
  return files_new.value_or(0) + files_modified.value_or(0) + files_unchanged.value_or(0);
}

}  // namespace kopiur::api
