#include "localkube/detail/local_store.hpp"

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <random>
#include <sstream>

#include "kopiur/api/kinds.hpp"
#include "kopiur/api/meta.hpp"

#include "localkube/detail/builtin_objects.hpp"
#include "localkube/detail/store_log.hpp"
#include "localkube/detail/validation.hpp"
#include "localkube/detail/webhook_calls.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;

ResourceType builtin(std::string group, std::string version, std::string kind, std::string plural,
                     bool namespaced, bool has_status, std::vector<std::string> short_names = {}) {
  ResourceType rt;
  rt.group = std::move(group);
  rt.version = std::move(version);
  rt.singular = kind;
  for (auto& c : rt.singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  rt.kind = std::move(kind);
  rt.plural = std::move(plural);
  rt.namespaced = namespaced;
  rt.has_status = has_status;
  rt.short_names = std::move(short_names);
  return rt;
}

std::string new_uid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::uint64_t> dist;
  char buf[40];
  const auto a = dist(rng);
  const auto b = dist(rng);
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>((b >> 48) & 0xfff),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

json& meta_of(json& object) {
  if (!object.contains("metadata") || !object["metadata"].is_object()) {
    object["metadata"] = json::object();
  }
  return object["metadata"];
}

bool has_finalizers(const json& object) {
  const auto& meta = object.at("metadata");
  return meta.contains("finalizers") && meta["finalizers"].is_array() &&
         !meta["finalizers"].empty();
}

// Sets deletionTimestamp; generation moves with it, as a real server's BeforeDelete does.
void mark_deleted(json& object) {
  auto& meta = object["metadata"];
  meta["deletionTimestamp"] = now_rfc3339();
  meta["deletionGracePeriodSeconds"] = 0;
  meta["generation"] = meta.value("generation", std::int64_t{1}) + 1;
}

// Whether a write changes nothing: the same object but for a resourceVersion the client left out.
bool same_content(json next, const json& old) {
  const auto& old_meta = old["metadata"];
  if (old_meta.contains("resourceVersion")) {
    next["metadata"]["resourceVersion"] = old_meta["resourceVersion"];
  }
  return next == old;
}

// Everything except metadata and status: a change here bumps metadata.generation.
json spec_part(json object) {
  object.erase("metadata");
  object.erase("status");
  return object;
}

std::string not_found_message(const ResourceType& rt, const std::string& name) {
  return rt.qualified() + " \"" + name + "\" not found";
}

}  // namespace

