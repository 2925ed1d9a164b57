#include "kopiur/controller/restore_source.hpp"

#include <algorithm>

#include "kopiur/controller/flow_support.hpp"

namespace kopiur::controller {

using nlohmann::json;

namespace {

json status_of(const json& backup) {
  const auto it = backup.find("status");
  return it != backup.end() && it->is_object() ? *it : json::object();
}

std::string snapshot_id_of(const json& backup) {
  const auto snapshot = status_of(backup).value("snapshot", json::object());
  return snapshot.is_object() ? snapshot.value("kopiaSnapshotID", "") : std::string();
}

// When the Backup's snapshot was taken, for ordering: completion, else start, else creation.
std::optional<std::chrono::system_clock::time_point> taken_at(const json& backup) {
  const auto timing = status_of(backup).value("timing", json::object());
  for (const char* key : {"completionTime", "startTime"}) {
    if (timing.is_object() && timing.contains(key) && timing[key].is_string()) {
      if (auto t = parse_rfc3339(timing[key].get<std::string>())) return t;
    }
  }
  const auto meta = backup.value("metadata", json::object());
  if (meta.contains("creationTimestamp") && meta["creationTimestamp"].is_string()) {
    return parse_rfc3339(meta["creationTimestamp"].get<std::string>());
  }
  return std::nullopt;
}

std::string config_of(const json& backup) {
  const auto ref = backup.value("spec", json::object()).value("configRef", json::object());
  return ref.is_object() ? ref.value("name", "") : std::string();
}

}  // namespace

bool restorable(const json& backup) {
  const std::string phase = phase_of_status(backup);
  return (phase == "Succeeded" || phase == "Discovered") && !snapshot_id_of(backup).empty();
}

SnapshotChoice pick_backup(const json* backup, const std::string& ns, const std::string& name) {
  SnapshotChoice out;
  const std::string what = "Backup " + ns + "/" + name;
  if (backup == nullptr) {
    out.why_not = what + " does not exist";
    return out;
  }
  if (restorable(*backup)) {
    out.backup = *backup;
    out.snapshot_id = snapshot_id_of(*backup);
    return out;
  }
  const std::string phase = phase_of_status(*backup);
  if (phase == "Failed" || phase == "Deleting" || phase == "Succeeded" || phase == "Discovered") {
    out.why_not = what + " is " + phase + " without a snapshot";
    out.can_appear = false;
  } else {
    out.why_not = what + " is " + (phase.empty() ? std::string("not started yet") : phase) +
                  "; its snapshot is not there yet";
  }
  return out;
}

std::optional<json> backup_with_snapshot(const std::vector<std::shared_ptr<const json>>& backups,
                                         const std::string& snapshot_id) {
  for (const auto& b : backups) {
    if (b != nullptr && snapshot_id_of(*b) == snapshot_id) return *b;
  }
  return std::nullopt;
}

SnapshotChoice pick_from_config(const std::vector<std::shared_ptr<const json>>& backups,
                                const std::string& ns, const std::string& config,
                                std::optional<std::chrono::system_clock::time_point> as_of,
                                std::int64_t offset) {
  struct Candidate {
    std::chrono::system_clock::time_point at;
    std::string name;
    const json* backup;
  };
  std::vector<Candidate> candidates;
  std::size_t of_config = 0;
  for (const auto& b : backups) {
    if (b == nullptr || namespace_of(*b) != ns || config_of(*b) != config) continue;
    ++of_config;
    if (!restorable(*b)) continue;
    const auto at = taken_at(*b);
    if (!at || (as_of && *at > *as_of)) continue;
    candidates.push_back({*at, name_of(*b), b.get()});
  }
  // Newest first; equal times by name so the choice is stable.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.at != b.at ? a.at > b.at : a.name > b.name;
  });
  SnapshotChoice out;
  const auto skip = static_cast<std::size_t>(std::max<std::int64_t>(offset, 0));
  if (skip < candidates.size()) {
    out.backup = *candidates[skip].backup;
    out.snapshot_id = snapshot_id_of(out.backup);
    return out;
  }
  out.why_not = "BackupConfig " + ns + "/" + config + " has " + std::to_string(candidates.size()) +
                " succeeded Backup(s)" + (as_of ? " not after asOf" : std::string()) + " (of " +
                std::to_string(of_config) + " in all); offset " + std::to_string(skip) +
                " needs at least " + std::to_string(skip + 1);
  return out;
}

}  // namespace kopiur::controller
