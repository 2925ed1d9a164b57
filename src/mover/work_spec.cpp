// The work spec: JSON from the controller plus the mounted Secret, validated field by field.
#include "kopiur/mover/work_spec.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "kopiur/support/json.hpp"

namespace kopiur::mover {

namespace {

using nlohmann::json;

constexpr std::array<std::pair<Operation, std::string_view>, 6> kOperations = {{
    {Operation::kConnect, "connect"},
    {Operation::kCatalog, "catalog"},
    {Operation::kBackup, "backup"},
    {Operation::kSnapshotDelete, "snapshot-delete"},
    {Operation::kRestore, "restore"},
    {Operation::kMaintenance, "maintenance"},
}};

// Reads spec fields, collecting one error per bad field instead of stopping at the first.
class Reader {
 public:
  Reader(const json& root, std::vector<std::string>& errors) : root_(root), errors_(errors) {}

  // The object at a dotted path, or nullptr (with an error when required).
  const json* object(const std::string& path, bool required) {
    const json* node = find(path);
    if (node == nullptr) {
      if (required) errors_.push_back(path + ": required field is missing");
      return nullptr;
    }
    if (!node->is_object()) {
      errors_.push_back(path + ": expected an object, got " + node->type_name());
      return nullptr;
    }
    return node;
  }

  std::string string(const std::string& path, bool required, std::string fallback = "") {
    const json* node = find(path);
    if (node == nullptr) {
      if (required) errors_.push_back(path + ": required field is missing");
      return fallback;
    }
    if (!node->is_string()) {
      errors_.push_back(path + ": expected a string, got " + node->type_name());
      return fallback;
    }
    if (required && node->get<std::string>().empty()) {
      errors_.push_back(path + ": must not be empty");
    }
    return node->get<std::string>();
  }

  bool boolean(const std::string& path, bool fallback) {
    const json* node = find(path);
    if (node == nullptr) return fallback;
    if (!node->is_boolean()) {
      errors_.push_back(path + ": expected true or false, got " + node->type_name());
      return fallback;
    }
    return node->get<bool>();
  }

  std::string absolute_path(const std::string& path) {
    std::string value = string(path, true);
    if (!value.empty() && value.front() != '/') {
      errors_.push_back(path + ": must be an absolute path, got \"" + value + "\"");
    }
    return value;
  }

 private:
  const json* find(const std::string& path) const {
    const json* node = &root_;
    std::size_t start = 0;
    while (start <= path.size()) {
      const std::size_t dot = std::min(path.find('.', start), path.size());
      const std::string key = path.substr(start, dot - start);
      if (!node->is_object()) return nullptr;
      const auto it = node->find(key);
      if (it == node->end() || it->is_null()) return nullptr;
      node = &*it;
      start = dot + 1;
    }
    return node;
  }