std::string to_text(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status check_shape(const json& object) {
  if (!object.is_object()) return api_error(400, "BadRequest", "the object must be a JSON object");
  for (const char* field : {"apiVersion", "kind"}) {
    if (object.contains(field) && !object[field].is_string()) {
      return api_error(400, "BadRequest", std::string(field) + " must be a string");
    }
  }
  if (!object.contains("metadata")) return {};
  const auto& meta = object["metadata"];
  if (!meta.is_object()) return api_error(400, "BadRequest", "metadata must be an object");
  for (const char* field : {"name", "generateName", "namespace", "resourceVersion", "uid",
                            "creationTimestamp", "deletionTimestamp"}) {
    if (meta.contains(field) && !meta[field].is_string()) {
      return api_error(400, "BadRequest", std::string("metadata.") + field + " must be a string");
    }
  }
  for (const char* field : {"labels", "annotations"}) {
    if (!meta.contains(field) || meta[field].is_null()) continue;
    if (!meta[field].is_object()) {
      return api_error(400, "BadRequest", std::string("metadata.") + field + " must be a map");
    }
    for (const auto& [key, value] : meta[field].items()) {
      if (!value.is_string()) {
        return api_error(400, "BadRequest",
                         std::string("metadata.") + field + "." + key + " must be a string");
      }
    }
  }
  if (meta.contains("finalizers") && !meta["finalizers"].is_null()) {
    const auto& finalizers = meta["finalizers"];
    if (!finalizers.is_array() || !std::all_of(finalizers.begin(), finalizers.end(),
                                               [](const json& f) { return f.is_string(); })) {
      return api_error(400, "BadRequest", "metadata.finalizers must be a list of strings");
    }
  }
  if (meta.contains("ownerReferences") && !meta["ownerReferences"].is_null()) {
    const auto& refs = meta["ownerReferences"];
    if (!refs.is_array()) {
      return api_error(400, "BadRequest", "metadata.ownerReferences must be a list");
    }
    for (const auto& ref : refs) {
      const bool ok = ref.is_object() && ref.value("kind", json("")).is_string() &&
                      ref.value("name", json("")).is_string() &&
                      ref.value("uid", json("")).is_string() &&
                      ref.value("apiVersion", json("")).is_string() &&
                      ref.value("controller", json(false)).is_boolean() &&
                      ref.value("blockOwnerDeletion", json(false)).is_boolean();
      if (!ok) {
        return api_error(400, "BadRequest",
                         "metadata.ownerReferences entries are objects with string apiVersion, "
                         "kind, name and uid, and boolean controller and blockOwnerDeletion");
      }
    }
  }
  return {};
}

Error api_error(int code, std::string reason, std::string message) {
  return Error{"local API server", code, std::move(reason), std::move(message)};
}

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string now_rfc3339() { return format_rfc3339(std::chrono::system_clock::now()); }

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

LocalStore::LocalStore(Options options) : options_(std::move(options)) {
  for (auto rt :
       {builtin("", "v1", "Namespace", "namespaces", false, true, {"ns"}),
        builtin("", "v1", "Secret", "secrets", true, false),
        builtin("", "v1", "ConfigMap", "configmaps", true, false, {"cm"}),
        builtin("", "v1", "ServiceAccount", "serviceaccounts", true, false, {"sa"}),
        builtin("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, true, {"pvc"}),
        builtin("", "v1", "Pod", "pods", true, true, {"po"}),
        builtin("", "v1", "Event", "events", true, false, {"ev"}),
        builtin("batch", "v1", "Job", "jobs", true, true),
        builtin("events.k8s.io", "v1", "Event", "events", true, false, {"ev"}),
        builtin("coordination.k8s.io", "v1", "Lease", "leases", true, false),
        // Stored and validated only (config_objects.hpp): what a chart installs.
        builtin("", "v1", "Service", "services", true, true, {"svc"}),
        builtin("apps", "v1", "Deployment", "deployments", true, true, {"deploy"}),
        builtin("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, false),
        builtin("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings",
                false, false),
        builtin("rbac.authorization.k8s.io", "v1", "Role", "roles", true, false),
        builtin("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, false),
        builtin("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
                "validatingwebhookconfigurations", false, false),
        builtin("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
                "customresourcedefinitions", false, true, {"crd", "crds"})}) {
    resources_[rt.key()] = rt;
  }
  // `kubectl get all`, as a cluster lists it (of the kinds served here).
  for (const char* key : {"/pods", "/services", "batch/jobs", "apps/deployments"}) {
    resources_.at(key).categories = {"all"};
  }
  // The namespaces a fresh cluster has.
  const auto ns_type = resources_.at("/namespaces");
  for (const char* name : {"default", "kube-system", "kube-public"}) {
    json ns = {{"apiVersion", "v1"},
               {"kind", "Namespace"},
               {"metadata", {{"name", name}}},
               {"spec", {{"finalizers", {"kubernetes"}}}},
               {"status", {{"phase", "Active"}}}};
    std::lock_guard lock(mu_);
    (void)commit_locked(ns_type, "", name, nullptr, ns, false);
  }
  oldest_rv_ = rv_;
  history_.clear();
}

LocalStore::Key LocalStore::make_key(const ResourceType& rt, const std::string& ns,
                                     const std::string& name) {
  return rt.key() + "\n" + ns + "\n" + name;
}

std::vector<ResourceType> LocalStore::resources() const {
  std::lock_guard lock(mu_);
  std::vector<ResourceType> out;
  for (const auto& [key, rt] : resources_) out.push_back(rt);
  return out;
}

const ResourceType* LocalStore::find_locked(const std::string& group,
                                            const std::string& plural) const {
  const auto it = resources_.find(group + "/" + plural);
  return it == resources_.end() ? nullptr : &it->second;
}

std::optional<ResourceType> LocalStore::find(const std::string& group, const std::string& version,
                                             const std::string& plural) const {
  std::lock_guard lock(mu_);
  const auto* rt = find_locked(group, plural);
  if (rt == nullptr || rt->version != version) return std::nullopt;
  return *rt;
}

Result<json> LocalStore::get(const ResourceType& rt, const std::string& ns,
                             const std::string& name) const {
  std::lock_guard lock(mu_);
  const auto it = objects_.find(make_key(rt, ns, name));
  if (it == objects_.end()) return api_error(404, "NotFound", not_found_message(rt, name));
  return *it->second.object;
}

std::pair<std::vector<StoredObject>, std::int64_t> LocalStore::list_shared(
    const ResourceType& rt, const std::string& ns) const {
  std::lock_guard lock(mu_);
  std::vector<StoredObject> out;
  const auto prefix = rt.key() + "\n" + (ns.empty() ? "" : ns + "\n");
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(it->second);
  }
  return {std::move(out), rv_};
}

void LocalStore::set_entry_locked(const Key& key, json object) {
  auto& entry = objects_[key];
  live_bytes_ -= entry.text ? entry.text->size() : 0;
  entry.object = std::make_shared<const json>(std::move(object));
  entry.text = std::make_shared<const std::string>(to_text(*entry.object));
  live_bytes_ += entry.text->size();
}

// The copies are made outside the lock: writers wait only for the pointers to be taken.
std::pair<std::vector<json>, std::int64_t> LocalStore::list(const ResourceType& rt,
                                                            const std::string& ns) const {
  auto [shared, rv] = list_shared(rt, ns);
  std::vector<json> out;
  out.reserve(shared.size());
  for (const auto& stored : shared) out.push_back(*stored.object);
  return {std::move(out), rv};
}

Status LocalStore::validate_locked(const ResourceType& rt, const json& object) const {
  if (rt.group != api::kGroup) return {};
  const auto* info = api::find_kind(rt.kind);
  if (info == nullptr) return {};
  const auto errors = info->validate(object);
  if (errors.empty()) return {};
  const auto name = object["metadata"].value("name", "");
  auto error = api_error(422, "Invalid",
                         rt.kind + "." + rt.group + " \"" + name +
                             "\" is invalid: " + api::format_errors(errors, true));
  // The causes, as a real API server lists them, so kubectl prints "The <Kind> "<name>" is
  // invalid: <field>: <message>".
  StatusDetails details{name, rt.group, rt.kind, {}};
  for (const auto& e : errors) {
    const auto& m = e.message;
    const char* reason = m.rfind("Required value", 0) == 0      ? "FieldValueRequired"
                         : m.rfind("Unsupported value", 0) == 0 ? "FieldValueNotSupported"
                                                                : "FieldValueInvalid";
    details.causes.push_back({reason, m, e.path});
  }
  error.details = std::move(details);
  return error;
}

template <typename Op>
Result<json> LocalStore::durably(Op&& op) {
  std::unique_lock lock(mu_);
  if (log_) {
    if (auto failed = log_->failure()) {
      return api_error(500, "InternalError",
                       "the store cannot persist writes (" + failed->to_string() +
                           "); fix the data dir and restart the server");
    }
  }
  auto result = op();
  if (!log_) return result;
  const auto ticket = log_->last_ticket();
  lock.unlock();
  if (auto synced = log_->wait(ticket); !synced.ok()) {
    return api_error(500, "InternalError", "write not persisted: " + synced.error().to_string());
  }
  return result;
}

Result<json> LocalStore::create(const ResourceType& rt, const std::string& ns, json object,
                                bool dry_run) {
  return durably([&] { return create_locked(rt, ns, std::move(object), dry_run); });
}

Result<json> LocalStore::update(const ResourceType& rt, const std::string& ns,
                                const std::string& name, json object, bool status_only,
                                bool dry_run) {
  return durably(
      [&] { return update_locked(rt, ns, name, std::move(object), status_only, dry_run); });
}

Result<json> LocalStore::patch(const ResourceType& rt, const std::string& ns,
                               const std::string& name, const Patcher& patcher, bool status_only,
                               bool create_if_missing, bool dry_run) {
  return durably(
      [&] { return patch_locked(rt, ns, name, patcher, status_only, create_if_missing, dry_run); });
}

Result<json> LocalStore::remove(const ResourceType& rt, const std::string& ns,
                                const std::string& name, bool dry_run) {
  return durably([&] { return remove_locked(rt, ns, name, dry_run); });
}

Result<json> LocalStore::create_locked(const ResourceType& rt, const std::string& ns, json object,
                                       bool dry_run) {
  auto& meta = meta_of(object);
  std::string name = meta.value("name", "");
  if (name.empty()) {
    const auto generate = meta.value("generateName", "");
    if (generate.empty()) {
      return invalid_error(rt.group.empty() ? rt.kind : rt.kind + "." + rt.group, "",
                           {"metadata.name: Required value: name or generateName is required"});
    }
    name = generate + new_uid().substr(0, 5);
    meta["name"] = name;
  }
  if (rt.namespaced) {
    const auto body_ns = meta.value("namespace", "");
    if (!body_ns.empty() && body_ns != ns) {
      return api_error(400, "BadRequest",
                       "the namespace of the provided object (" + body_ns +
                           ") does not match the namespace sent on the request (" + ns + ")");
    }
    meta["namespace"] = ns;
    if (objects_.find(make_key(resources_.at("/namespaces"), "", ns)) == objects_.end()) {
      return api_error(404, "NotFound", "namespaces \"" + ns + "\" not found");
    }
  } else {
    meta.erase("namespace");
  }
  if (objects_.count(make_key(rt, ns, name)) != 0) {
    return api_error(409, "AlreadyExists", rt.qualified() + " \"" + name + "\" already exists");
  }
  meta.erase("resourceVersion");
  meta.erase("deletionTimestamp");
  meta["uid"] = new_uid();
  meta["creationTimestamp"] = now_rfc3339();
  meta["generation"] = 1;
  if (rt.has_status && rt.custom) object.erase("status");
  if (auto prepared = prepare_builtin(rt, object, /*old=*/nullptr); !prepared.ok()) {
    return prepared.error();
  }
  if (rt.kind == "CustomResourceDefinition") {
    const auto& spec = object.value("spec", json::object());
    const auto names = spec.value("names", json::object());
    const auto expected = names.value("plural", "") + "." + spec.value("group", "");
    if (names.value("plural", "").empty() || names.value("kind", "").empty() ||
        spec.value("versions", json::array()).empty()) {
      return api_error(422, "Invalid",
                       "CustomResourceDefinition \"" + name +
                           "\" is invalid: spec.names.plural, spec.names.kind and spec.versions "
                           "are required");
    }
    if (expected != name) {
      return api_error(422, "Invalid",
                       "CustomResourceDefinition \"" + name +
                           "\" is invalid: metadata.name: "
                           "must be spec.names.plural+\".\"+spec.group (" +
                           expected + ")");
    }
    object["status"] = {{"acceptedNames", names},
                        {"storedVersions", json::array({spec["versions"][0].value("name", "")})},
                        {"conditions",
                         {{{"type", "NamesAccepted"},
                           {"status", "True"},
                           {"reason", "NoConflicts"},
                           {"message", "no conflicts found"},
                           {"lastTransitionTime", now_rfc3339()}},
                          {{"type", "Established"},
                           {"status", "True"},
                           {"reason", "InitialNamesAccepted"},
                           {"message", "the initial names have been accepted"},
                           {"lastTransitionTime", now_rfc3339()}}}}};
  }
  if (auto status = validate_locked(rt, object); !status.ok()) return status.error();
  return commit_locked(rt, ns, name, nullptr, std::move(object), false, dry_run);
}

Result<json> LocalStore::update_locked(const ResourceType& rt, const std::string& ns,
                                       const std::string& name, json object, bool status_only,
                                       bool dry_run) {
  const auto it = objects_.find(make_key(rt, ns, name));
  if (it == objects_.end()) return api_error(404, "NotFound", not_found_message(rt, name));
  auto& meta = meta_of(object);
  if (meta.value("name", name) != name) {
    return api_error(400, "BadRequest",
                     "the name of the object (" + meta.value("name", "") +
                         ") does not match the name on the URL (" + name + ")");
  }
  const auto sent_rv = meta.value("resourceVersion", "");
  const auto current_rv = (*it->second.object)["metadata"].value("resourceVersion", "");
  if (!sent_rv.empty() && sent_rv != current_rv) {
    return api_error(409, "Conflict",
                     "Operation cannot be fulfilled on " + rt.qualified() + " \"" + name +
                         "\": the object has been modified; please apply your changes to the "
                         "latest version and try again");
  }
  const auto old = it->second.object;  // kept alive while the map's entry is replaced
  return commit_locked(rt, ns, name, old.get(), std::move(object), status_only, dry_run);
}

Result<json> LocalStore::patch_locked(const ResourceType& rt, const std::string& ns,
                                      const std::string& name, const Patcher& patcher,
                                      bool status_only, bool create_if_missing, bool dry_run) {
  const auto it = objects_.find(make_key(rt, ns, name));
  if (it == objects_.end()) {
    if (!create_if_missing) return api_error(404, "NotFound", not_found_message(rt, name));
    auto created = patcher(json::object());
    if (!created.ok()) return created.error();
    if (auto shape = check_shape(*created); !shape.ok()) return shape.error();
    auto& meta = meta_of(*created);
    meta["name"] = name;
    if (rt.namespaced) meta["namespace"] = ns;
    return create_locked(rt, ns, std::move(*created), dry_run);
  }
  const auto old_ptr = it->second.object;  // kept alive while the map's entry is replaced
  const json& old = *old_ptr;
  auto next = patcher(old);
  if (!next.ok()) return next.error();
  if (auto shape = check_shape(*next); !shape.ok()) return shape.error();
  const auto sent_rv = meta_of(*next).value("resourceVersion", "");
  if (!sent_rv.empty() && sent_rv != old["metadata"].value("resourceVersion", "")) {
    return api_error(409, "Conflict",
                     "Operation cannot be fulfilled on " + rt.qualified() + " \"" + name +
                         "\": the object has been modified; please apply your changes to the "
                         "latest version and try again");
  }
  return commit_locked(rt, ns, name, &old, std::move(*next), status_only, dry_run);
}

Result<json> LocalStore::change_same(const ResourceType& rt, const json& object,
                                     const Change& change, bool status_only) {
  const auto meta = object.value("metadata", json::object());
  const auto uid = meta.value("uid", "");
  return patch(
      rt, meta.value("namespace", ""), meta.value("name", ""),
      [&](const json& current) -> Result<json> {
        if (current["metadata"].value("uid", "") != uid) {
          return api_error(409, "Conflict",
                           rt.qualified() + " \"" + meta.value("name", "") + "\" was replaced");
        }
        json next = current;
        change(next);
        return next;
      },
      status_only, /*create_if_missing=*/false);
}

Result<json> LocalStore::commit_locked(const ResourceType& rt, const std::string& ns,
                                       const std::string& name, const json* old, json next,
                                       bool status_only, bool dry_run) {
  if (old != nullptr) {
    if (status_only) {
      json merged = *old;
      if (next.contains("status")) {
        merged["status"] = next["status"];
      } else {
        merged.erase("status");
      }
      // The one metadata change a status write makes: its manager's entry (managed_fields.hpp).
      if (const auto meta = next.find("metadata");
          meta != next.end() && meta->is_object() && meta->contains("managedFields")) {
        merged["metadata"]["managedFields"] = (*meta)["managedFields"];
      }
      next = std::move(merged);
    } else if (rt.has_status) {
      // As in Kubernetes, a write to the main resource cannot change the status.
      if (old->contains("status")) {
        next["status"] = (*old)["status"];
      } else {
        next.erase("status");
      }
    }
    auto& meta = meta_of(next);
    const auto& old_meta = (*old)["metadata"];
    for (const char* fixed : {"uid", "creationTimestamp", "namespace", "name", "generation"}) {
      if (old_meta.contains(fixed)) meta[fixed] = old_meta[fixed];
    }
    if (old_meta.contains("deletionTimestamp")) {
      meta["deletionTimestamp"] = old_meta["deletionTimestamp"];
    } else {
      meta.erase("deletionTimestamp");
    }
    next["apiVersion"] = (*old)["apiVersion"];
    next["kind"] = (*old)["kind"];
    if (!status_only) {
      if (auto prepared = prepare_builtin(rt, next, old); !prepared.ok()) {
        return prepared.error();
      }
      if (auto status = validate_locked(rt, next); !status.ok()) return status.error();
    } else if (auto status = validate_locked(rt, next); !status.ok()) {
      return status.error();
    }
    // After the defaults (a Secret's stringData folded into data), so a re-apply is no change.
    if (spec_part(next) != spec_part(*old)) {
      meta_of(next)["generation"] = old_meta.value("generation", std::int64_t{1}) + 1;
    }
    if (same_content(next, *old)) return *old;  // no-op writes keep the resourceVersion
  }
  next["apiVersion"] = rt.api_version();
  next["kind"] = rt.kind;
  if (!status_only) {
    if (auto admitted = admit_locked(rt, next, old); !admitted.ok()) return admitted.error();
  }
  if (dry_run) return next;  // checked, admitted and computed; nothing stored, no resourceVersion
  meta_of(next)["resourceVersion"] = std::to_string(++rv_);
  const auto key = make_key(rt, ns, name);
  if (old != nullptr && next["metadata"].contains("deletionTimestamp") && !has_finalizers(next)) {
    erase_locked(rt, key, next);
    persist_locked();
    changed_.notify_all();
    return next;  // the last state, as Kubernetes answers when a finalizer removal deletes
  }
  if (rt.kind == "CustomResourceDefinition") register_crd_locked(next);
  const auto stored = store_locked(old == nullptr ? "ADDED" : "MODIFIED", rt, key, std::move(next));
  persist_locked();
  changed_.notify_all();
  return *stored;
}

// Validating webhooks see the object as it would be stored (uid, timestamps and generation set;
// resourceVersion not yet). They are called under the store's lock, so a slow webhook holds up
// other writes for at most its timeoutSeconds: simple, and fine for a development server.
Status LocalStore::admit_locked(const ResourceType& rt, const json& next, const json* old) const {
  if (!admission_enabled_) return {};
  const auto configs =
      resources_.find("admissionregistration.k8s.io/validatingwebhookconfigurations");
  if (configs == resources_.end() || &configs->second == &rt) return {};
  std::vector<json> configurations;
  const auto prefix = configs->second.key() + "\n";
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    configurations.push_back(*it->second.object);
  }
  if (configurations.empty()) return {};
  return call_validating_webhooks(configurations, rt, next, old);
}

Result<json> LocalStore::remove_locked(const ResourceType& rt, const std::string& ns,
                                       const std::string& name, bool dry_run) {
  const auto key = make_key(rt, ns, name);
  const auto it = objects_.find(key);
  if (it == objects_.end()) return api_error(404, "NotFound", not_found_message(rt, name));
  json object = *it->second.object;
  if (dry_run) {
    if (has_finalizers(object) && !object["metadata"].contains("deletionTimestamp")) {
      mark_deleted(object);
    }
    return object;
  }
  if (has_finalizers(object)) {
    if (!object["metadata"].contains("deletionTimestamp")) {
      mark_deleted(object);
      object["metadata"]["resourceVersion"] = std::to_string(++rv_);
      const auto stored = store_locked("MODIFIED", rt, key, std::move(object));
      persist_locked();
      changed_.notify_all();
      return *stored;
    }
    return object;
  }
  ++rv_;
  object["metadata"]["resourceVersion"] = std::to_string(rv_);
  erase_locked(rt, key, object);
  if (rt.kind == "Namespace" && rt.group.empty()) cascade_namespace_delete_locked(name);
  persist_locked();
  changed_.notify_all();
  return object;
}

void LocalStore::erase_locked(const ResourceType& rt, const Key& key, json object) {
  if (const auto it = objects_.find(key); it != objects_.end()) {
    live_bytes_ -= it->second.text ? it->second.text->size() : 0;
    objects_.erase(it);
  }
  if (rt.kind == "CustomResourceDefinition") unregister_crd_locked(object);
  record_locked("DELETED", rt, key, std::make_shared<const json>(std::move(object)));
}

LocalStore::ObjectPtr LocalStore::store_locked(const std::string& type, const ResourceType& rt,
                                               const Key& key, json object) {
  auto stored = std::make_shared<const json>(std::move(object));
  auto& entry = objects_[key];
  live_bytes_ -= entry.text ? entry.text->size() : 0;
  entry = {stored, nullptr};
  record_locked(type, rt, key, stored);
  return stored;
}

void LocalStore::cascade_namespace_delete_locked(const std::string& ns) {
  std::vector<std::pair<ResourceType, Key>> victims;
  for (const auto& [key, entry] : objects_) {
    const auto& meta = (*entry.object)["metadata"];
    if (meta.value("namespace", "") != ns) continue;
    const auto rt_key = key.substr(0, key.find('\n'));
    const auto rt = resources_.find(rt_key);
    if (rt != resources_.end()) victims.emplace_back(rt->second, key);
  }
  for (const auto& [rt, key] : victims) {
    json object = *objects_.at(key).object;
    object["metadata"]["resourceVersion"] = std::to_string(++rv_);
    if (has_finalizers(object)) {
      mark_deleted(object);
      store_locked("MODIFIED", rt, key, std::move(object));
    } else {
      erase_locked(rt, key, object);
    }
  }
}

void LocalStore::register_crd_locked(const json& crd) {
  const auto& spec = crd.value("spec", json::object());
  const auto names = spec.value("names", json::object());
  const auto versions = spec.value("versions", json::array());
  if (versions.empty()) return;
  ResourceType rt;
  rt.group = spec.value("group", "");
  rt.version = versions[0].value("name", "");
  for (const auto& v : versions) {
    if (v.value("storage", false)) rt.version = v.value("name", rt.version);
  }
  rt.kind = names.value("kind", "");
  rt.plural = names.value("plural", "");
  rt.singular = names.value("singular", "");
  if (rt.singular.empty()) {
    rt.singular = rt.kind;
    for (auto& c : rt.singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  rt.namespaced = spec.value("scope", "Namespaced") == "Namespaced";
  rt.custom = true;
  for (const auto& v : versions) {
    if (v.value("name", "") != rt.version) continue;
    rt.has_status = v.contains("subresources") && v["subresources"].contains("status");
    rt.printer_columns = v.value("additionalPrinterColumns", json::array());
  }
  rt.short_names = names.value("shortNames", std::vector<std::string>{});
  rt.categories = names.value("categories", std::vector<std::string>{});
  resources_[rt.key()] = rt;
}

void LocalStore::unregister_crd_locked(const json& crd) {
  const auto& spec = crd.value("spec", json::object());
  const auto group = spec.value("group", "");
  const auto plural = spec.value("names", json::object()).value("plural", "");
  const auto it = resources_.find(group + "/" + plural);
  if (it == resources_.end() || !it->second.custom) return;
  const auto prefix = it->second.key() + "\n";
  for (auto obj = objects_.lower_bound(prefix); obj != objects_.end();) {
    if (obj->first.compare(0, prefix.size(), prefix) != 0) break;
    live_bytes_ -= obj->second.text ? obj->second.text->size() : 0;
    record_locked("DELETED", it->second, obj->first, obj->second.object);
    obj = objects_.erase(obj);
  }
  resources_.erase(it);
}

// One serialisation per change serves the watch line every watcher sends, the log record and
// the live state's size.
void LocalStore::record_locked(const std::string& type, const ResourceType& rt, const Key& key,
                               const ObjectPtr& object) {
  auto shared_text = std::make_shared<const std::string>(to_text(*object));
  const auto& text = *shared_text;
  if (type != "DELETED") {
    if (const auto it = objects_.find(key); it != objects_.end() && it->second.object == object) {
      it->second.text = shared_text;
      live_bytes_ += text.size();
    }
  }
  if (log_) {
    pending_ops_ += pending_ops_.empty() ? "" : ",";
    pending_ops_ += "{\"type\":\"" + type + "\",\"key\":" + json(key).dump();
    if (type != "DELETED") pending_ops_ += ",\"object\":" + text;
    pending_ops_ += "}";
  }
  auto line =
      std::make_shared<const std::string>("{\"type\":\"" + type + "\",\"object\":" + text + "}\n");
  history_.push_back({rv_, type, rt.key(), object, std::move(line)});
  while (history_.size() > options_.watch_history) {
    oldest_rv_ = history_.front().rv;
    history_.pop_front();
  }
}

// The history is in resourceVersion order, so the events after rv are found by bisection.
std::optional<std::vector<StoredEvent>> LocalStore::events_since(const std::string& resource_key,
                                                                 std::int64_t rv) const {
  std::lock_guard lock(mu_);
  if (rv < oldest_rv_) return std::nullopt;
  std::vector<StoredEvent> out;
  auto it = std::upper_bound(history_.begin(), history_.end(), rv,
                             [](std::int64_t v, const StoredEvent& e) { return v < e.rv; });
  for (; it != history_.end(); ++it) {
    if (it->resource_key == resource_key) out.push_back(*it);
  }
  return out;
}

std::int64_t LocalStore::current_rv() const {
  std::lock_guard lock(mu_);
  return rv_;
}

void LocalStore::wait_for_change(std::int64_t rv,
                                 std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mu_);
  changed_.wait_until(lock, deadline, [&] { return shut_down_ || rv_ > rv; });
}

void LocalStore::wait_for_change(std::int64_t rv, std::chrono::steady_clock::time_point deadline,
                                 std::uint64_t wakes_seen) const {
  std::unique_lock lock(mu_);
  changed_.wait_until(lock, deadline,
                      [&] { return shut_down_ || rv_ > rv || wakes_ != wakes_seen; });
}

std::uint64_t LocalStore::wake_token() const {
  std::lock_guard lock(mu_);
  return wakes_;
}

void LocalStore::wake_waiters() {
  std::lock_guard lock(mu_);
  ++wakes_;
  changed_.notify_all();
}

void LocalStore::shutdown() {
  std::lock_guard lock(mu_);
  shut_down_ = true;
  changed_.notify_all();
}

bool LocalStore::is_shut_down() const {
  std::lock_guard lock(mu_);
  return shut_down_;
}

}  // namespace kopiur::localkube::detail
