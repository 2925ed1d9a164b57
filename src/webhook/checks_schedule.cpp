// Schedules as the scheduler reads them, retention, and the warnings.
#include <algorithm>
#include <array>

#include "kopiur/schedule/cron.hpp"
#include "kopiur/schedule/duration.hpp"
#include "kopiur/schedule/time_zone.hpp"

#include "webhook/checks.hpp"
#include "webhook/json_path.hpp"

namespace kopiur::webhook::detail {
namespace {

using nlohmann::json;
using Path = std::vector<std::string>;

// A problem is reported once per path: the API types' shape check may already have one.
bool has_error(const api::FieldErrors& errors, const std::string& path) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const api::FieldError& e) { return e.path == path; });
}

void check_cron(const json& object, const Path& path, api::FieldErrors& errors) {
  const json* node = at(object, path);
  const std::string where = dotted(path);
  if (node == nullptr || !node->is_string() || has_error(errors, where)) return;
  const auto parsed = schedule::parse_cron(node->get<std::string>());
  if (!parsed.ok()) {
    errors.push_back({where, parsed.error});
  } else if (auto never = schedule::never_runs(*parsed.cron)) {
    errors.push_back({where, *never});
  }
}

void check_zone(const json& object, const Path& path, api::FieldErrors& errors) {
  const json* node = at(object, path);
  const std::string where = dotted(path);
  if (node == nullptr || !node->is_string() || has_error(errors, where)) return;
  const auto zone = schedule::find_time_zone(node->get<std::string>());
  if (!zone.ok()) errors.push_back({where, zone.error});
}

// A quick/full maintenance schedule below `base` (Maintenance spec.schedule, or a repository's
// spec.maintenance.schedule).
void check_maintenance_schedule(const json& object, Path base, api::FieldErrors& errors) {
  for (const char* which : {"quick", "full"}) {
    Path cron = base;
    cron.insert(cron.end(), {which, "cron"});
    check_cron(object, cron, errors);
  }
  base.push_back("timezone");
  check_zone(object, base, errors);
}

void check_retention(const json& object, api::FieldErrors& errors) {
  const json* retention = at(object, {"spec", "retention"});
  if (retention == nullptr || !retention->is_object()) return;
  for (const auto& e : errors) {
    if (e.path.rfind("spec.retention", 0) == 0) return;  // already reported there
  }
  static constexpr std::array<const char*, 6> kKeys = {"keepLatest", "keepHourly",  "keepDaily",
                                                       "keepWeekly", "keepMonthly", "keepAnnual"};
  int set = 0;
  for (const char* key : kKeys) {
    const auto it = retention->find(key);
    if (it == retention->end() || !it->is_number_integer()) continue;
    ++set;
    if (it->get<std::int64_t>() > 0) return;
  }
  if (set == 0) return;
  errors.push_back({"spec.retention",
                    "keeps no snapshot (every keep* it sets is 0); set at least one of "
                    "keepLatest, keepHourly, keepDaily, keepWeekly, keepMonthly or keepAnnual "
                    "above 0"});
}

// The jitter as the controller reads it; text it cannot read would silently mean no jitter.
void check_jitter(const json& object, api::FieldErrors& errors) {
  const json* node = at(object, {"spec", "schedule", "jitter"});
  if (node == nullptr || !node->is_string() || has_error(errors, "spec.schedule.jitter")) return;
  const std::string text = node->get<std::string>();
  if (!schedule::parse_duration(text)) {
    errors.push_back({"spec.schedule.jitter",
                      "expected a duration such as 30s, 5m or 1h (a whole number and ms, s, m or "
                      "h), got \"" +
                          text + "\""});
  }
}

void warn_schedule(const json& object, std::vector<std::string>& warnings) {
  const json* deadline = at(object, {"spec", "schedule", "startingDeadlineSeconds"});
  if (deadline != nullptr && deadline->is_number_integer() && deadline->get<std::int64_t>() < 10) {
    warnings.push_back(
        "spec.schedule.startingDeadlineSeconds: less than 10 seconds may skip runs that start a "
        "little late");
  }
}

void warn_allowed_namespaces(const json& object, std::vector<std::string>& warnings) {
  const json* allowed = at(object, {"spec", "allowedNamespaces"});
  if (allowed == nullptr || !allowed->is_array() || allowed->size() < 2) return;
  for (const auto& entry : *allowed) {
    if (entry == "*") {
      warnings.push_back(
          "spec.allowedNamespaces: \"*\" admits every namespace; the other entries are "
          "redundant");
      return;
    }
  }
}

}  // namespace

void check_schedules(const std::string& kind, const json& object, api::FieldErrors& errors,
                     std::vector<std::string>& warnings) {
  if (kind == "BackupSchedule") {
    check_cron(object, {"spec", "schedule", "cron"}, errors);
    check_zone(object, {"spec", "schedule", "timezone"}, errors);
    check_jitter(object, errors);
    warn_schedule(object, warnings);
  } else if (kind == "Maintenance") {
    check_maintenance_schedule(object, {"spec", "schedule"}, errors);
  } else if (kind == "Repository" || kind == "ClusterRepository") {
    check_maintenance_schedule(object, {"spec", "maintenance", "schedule"}, errors);
    if (kind == "ClusterRepository") warn_allowed_namespaces(object, warnings);
  } else if (kind == "BackupConfig") {
    check_retention(object, errors);
  }
}

}  // namespace kopiur::webhook::detail
