// Cross-field rules that a JSON schema alone cannot state, plus small helpers on the types.
#include <sstream>

#include "kopiur/api/backup.hpp"
#include "kopiur/api/maintenance.hpp"
#include "kopiur/api/meta.hpp"
#include "kopiur/api/repository.hpp"
#include "kopiur/api/restore.hpp"

namespace kopiur::api {
namespace {

using detail::join_path;

// A cron expression is five whitespace-separated fields or one @-macro (@hourly, @daily, ...).
// Only the shape is checked here; the scheduler parses the fields.
void check_cron(const std::string& cron, const std::string& path, FieldErrors& errors) {
  std::istringstream in(cron);
  std::vector<std::string> parts;
  for (std::string part; in >> part;) parts.push_back(part);
  if (parts.size() == 1 && !parts[0].empty() && parts[0][0] == '@') return;
  if (parts.size() != 5) {
    errors.push_back({path,
                      "expected 5 space-separated cron fields (minute hour day-of-month "
                      "month day-of-week) or an @-macro, got \"" +
                          cron + "\""});
    return;
  }
  for (const auto& part : parts) {
    for (const char c : part) {
      const bool ok = (c >= '0' && c <= '9') || c == '*' || c == ',' || c == '-' || c == '/' ||
                      c == '?' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
      if (!ok) {
        errors.push_back(
            {path, "invalid character '" + std::string(1, c) + "' in cron field \"" + part + "\""});
        return;
      }
    }
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
}

void CronSchedule::validate(const CronSchedule& schedule, const std::string& path,
                            FieldErrors& errors) {
  check_cron(schedule.cron, join_path(path, "cron"), errors);
}

std::optional<std::int64_t> BackupStats::total_files() const {
  if (!files_new && !files_modified && !files_unchanged) return std::nullopt;
  return files_new.value_or(0) + files_modified.value_or(0) + files_unchanged.value_or(0);
}

}  // namespace kopiur::api
