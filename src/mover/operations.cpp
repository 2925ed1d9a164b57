// The mover's operations as sequences of kopia commands.
#include "kopiur/mover/operations.hpp"

#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_mover"

#include <chrono>
#include <sstream>

#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::mover {

namespace log = telemetry::log;
using json = nlohmann::json;

namespace {

bool contains(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

// A step's outcome: nullopt on success, else the failure (already classified).
using Step = std::optional<FailureInfo>;

Step failed(const KopiaRun& run) {
  if (run.ok()) return std::nullopt;
  return classify(run);
}

Step unexpected_output(const KopiaRun& run, const std::string& error) {
  FailureInfo f;
  f.error_class = ErrorClass::kUnexpectedOutput;
  f.message = error;
  f.tail = run.tail;
  f.kopia_exit = run.status.combined();
  return f;
}

std::vector<std::string> identity_flags(const WorkSpec& spec) {
  std::vector<std::string> flags;
  if (!spec.hostname.empty()) flags.push_back("--override-hostname=" + spec.hostname);
  if (!spec.username.empty()) flags.push_back("--override-username=" + spec.username);
  return flags;
}

Step connect(const WorkSpec& spec, const Kopia& kopia) {
  std::vector<std::string> args = connect_flags(spec.backend);
  const auto identity = identity_flags(spec);
  args.insert(args.end(), identity.begin(), identity.end());
  // kopia keeps --readonly in its config: every later command of this Job refuses writes.
  std::vector<std::string> connect_args = args;
  if (spec.read_only) connect_args.push_back("--readonly");
  const KopiaRun run = kopia.run({"repository", "connect", spec.backend.type}, connect_args);
  if (run.ok()) return std::nullopt;
  Step failure = failed(run);
  if (spec.create && failure->error_class == ErrorClass::kRepositoryNotInitialized) {
    KOPIUR_INFO("repository not initialised; creating it", log::kv("backend", spec.backend.type));
    return failed(kopia.run({"repository", "create", spec.backend.type}, args));
  }
  return failure;
}

Step status(const Kopia& kopia, OperationResult& result) {
  const KopiaRun run = kopia.run({"repository", "status"}, {"--json"});
  if (auto f = failed(run)) return f;
  auto parsed = parse_repository_status(run.out);
  if (!parsed.error.empty()) return unexpected_output(run, parsed.error);
  result.repository = parsed.value;
  return std::nullopt;
}

Step backup(const WorkSpec& spec, const Kopia& kopia, OperationResult& result) {
  // --json-verbose keeps kopia's "stats" (cached/non-cached file counts) in the manifest.
  std::vector<std::string> args = {spec.source_path, "--json", "--json-verbose"};
  if (!spec.description.empty()) args.push_back("--description=" + spec.description);
  for (const auto& [k, v] : spec.tags) args.push_back("--tags=" + k + ":" + v);
  const KopiaRun run = kopia.run({"snapshot", "create"}, args);
  if (auto f = failed(run)) return f;
  auto parsed = parse_snapshot_create(run.out);
  if (!parsed.error.empty()) return unexpected_output(run, parsed.error);
  result.snapshot = parsed.value;
  return std::nullopt;
}

Step catalog(const Kopia& kopia, OperationResult& result) {
  const KopiaRun run = kopia.run({"snapshot", "list"}, {"--json", "--all"});
  if (auto f = failed(run)) return f;
  auto parsed = parse_snapshot_list(run.out);
  if (!parsed.error.empty()) return unexpected_output(run, parsed.error);
  result.catalog = std::move(parsed.value);
  return std::nullopt;
}

Step restore(const WorkSpec& spec, const Kopia& kopia, OperationResult& result) {
  const KopiaRun run = kopia.run({"snapshot", "restore"}, {spec.snapshot_id, spec.target_path});
  if (auto f = failed(run)) return f;
  std::istringstream lines(run.tail);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Restored ", 0) == 0) result.restored = line;
  }
  return std::nullopt;
}

// With an owner in the spec: the repository's maintenance owner must be it, or become it when
// takeover is allowed (`kopia maintenance set --owner=me`, "me" being the identity connected as).
Step claim_maintenance(const WorkSpec& spec, const Kopia& kopia) {
  if (spec.owner.empty()) return std::nullopt;
  const KopiaRun info = kopia.run({"maintenance", "info"}, {"--json"});
  if (auto f = failed(info)) return f;
  const json doc = json::parse(info.out, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("owner") ||
      !doc["owner"].is_string()) {
    return unexpected_output(info, "maintenance info: expected an object with a string owner");
  }
  const std::string current = doc["owner"].get<std::string>();
  if (current == spec.owner) return std::nullopt;
  if (!current.empty() && !spec.takeover) {
    FailureInfo f;
    f.error_class = ErrorClass::kMaintenanceNotOwned;
    f.message = "maintenance of this repository is owned by " + current + ", not " + spec.owner +
                "; set spec.ownership.takeoverPolicy: Force on the Maintenance to take it over, "
                "or make spec.ownership.owner " +
                current;
    return f;
  }
  KOPIUR_INFO("taking over repository maintenance", log::kv("from", current),
              log::kv("owner", spec.owner));
  return failed(kopia.run({"maintenance", "set"}, {"--owner=me"}));
}

Step maintenance(const WorkSpec& spec, const Kopia& kopia, OperationResult& result) {
  result.maintenance_mode = spec.full ? "full" : "quick";
  const auto started = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  if (auto f = claim_maintenance(spec, kopia)) return f;
  std::vector<std::string> args = {"--safety=" + spec.safety};
  if (spec.full) args.push_back("--full");
  if (auto f = failed(kopia.run({"maintenance", "run"}, args))) return f;
  if (!spec.full) return std::nullopt;
  const KopiaRun info = kopia.run({"maintenance", "info"}, {"--json"});
  if (auto f = failed(info)) return f;
  auto parsed = parse_reclaimed_bytes(info.out, started - 1);
  if (!parsed.error.empty()) return unexpected_output(info, parsed.error);
  result.reclaimed_bytes = parsed.value;
  return std::nullopt;
}

Step run_steps(const WorkSpec& spec, const Kopia& kopia, OperationResult& result) {
  if (auto f = connect(spec, kopia)) return f;
  switch (spec.operation) {
    case Operation::kConnect:
      return status(kopia, result);
    case Operation::kCatalog:
      return catalog(kopia, result);
    case Operation::kBackup:
      return backup(spec, kopia, result);
    case Operation::kSnapshotDelete:
      return failed(kopia.run({"snapshot", "delete"}, {spec.snapshot_id, "--delete"}));
    case Operation::kRestore:
      return restore(spec, kopia, result);
    case Operation::kMaintenance:
      return maintenance(spec, kopia, result);
  }
  return std::nullopt;
}

}  // namespace

