// File: kopiur/controller/restore_source.hpp
//
// Which snapshot a Restore restores (docs/controller.md, "Restore flow"), decided from cached
// Backup objects only, so the choice is a pure function the flow and its tests share:
//   - spec.source.backupRef: that Backup, once it is Succeeded or Discovered with
//     status.snapshot.kopiaSnapshotID;
//   - spec.source.fromConfig: the Succeeded Backups of that BackupConfig (spec.configRef), newest
//     first by status.timing.completionTime (else startTime, else creationTimestamp), those after
//     asOf left out, `offset` newer ones skipped;
//   - spec.source.snapshot: the ID itself (the flow does not need a Backup; one tracking the
//     snapshot, found by backup_with_snapshot(), only sizes a claim the Restore creates).
//
//   auto choice = pick_from_config(backups, "team-a", "nightly", as_of, 1);
//   if (choice.snapshot_id.empty()) ... choice.why_not ... choice.can_appear ...
//
// Thread-safety: stateless functions. Failure: none; malformed Backups are simply not chosen.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

namespace kopiur::controller {

struct SnapshotChoice {
  nlohmann::json backup;    // the chosen Backup (null when none)
  std::string snapshot_id;  // its status.snapshot.kopiaSnapshotID ("" when none)
  std::string why_not;      // when none: what is missing, in words for a condition
  bool can_appear = true;   // false: waiting cannot help (the Backup ended without a snapshot)
};

// True for a Backup a restore can read: Succeeded or Discovered, with a snapshot id.
bool restorable(const nlohmann::json& backup);

// The snapshot of the Backup `ns/name`; `backup` is the cached object or nullptr when absent.
SnapshotChoice pick_backup(const nlohmann::json* backup, const std::string& ns,
                           const std::string& name);

// A Backup whose status.snapshot.kopiaSnapshotID is `snapshot_id`, if any.
std::optional<nlohmann::json> backup_with_snapshot(
    const std::vector<std::shared_ptr<const nlohmann::json>>& backups,
    const std::string& snapshot_id);

// The newest restorable Backup of BackupConfig `ns/config` not after `as_of`, skipping `offset`
// newer ones.
SnapshotChoice pick_from_config(const std::vector<std::shared_ptr<const nlohmann::json>>& backups,
                                const std::string& ns, const std::string& config,
                                std::optional<std::chrono::system_clock::time_point> as_of,
                                std::int64_t offset);

}  // namespace kopiur::controller
