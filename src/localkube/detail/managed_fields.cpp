#include "localkube/detail/managed_fields.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "localkube/detail/json_access.hpp"
#include "localkube/detail/local_store.hpp"
#include "localkube/detail/typed_fields.hpp"

namespace kopiur::localkube::detail {

using nlohmann::json;

namespace {

constexpr const char* kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

struct ManagedEntry {
  std::string manager;
  std::string operation;  // "Apply" or "Update"
  std::string api_version;
  std::string time;
  std::string subresource;
  FieldSet fields;

  // Apply entries are one per manager and subresource; Update entries also per API version.
  [[nodiscard]] bool same_owner(const ManagedEntry& other) const {
    return manager == other.manager && operation == other.operation &&
           subresource == other.subresource &&
           (operation == "Apply" || api_version == other.api_version);
  }
};
using Entries = std::vector<ManagedEntry>;

// How a conflict names a manager: `"a"`, `"a" with subresource "status"`, `"b" using v1`.
std::string manager_text(const ManagedEntry& e) {
  auto out = to_text(json(e.manager));
  if (!e.subresource.empty()) out += " with subresource " + to_text(json(e.subresource));
  if (e.operation == "Update") out += " using " + e.api_version;
  return out;
}

// Entries as stored, or nullopt when any is malformed (a real server then keeps the live ones).
std::optional<Entries> decode(const json& list) {
  Entries out;
  if (!list.is_array()) return std::nullopt;
  for (const auto& item : list) {
    if (!item.is_object()) return std::nullopt;
    ManagedEntry e;
    e.manager = field::text(item, "manager");
    e.operation = field::text(item, "operation");
    e.api_version = field::text(item, "apiVersion");
    e.time = field::text(item, "time");
    e.subresource = field::text(item, "subresource");
    if (e.operation != "Apply" && e.operation != "Update") return std::nullopt;
    if (field::text(item, "fieldsType", "FieldsV1") != "FieldsV1") return std::nullopt;
    e.fields = from_fields_v1(field::get(item, "fieldsV1"));
    out.push_back(std::move(e));
  }
  return out;
}

const json* managed_list(const json& object) {
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return nullptr;
  const auto list = meta->find("managedFields");
  return list == meta->end() || list->is_null() ? nullptr : &*list;
}

Entries entries_of(const json* object) {
  if (object == nullptr) return {};
  const auto* list = managed_list(*object);
  if (list == nullptr) return {};
  return decode(*list).value_or(Entries{});
}

// The object without its managed fields (never compared or owned).
json without_managed(json object) {
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    meta->erase("managedFields");
  }
  return object;
}

// At most 10 Update entries, as kube-apiserver keeps: the oldest are merged, per API version,
// into an "ancient-changes" entry (with the time of the latest merged).
void cap_updates(Entries& entries) {
  constexpr std::size_t kMaxUpdates = 10;
  std::vector<std::size_t> updates;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].operation == "Update") updates.push_back(i);
  }
  if (updates.size() <= kMaxUpdates) return;
  std::sort(updates.begin(), updates.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(entries[a].time, entries[a].manager) <
           std::tie(entries[b].time, entries[b].manager);
  });
  std::map<std::string, std::size_t> first_of_version;  // API version -> entry merged into
  std::vector<bool> merged_away(entries.size(), false);
  std::size_t left = updates.size();
  for (std::size_t n = 0; n < updates.size() && left > kMaxUpdates; ++n) {
    auto& e = entries[updates[n]];
    const auto first = first_of_version.find(e.api_version);
    if (first == first_of_version.end()) {
      first_of_version.emplace(e.api_version, updates[n]);
      continue;
    }
    auto& bucket = entries[first->second];
    bucket.manager = "ancient-changes";
    bucket.subresource.clear();
    bucket.fields = set_union(bucket.fields, e.fields);
    bucket.time = e.time;
    merged_away[updates[n]] = true;
    --left;
  }
  Entries kept;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!merged_away[i]) kept.push_back(std::move(entries[i]));
  }
  entries = std::move(kept);
}

