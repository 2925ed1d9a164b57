// References to other objects, read through an ObjectLookup.
#include "webhook/checks.hpp"
#include "webhook/json_path.hpp"

namespace kopiur::webhook::detail {
namespace {

using nlohmann::json;
using Path = std::vector<std::string>;

// True when the reference at `path` is new or differs from the old object's.
bool changed(const json& object, const json* old_object, const Path& path) {
  if (old_object == nullptr) return true;
  const json* now = at(object, path);
  const json* before = at(*old_object, path);
  if (now == nullptr || before == nullptr) return now != before;
  return *now != *before;
}

bool namespace_allowed(const json& cluster_repository, const std::string& ns) {
  const json* allowed = at(cluster_repository, {"spec", "allowedNamespaces"});
  if (allowed == nullptr || !allowed->is_array()) return false;
  for (const auto& entry : *allowed) {
    if (entry == "*" || entry == ns) return true;
  }
  return false;
}

// A RepositoryRef ({kind, name, namespace}) at `path`.
void check_repository_ref(const json& object, const json* old_object, const Path& path,
                          const std::string& referrer_ns, const ObjectLookup& lookup,
                          api::FieldErrors& errors) {
  const json* ref = at(object, path);
  if (ref == nullptr || !ref->is_object() || !changed(object, old_object, path)) return;
  const std::string kind = string_at(*ref, {"kind"}, "Repository");
  const std::string name = string_at(*ref, {"name"});
  if (name.empty() || (kind != "Repository" && kind != "ClusterRepository")) return;
  const bool cluster = kind == "ClusterRepository";
  const std::string ns = cluster ? "" : string_at(*ref, {"namespace"}, referrer_ns);
  const std::string where = dotted(path) + ".name";
  const auto found = lookup.get(kind, ns, name);
  if (!found) {
    errors.push_back({where, kind + " \"" + (cluster ? name : ns + "/" + name) +
                                 "\" does not exist; create it first or fix the name"});
  } else if (cluster && !namespace_allowed(*found, referrer_ns)) {
    errors.push_back({where, "namespace \"" + referrer_ns + "\" may not use ClusterRepository \"" +
                                 name + "\"; add \"" + referrer_ns +
                                 "\" to its spec.allowedNamespaces"});
  }
}

// A BackupConfig named at `path` (+ "name", and + "namespace" when `namespaced_ref`).
void check_config_ref(const json& object, const json* old_object, const Path& path,
                      const std::string& referrer_ns, const ObjectLookup& lookup,
                      api::FieldErrors& errors) {
  const json* ref = at(object, path);
  if (ref == nullptr || !ref->is_object() || !changed(object, old_object, path)) return;
  const std::string name = string_at(*ref, {"name"});
  const std::string ns = string_at(*ref, {"namespace"}, referrer_ns);
  if (name.empty()) return;
  if (!lookup.get("BackupConfig", ns, name)) {
    errors.push_back({dotted(path) + ".name", "BackupConfig \"" + ns + "/" + name +
                                                  "\" does not exist; create it first or fix "
                                                  "the name"});
  }
}

}  // namespace

void check_references(const std::string& kind, const std::string& ns, const json& object,
                      const json* old_object, const ObjectLookup& lookup,
                      api::FieldErrors& errors) {
  if (kind == "BackupConfig" || kind == "Maintenance" || kind == "Restore") {
    check_repository_ref(object, old_object, {"spec", "repository"}, ns, lookup, errors);
  }
  if (kind == "BackupSchedule" || kind == "Backup") {
    check_config_ref(object, old_object, {"spec", "configRef"}, ns, lookup, errors);
  } else if (kind == "Restore") {
    check_config_ref(object, old_object, {"spec", "source", "fromConfig"}, ns, lookup, errors);
    check_repository_ref(object, old_object, {"spec", "source", "snapshot", "repository"}, ns,
                         lookup, errors);
  }
}

void warn_lost_access(const json& object, const json& old_object, const ObjectLookup& lookup,
                      std::vector<std::string>& warnings) {
  const std::string name = string_at(object, {"metadata", "name"});
  for (const auto& config : lookup.list("BackupConfig")) {
    if (string_at(config, {"spec", "repository", "kind"}) != "ClusterRepository" ||
        string_at(config, {"spec", "repository", "name"}) != name) {
      continue;
    }
    const std::string ns = string_at(config, {"metadata", "namespace"});
    if (namespace_allowed(old_object, ns) && !namespace_allowed(object, ns)) {
      warnings.push_back("spec.allowedNamespaces: BackupConfig " + ns + "/" +
                         string_at(config, {"metadata", "name"}) +
                         " uses this ClusterRepository; its backups will fail until \"" + ns +
                         "\" is allowed again or it uses another repository");
    }
  }
}

}  // namespace kopiur::webhook::detail