  const json& root_;
  std::vector<std::string>& errors_;
};

void read_repository(Reader& r, const json& root, WorkSpec& spec, const std::string& secret_dir,
                     std::vector<std::string>& errors) {
  if (r.object("repository", true) == nullptr) return;
  spec.backend = read_backend(root.at("repository"), secret_dir, errors);
  spec.create = r.boolean("repository.create", false);
  spec.read_only = r.boolean("repository.readOnly", false);
  if (spec.create && spec.read_only) {
    errors.push_back(
        "repository.readOnly: a read-only connection cannot create the repository; drop "
        "repository.create");
  }
  const std::string key = r.string("repository.passwordKey", false, "KOPIA_PASSWORD");
  if (key.empty() || key.find('/') != std::string::npos || key == "." || key == "..") {
    errors.push_back("repository.passwordKey: must be a Secret key name, got \"" + key + "\"");
    return;
  }
  const std::string file = secret_dir + "/" + key;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    errors.push_back("repository.passwordKey: the Secret has no key \"" + key + "\" (" + file +
                     " is missing or unreadable)");
    return;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  spec.password = buffer.str();
  while (!spec.password.empty() && (spec.password.back() == '\n' || spec.password.back() == '\r')) {
    spec.password.pop_back();
  }
  if (spec.password.empty()) {
    errors.push_back("repository.passwordKey: the Secret key \"" + key + "\" is empty");
  }
}

void read_operation_fields(Reader& r, const json& root, WorkSpec& spec,
                           std::vector<std::string>& errors) {
  switch (spec.operation) {
    case Operation::kBackup:
      if (r.object("backup", true) == nullptr) return;
      spec.source_path = r.absolute_path("backup.sourcePath");
      spec.description = r.string("backup.description", false);
      if (r.object("backup.tags", false) != nullptr) {
        for (const auto& [k, v] : root.at("backup").at("tags").items()) {
          if (!v.is_string() || k.empty() || k.find(':') != std::string::npos) {
            errors.push_back("backup.tags." + k +
                             ": expected a string value and a key without ':'");
          } else {
            spec.tags[k] = v.get<std::string>();
          }
        }
      }
      return;
    case Operation::kRestore:
      if (r.object("restore", true) == nullptr) return;
      spec.snapshot_id = r.string("restore.snapshotId", true);
      spec.target_path = r.absolute_path("restore.targetPath");
      return;
    case Operation::kSnapshotDelete:
      if (r.object("snapshotDelete", true) == nullptr) return;
      spec.snapshot_id = r.string("snapshotDelete.snapshotId", true);
      return;
    case Operation::kMaintenance: {
      const std::string mode = r.string("maintenance.mode", false, "quick");
      if (mode != "quick" && mode != "full") {
        errors.push_back("maintenance.mode: unsupported value \"" + mode +
                         "\": expected one of [quick, full]");
      }
      spec.full = mode == "full";
      spec.safety = r.string("maintenance.safety", false, "full");
      if (spec.safety != "full" && spec.safety != "none") {
        errors.push_back("maintenance.safety: unsupported value \"" + spec.safety +
                         "\": expected one of [full, none]");
      }
      spec.owner = r.string("maintenance.owner", false);
      if (!spec.owner.empty()) {
        const auto at = spec.owner.find('@');
        if (at == std::string::npos || at == 0 || at + 1 == spec.owner.size() ||
            spec.owner.find('@', at + 1) != std::string::npos) {
          errors.push_back("maintenance.owner: expected user@host, got \"" + spec.owner + "\"");
        }
      }
      spec.takeover = r.boolean("maintenance.takeover", false);
      return;
    }
    case Operation::kConnect:
    case Operation::kCatalog:
      return;
  }
}

}  // namespace

std::string_view operation_name(Operation op) {
  for (const auto& [value, name] : kOperations) {
    if (value == op) return name;
  }
  return "unknown";
}

std::optional<Operation> parse_operation(std::string_view name) {
  for (const auto& [value, text] : kOperations) {
    if (text == name) return value;
  }
  return std::nullopt;
}

LoadedWorkSpec parse_work_spec(std::string_view json_text, std::string_view operation,
                               const std::string& secret_dir) {
  LoadedWorkSpec out;
  auto& errors = out.errors;
  const auto op = parse_operation(operation);
  if (!op) {
    errors.push_back("OPERATION: unsupported value \"" + std::string(operation) +
                     "\": expected one of [connect, catalog, backup, snapshot-delete, restore, "
                     "maintenance]");
    return out;
  }
  out.spec.operation = *op;
  const json root = json::parse(json_text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    errors.push_back("work spec: not a JSON object");
    return out;
  }
  Reader r(root, errors);
  const std::string declared = r.string("operation", false);
  if (!declared.empty() && declared != operation) {
    errors.push_back("operation: the work spec is for \"" + declared + "\" but the Job runs \"" +
                     std::string(operation) + "\"");
  }
  read_repository(r, root, out.spec, secret_dir, errors);
  if (r.object("identity", false) != nullptr) {
    out.spec.hostname = r.string("identity.hostname", false);
    out.spec.username = r.string("identity.username", false);
  }
  if (r.object("object", false) != nullptr) {
    out.spec.object_kind = r.string("object.kind", false);
    out.spec.object_namespace = r.string("object.namespace", false);
    out.spec.object_name = r.string("object.name", false);
  }
  read_operation_fields(r, root, out.spec, errors);
  // A maintenance owner is the identity the mover connects as (kopia compares the two).
  if (const auto at = out.spec.owner.find('@'); at != std::string::npos) {
    if (out.spec.username.empty()) out.spec.username = out.spec.owner.substr(0, at);
    if (out.spec.hostname.empty()) out.spec.hostname = out.spec.owner.substr(at + 1);
  }
  return out;
}

LoadedWorkSpec load_work_spec(const std::string& path, std::string_view operation,
                              const std::string& secret_dir) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadedWorkSpec out;
    out.errors.push_back("--work-spec: cannot read " + path);
    return out;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_work_spec(buffer.str(), operation, secret_dir);
}

}  // namespace kopiur::mover