// Written in the real server's order: operation, time, manager, API version, subresource.
void store_entries(json& object, Entries entries) {
  std::erase_if(entries, [](const ManagedEntry& e) { return e.fields.empty(); });
  cap_updates(entries);
  if (entries.empty()) {
    object = without_managed(std::move(object));
    return;
  }
  if (!object["metadata"].is_object()) object["metadata"] = json::object();
  auto& meta = object["metadata"];
  std::sort(entries.begin(), entries.end(), [](const ManagedEntry& a, const ManagedEntry& b) {
    return std::tie(a.operation, a.time, a.manager, a.api_version, a.subresource) <
           std::tie(b.operation, b.time, b.manager, b.api_version, b.subresource);
  });
  json list = json::array();
  for (const auto& e : entries) {
    json item = {{"manager", e.manager},        {"operation", e.operation},
                 {"apiVersion", e.api_version}, {"time", e.time},
                 {"fieldsType", "FieldsV1"},    {"fieldsV1", to_fields_v1(e.fields)}};
    if (!e.subresource.empty()) item["subresource"] = e.subresource;
    list.push_back(std::move(item));
  }
  meta["managedFields"] = std::move(list);
}

// What a manager may own: never the metadata the server sets; for a kind with a status
// subresource, `status` only through it and everything else only outside it.
FieldSet owned_scope(FieldSet set, const FieldManager& who) {
  static const std::vector<FieldPath> kServerSet = {{"f:apiVersion"},
                                                    {"f:kind"},
                                                    {"f:metadata"},
                                                    {"f:metadata", "f:name"},
                                                    {"f:metadata", "f:namespace"},
                                                    {"f:metadata", "f:creationTimestamp"},
                                                    {"f:metadata", "f:selfLink"},
                                                    {"f:metadata", "f:uid"},
                                                    {"f:metadata", "f:generation"},
                                                    {"f:metadata", "f:resourceVersion"}};
  for (const auto& path : kServerSet) set.erase(path);
  set = without_subtree(set, {"f:metadata", "f:managedFields"});
  if (!who.has_status) return set;
  return who.subresource == "status" ? only_subtree(set, {"f:status"})
                                     : without_subtree(set, {"f:status"});
}

FieldChanges scoped_changes(const FieldType& type, const json& before, const json& after,
                            const FieldManager& who) {
  auto changes = compare_fields(type, before, after);
  changes.added = owned_scope(std::move(changes.added), who);
  changes.modified = owned_scope(std::move(changes.modified), who);
  changes.removed = owned_scope(std::move(changes.removed), who);
  return changes;
}

ManagedEntry& entry_for(Entries& entries, const ManagedEntry& owner) {
  for (auto& e : entries) {
    if (e.same_owner(owner)) return e;
  }
  entries.push_back(owner);
  return entries.back();
}

// A client-sent list that resets the managed fields: `[]` or `[{}]`.
bool is_reset(const json& list) {
  return list.is_array() && (list.empty() || (list.size() == 1 && list[0] == json::object()));
}

}  // namespace

Result<std::string> manager_of(const std::string& field_manager, const std::string& user_agent) {
  std::string manager = field_manager;
  if (manager.empty()) {
    for (const char c : user_agent.substr(0, user_agent.find('/'))) {
      if (std::isprint(static_cast<unsigned char>(c)) != 0) manager += c;
    }
    manager = manager.substr(0, 128);
  }
  if (manager.size() > 128) {
    return api_error(422, "Invalid", "fieldManager: Too long: may not be more than 128 bytes");
  }
  return manager;
}