FailureInfo classify(const KopiaRun& run) {
  FailureInfo f;
  f.message = run.describe();
  f.tail = run.tail;
  if (!run.spawn_error.empty()) {
    f.error_class = ErrorClass::kKopiaNotFound;
    return f;
  }
  f.kopia_exit = run.status.combined();
  const std::string& e = run.error_line;
  if (run.cancelled) {
    f.error_class = ErrorClass::kCancelled;
  } else if (run.status.signal != 0) {
    f.error_class = ErrorClass::kKilled;
  } else if (contains(e, "invalid repository password")) {
    f.error_class = ErrorClass::kAuthFailure;
  } else if (contains(e, "repository not initialized")) {
    f.error_class = ErrorClass::kRepositoryNotInitialized;
  } else if (contains(e, "maintenance must be run by designated user")) {
    f.error_class = ErrorClass::kMaintenanceNotOwned;
  } else if (contains(e, "snapshot not found") || contains(e, "no snapshots matched")) {
    f.error_class = ErrorClass::kNotFound;
  } else if (contains(e, "error connecting to storage") || contains(e, "connection refused") ||
             contains(e, "i/o timeout") || contains(e, "unable to connect")) {
    f.error_class = ErrorClass::kRepositoryUnavailable;
  } else {
    f.error_class = ErrorClass::kUnknown;
  }
  return f;
}

void execute(const WorkSpec& spec, const Kopia& kopia, OperationResult& result) {
  Step failure = run_steps(spec, kopia, result);
  if (!failure) {
    result.result = Outcome::kSucceeded;
    return;
  }
  result.result =
      failure->error_class == ErrorClass::kCancelled ? Outcome::kCancelled : Outcome::kFailed;
  result.failure = std::move(failure);
}

}  // namespace kopiur::mover
