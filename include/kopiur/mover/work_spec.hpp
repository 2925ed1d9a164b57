// File: kopiur/mover/work_spec.hpp
//
// WorkSpec: what one mover Job is asked to do, read from the JSON file the controller mounts
// (--work-spec; schema in docs/mover.md) and the Secret directory it mounts (--secret-dir, one file
// per key). Everything is validated before kopia starts; each problem names its field:
//
//   auto loaded = mover::load_work_spec("/etc/kopiur/work.json", "/etc/kopiur/secret", "backup");
//   if (!loaded.errors.empty()) ...  // "backup.sourcePath: required field is missing"
//
// Thread-safety: plain values. Failure: never throws; problems come back in `errors`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/mover/backend.hpp"

namespace kopiur::mover {

enum class Operation { kConnect, kCatalog, kBackup, kSnapshotDelete, kRestore, kMaintenance };

// "connect", "catalog", "backup", "snapshot-delete", "restore", "maintenance".
std::string_view operation_name(Operation op);
std::optional<Operation> parse_operation(std::string_view name);

struct WorkSpec {
  Operation operation = Operation::kConnect;
  // repository
  Backend backend;         // repository.<backend> and its credentials (backend.hpp)
  bool create = false;     // repository.create: connect creates an uninitialised repository
  bool read_only = false;  // repository.readOnly: connect --readonly (kopia refuses writes)
  std::string password;    // from the Secret file named by repository.passwordKey
  // identity (optional): kopia's --override-hostname / --override-username
  std::string hostname;
  std::string username;
  // backup
  std::string source_path;
  std::string description;
  std::map<std::string, std::string> tags;
  // restore, snapshot-delete
  std::string snapshot_id;
  std::string target_path;
  // maintenance
  bool full = false;
  std::string safety = "full";
  // maintenance.owner (user@host): the mover connects as that identity, and takes maintenance
  // over from another owner only with maintenance.takeover (the Maintenance's takeoverPolicy
  // Force); without an owner it runs as whoever it connects as.
  std::string owner;
  bool takeover = false;
  // the kopiur object this run serves (logs and the result)
  std::string object_kind, object_namespace, object_name;
};

struct LoadedWorkSpec {
  WorkSpec spec;
  std::vector<std::string> errors;  // "field: problem"; empty when the spec is usable
};

// Parses and validates `json_text` for `operation` (the positional OPERATION, which wins over and
// must agree with the spec's own "operation"); reads the password from `secret_dir`.
LoadedWorkSpec parse_work_spec(std::string_view json_text, std::string_view operation,
                               const std::string& secret_dir);
// Reads the file first; a missing or unreadable file is one error naming --work-spec.
LoadedWorkSpec load_work_spec(const std::string& path, std::string_view operation,
                              const std::string& secret_dir);

}  // namespace kopiur::mover