json track_update(const FieldType& type, const json* live, json next, const FieldManager& who) {
  Entries entries = entries_of(live);
  if (who.subresource.empty()) {
    if (const auto* sent = managed_list(next)) {
      if (is_reset(*sent)) {
        entries.clear();
      } else if (auto own = decode(*sent); own && !own->empty()) {
        entries = std::move(*own);
      }
    }
  }
  if (live != nullptr && entries.empty()) {
    return without_managed(std::move(next));  // an object nobody tracked stays untracked
  }
  const json before = live == nullptr ? json::object() : without_managed(*live);
  json after = without_managed(next);
  if (who.defaults) who.defaults(after, live);
  const auto changes = scoped_changes(type, before, after, who);
  if (!changes.empty()) {
    const auto taken = set_union(changes.added, changes.modified);
    const ManagedEntry self{who.manager,   "Update",        who.api_version,
                            now_rfc3339(), who.subresource, {}};
    for (auto& e : entries) {
      if (e.same_owner(self)) continue;
      e.fields = set_difference(set_difference(e.fields, taken), changes.removed);
    }
    auto& own = entry_for(entries, self);
    own.time = self.time;
    own.fields = set_difference(set_union(own.fields, taken), changes.removed);
  }
  store_entries(next, std::move(entries));
  return next;
}

namespace {

using Conflicts = std::vector<std::pair<ManagedEntry, FieldSet>>;

Error conflict_error(Conflicts conflicts) {
  std::sort(conflicts.begin(), conflicts.end(), [](const auto& a, const auto& b) {
    return manager_text(a.first) < manager_text(b.first);
  });
  std::size_t count = 0;
  std::string listed;
  StatusDetails details;
  for (const auto& [owner, paths] : conflicts) {
    const auto name = manager_text(owner);
    listed += (listed.empty() ? "" : "\n") + std::string("conflicts with ") + name + ":";
    for (const auto& path : paths) {
      ++count;
      listed += "\n- " + path_text(path);
      details.causes.push_back({"FieldManagerConflict", "conflict with " + name, path_text(path)});
    }
  }
  const auto message = count == 1
                           ? "Apply failed with 1 conflict: " + details.causes[0].message + ": " +
                                 details.causes[0].field
                           : "Apply failed with " + std::to_string(count) + " conflicts: " + listed;
  auto error = api_error(409, "Conflict", message);
  error.details = std::move(details);
  return error;
}

std::string last_applied_text(const json& object) {
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  const auto annotations = meta->find("annotations");
  if (annotations == meta->end() || !annotations->is_object()) return {};
  const auto text = annotations->find(kLastApplied);
  return text != annotations->end() && text->is_string() ? text->get<std::string>() : "";
}

// The fields of the client-side apply annotation that the live object still holds as applied:
// the manager "kubectl" takes them over without a conflict (kubectl's upgrade from client-side
// to server-side apply), as kube-apiserver allows.
FieldSet upgradable_fields(const FieldType& type, const json& live, const FieldManager& who) {
  const auto last = json::parse(last_applied_text(live), nullptr, false);
  if (!last.is_object() || last.value("apiVersion", json("")) != who.api_version) return {};
  const auto differ = compare_fields(type, last, without_managed(live));
  return set_difference(
      set_difference(set_difference(fields_of(type, last), differ.modified), differ.added),
      differ.removed);
}

// Conflicts that remain once "kubectl" may take over what it last applied client-side.
Conflicts unresolved(Conflicts conflicts, const FieldType& type, const json* live,
                     const FieldManager& who) {
  if (who.manager != "kubectl" || live == nullptr) return conflicts;
  const auto allowed = upgradable_fields(type, *live, who);
  for (auto& [owner, paths] : conflicts) paths = set_difference(paths, allowed);
  std::erase_if(conflicts, [](const auto& c) { return c.second.empty(); });
  return conflicts;
}

// Server-side apply by "kubectl" keeps an existing client-side apply annotation in step with
// what it applied, so a later client-side apply computes its patch from it.
void keep_last_applied(json& merged, const json* live, const json& config,
                       const FieldManager& who) {
  if (who.manager != "kubectl" || live == nullptr || last_applied_text(*live).empty()) return;
  json applied = config;
  if (auto meta = applied.find("metadata"); meta != applied.end() && meta->is_object()) {
    if (auto notes = meta->find("annotations"); notes != meta->end() && notes->is_object()) {
      notes->erase(kLastApplied);
    }
  }
  // As the API server encodes it (a JSON line), like kubectl's own annotation.
  merged["metadata"]["annotations"][kLastApplied] = to_text(applied) + "\n";
}

// An object created before anything tracked it: its fields so far belong to
// "before-first-apply", so applying over them is a conflict like any other.
void seed_untracked(const FieldType& type, const json& live, const FieldManager& who,
                    Entries& entries) {
  const auto changes = scoped_changes(type, json::object(), live, who);
  entries.push_back({"before-first-apply", "Update", who.api_version, now_rfc3339(),
                     who.subresource, set_union(changes.added, changes.modified)});
}

}  // namespace

