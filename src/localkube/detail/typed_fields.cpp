#include "localkube/detail/typed_fields.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kopiur::localkube::detail {

using nlohmann::json;

namespace {

bool is_keyed_list(const FieldType& type) {
  return type.shape == FieldShape::kSet || type.shape == FieldShape::kAssociative;
}

bool is_object_type(const FieldType& type) {
  return type.shape == FieldShape::kStruct || type.shape == FieldShape::kMap ||
         type.shape == FieldShape::kDeduced;
}

// The path element of a list item, or nullopt when the item cannot be keyed (the list is then
// handled as atomic, as for a list without a schema).
std::optional<std::string> item_element(const FieldType& list, const json& item) {
  if (list.shape == FieldShape::kSet) {
    if (item.is_object() || item.is_array()) return std::nullopt;
    return value_element(item);
  }
  if (list.shape != FieldShape::kAssociative || !item.is_object()) return std::nullopt;
  json key = json::object();
  for (const auto& name : list.keys) {
    if (const auto it = item.find(name); it != item.end()) {
      key[name] = *it;
    } else if (const auto d = list.key_defaults.find(name); d != list.key_defaults.end()) {
      key[name] = d->second;
    }
  }
  if (key.empty()) return std::nullopt;
  return key_element(key);
}

using Items = std::vector<std::pair<std::string, const json*>>;

// A keyed list's items with their path elements (a repeated element counts once), or nullopt
// for a list handled as atomic.
std::optional<Items> items_of(const FieldType& list, const json* value) {
  Items out;
  if (value == nullptr) return out;
  if (!value->is_array() || !is_keyed_list(list)) return std::nullopt;
  for (const auto& item : *value) {
    auto element = item_element(list, item);
    if (!element) return std::nullopt;
    bool seen = false;
    for (const auto& [e, v] : out) seen = seen || e == *element;
    if (!seen) out.emplace_back(std::move(*element), &item);
  }
  return out;
}

const json* find_item(const Items& items, const std::string& element) {
  for (const auto& [e, v] : items) {
    if (e == element) return v;
  }
  return nullptr;
}

void collect(const FieldType& type, const json& value, FieldPath& path, FieldSet& out) {
  if (value.is_object() && is_object_type(type)) {
    for (const auto& [key, child] : value.items()) {
      const auto sub = child_of(type, key);
      path.push_back(field_element(key));
      collect(*sub.type, child, path, out);
      if (child.is_null() || (child.is_object() && child.empty()) || !sub.declared) {
        out.insert(path);
      }
      path.pop_back();
    }
    return;
  }
  if (value.is_array()) {
    if (const auto items = items_of(type, &value)) {
      const auto item_type = item_of(type);
      for (const auto& [element, item] : *items) {
        path.push_back(element);
        collect(*item_type, *item, path, out);
        out.insert(path);
        path.pop_back();
      }
      return;
    }
  }
  if (!path.empty()) out.insert(path);
}

void compare_at(const FieldType& type, const json* before, const json* after, FieldPath& path,
                FieldChanges& out);

void compare_leaf(const json* before, const json* after, const FieldPath& path, FieldChanges& out) {
  if (path.empty()) return;
  if (before == nullptr) {
    out.added.insert(path);
  } else if (after == nullptr) {
    out.removed.insert(path);
  } else if (*before != *after) {
    out.modified.insert(path);
  }
}

bool empty_or_absent(const json* value) { return value == nullptr || value->empty(); }

// Returns false when the values are not two objects (or one object and nothing).
bool compare_objects(const FieldType& type, const json* before, const json* after, FieldPath& path,
                     FieldChanges& out) {
  const bool objects = (before == nullptr || before->is_object()) &&
                       (after == nullptr || after->is_object()) && is_object_type(type);
  if (!objects || (empty_or_absent(before) && empty_or_absent(after))) return false;
  const auto visit = [&](const std::string& key) {
    const auto* b = before != nullptr && before->contains(key) ? &(*before)[key] : nullptr;
    const auto* a = after != nullptr && after->contains(key) ? &(*after)[key] : nullptr;
    path.push_back(field_element(key));
    compare_at(*child_of(type, key).type, b, a, path, out);
    path.pop_back();
  };
  if (before != nullptr) {
    for (const auto& [key, v] : before->items()) visit(key);
  }
  if (after != nullptr) {
    for (const auto& [key, v] : after->items()) {
      if (before == nullptr || !before->contains(key)) visit(key);
    }
  }
  return true;
}

bool compare_lists(const FieldType& type, const json* before, const json* after, FieldPath& path,
                   FieldChanges& out) {
  if (empty_or_absent(before) && empty_or_absent(after)) return false;
  const auto b_items = items_of(type, before);
  const auto a_items = items_of(type, after);
  if (!b_items || !a_items) return false;
  const auto item_type = item_of(type);
  for (const auto& [element, item] : *b_items) {
    path.push_back(element);
    compare_at(*item_type, item, find_item(*a_items, element), path, out);
    path.pop_back();
  }
  for (const auto& [element, item] : *a_items) {
    if (find_item(*b_items, element) != nullptr) continue;
    path.push_back(element);
    compare_at(*item_type, nullptr, item, path, out);
    path.pop_back();
  }
  return true;
}

void compare_at(const FieldType& type, const json* before, const json* after, FieldPath& path,
                FieldChanges& out) {
  const bool descended = compare_objects(type, before, after, path, out) ||
                         compare_lists(type, before, after, path, out);
  if (!descended) {
    compare_leaf(before, after, path, out);
    return;
  }
  // A container that appears or goes is itself added or removed (a built-in struct field, or a
  // list a built-in kind always serialises, is always there, so it never is).
  if (path.empty() || (type.implicit && path.back().rfind("f:", 0) == 0)) return;
  if (before == nullptr) out.added.insert(path);
  if (after == nullptr) out.removed.insert(path);
}

// Removes the field at path[at..] below `value` (nothing when it is not there).
void erase_path(const FieldType& type, json& value, const FieldPath& path, std::size_t at) {
  const auto& element = path[at];
  const bool last = at + 1 == path.size();
  if (element.rfind("f:", 0) == 0) {
    const auto name = element.substr(2);
    if (!value.is_object() || !value.contains(name)) return;
    if (last) {
      value.erase(name);
    } else {
      erase_path(*child_of(type, name).type, value[name], path, at + 1);
    }
    return;
  }
  if (!value.is_array()) return;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto item = element.rfind("i:", 0) == 0
                          ? std::optional<std::string>("i:" + std::to_string(i))
                          : item_element(type, value[i]);
    if (!item || *item != element) continue;
    if (last) {
      value.erase(i);
    } else {
      erase_path(*item_of(type), value[i], path, at + 1);
    }
    return;
  }
}

}  // namespace