Result<json> track_apply(const FieldType& type, const json* live, const json& config_in,
                         const FieldManager& who, bool force) {
  if (managed_list(config_in) != nullptr) {
    return api_error(400, "BadRequest", "metadata.managedFields must be nil");
  }
  const json config = without_managed(config_in);
  const json base = live == nullptr ? json::object() : without_managed(*live);
  Entries entries = entries_of(live);
  if (live != nullptr && entries.empty()) seed_untracked(type, base, who, entries);
  const ManagedEntry self{who.manager,     "Apply",
                          who.api_version, now_rfc3339(),
                          who.subresource, owned_scope(fields_of(type, config), who)};
  json merged = merge_applied(type, base, config);
  const auto existing = std::find_if(entries.begin(), entries.end(),
                                     [&](const ManagedEntry& e) { return e.same_owner(self); });
  const FieldSet last = existing == entries.end() ? FieldSet{} : existing->fields;
  const bool own_changed = existing == entries.end() || existing->fields != self.fields;
  if (existing == entries.end()) {
    entries.push_back(self);
  } else {
    existing->fields = self.fields;
    existing->api_version = who.api_version;
  }
  FieldSet owned;
  for (const auto& e : entries) owned = set_union(owned, e.fields);
  remove_fields(type, merged, set_difference(last, owned), owned);

  const auto changes = scoped_changes(type, base, merged, who);
  const auto taken = set_union(changes.added, changes.modified);
  Conflicts conflicts;
  for (const auto& e : entries) {
    if (e.same_owner(self)) continue;
    if (auto clash = set_intersection(e.fields, taken); !clash.empty()) {
      conflicts.emplace_back(e, std::move(clash));
    }
  }
  if (!force && !conflicts.empty()) {
    if (auto left = unresolved(std::move(conflicts), type, live, who); !left.empty()) {
      return conflict_error(std::move(left));
    }
  }
  // Re-applying what is there (after the store's defaults: a Secret's stringData) changes nothing.
  json stored = merged;
  if (who.defaults) who.defaults(stored, live);
  const bool object_changed = stored != base;
  for (auto& e : entries) {
    if (e.same_owner(self)) {
      if (own_changed || object_changed) e.time = self.time;
      continue;
    }
    e.fields = set_difference(set_difference(e.fields, taken), changes.removed);
  }
  store_entries(merged, std::move(entries));
  keep_last_applied(merged, live, config, who);
  return merged;
}

json tracked_create(const ResourceType& rt, const std::string& manager, json object) {
  const FieldManager who{manager, rt.api_version(), "", rt.has_status, {}};
  return track_update(*schema_for(rt, nullptr), nullptr, std::move(object), who);
}

LocalStore::Change tracked_change(const ResourceType& rt, const std::string& manager,
                                  bool status_only, LocalStore::Change change) {
  FieldManager who{manager, rt.api_version(), status_only ? "status" : "", rt.has_status, {}};
  return [type = schema_for(rt, nullptr), who = std::move(who),
          change = std::move(change)](json& object) {
    const json before = object;
    change(object);
    object = track_update(*type, &before, std::move(object), who);
  };
}

}  // namespace kopiur::localkube::detail