FieldSet fields_of(const FieldType& type, const json& value) {
  FieldSet out;
  FieldPath path;
  collect(type, value, path, out);
  return out;
}

FieldChanges compare_fields(const FieldType& type, const json& before, const json& after) {
  FieldChanges out;
  FieldPath path;
  compare_at(type, &before, &after, path, out);
  return out;
}

json merge_applied(const FieldType& type, const json& live, const json& config) {
  if (live.is_object() && config.is_object() && is_object_type(type)) {
    json out = live;
    for (const auto& [key, value] : config.items()) {
      const auto it = live.find(key);
      out[key] = it == live.end() ? value : merge_applied(*child_of(type, key).type, *it, value);
    }
    return out;
  }
  if (live.is_array() && config.is_array()) {
    const auto live_items = items_of(type, &live);
    const auto config_items = items_of(type, &config);
    if (live_items && config_items) {
      json out = live;
      const auto item_type = item_of(type);
      for (const auto& [element, item] : *config_items) {
        bool merged = false;
        for (auto& existing : out) {
          if (item_element(type, existing) == element) {
            existing = merge_applied(*item_type, existing, *item);
            merged = true;
            break;
          }
        }
        if (!merged) out.push_back(*item);
      }
      return out;
    }
  }
  return config;
}

void remove_fields(const FieldType& type, json& value, const FieldSet& paths,
                   const FieldSet& keep) {
  // Parents come first: a removed item takes its fields along (an item is found by its key
  // fields, so they must still be there when it is removed).
  const FieldPath* removed = nullptr;
  for (const auto& path : paths) {
    if (path.empty() || keep.count(path) != 0 || has_descendant(keep, path)) continue;
    if (removed != nullptr && path.size() > removed->size() &&
        std::equal(removed->begin(), removed->end(), path.begin())) {
      continue;
    }
    erase_path(type, value, path, 0);
    removed = &path;
  }
}

}  // namespace kopiur::localkube::detail
