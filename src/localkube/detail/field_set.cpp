#include "localkube/detail/field_set.hpp"

#include <algorithm>
#include <iterator>

#include "localkube/detail/local_store.hpp"

namespace kopiur::localkube::detail {

using nlohmann::json;

namespace {

void insert_tree(json& node, const FieldPath& path) {
  json* at = &node;
  for (const auto& element : path) {
    if (!at->contains(element)) (*at)[element] = json::object();
    at = &(*at)[element];
  }
  (*at)["."] = json::object();
}

// A member without children is written `{}`, one with children keeps its "." entry.
void fold_leaves(json& node) {
  for (auto& [key, child] : node.items()) {
    if (key == ".") continue;
    if (child.size() == 1 && child.contains(".")) {
      child = json::object();
    } else {
      fold_leaves(child);
    }
  }
}

void read_tree(const json& node, FieldPath& path, FieldSet& out) {
  for (const auto& [key, child] : node.items()) {
    if (key == ".") {
      if (!path.empty()) out.insert(path);
      continue;
    }
    if (!child.is_object()) continue;
    path.push_back(key);
    if (child.empty()) out.insert(path);
    read_tree(child, path, out);
    path.pop_back();
  }
}

bool starts_with(const FieldPath& path, const FieldPath& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

}  // namespace

json to_fields_v1(const FieldSet& set) {
  json tree = json::object();
  for (const auto& path : set) {
    if (!path.empty()) insert_tree(tree, path);
  }
  fold_leaves(tree);
  return tree;
}

FieldSet from_fields_v1(const json& tree) {
  FieldSet out;
  if (!tree.is_object()) return out;
  FieldPath path;
  read_tree(tree, path, out);
  return out;
}

std::string path_text(const FieldPath& path) {
  std::string out;
  for (const auto& element : path) {
    const auto body = element.size() > 2 ? element.substr(2) : std::string();
    if (element.rfind("f:", 0) == 0) {
      out += "." + body;
    } else if (element.rfind("k:", 0) == 0) {
      const auto keys = json::parse(body, nullptr, false);
      std::string inner;
      if (keys.is_object()) {
        for (const auto& [name, value] : keys.items()) {
          inner += (inner.empty() ? "" : ",") + name + "=" + to_text(value);
        }
      }
      out += "[" + inner + "]";
    } else if (element.rfind("v:", 0) == 0) {
      out += "[=" + body + "]";
    } else {
      out += "[" + body + "]";
    }
  }
  return out;
}

std::string field_element(const std::string& name) { return "f:" + name; }

// nlohmann's objects keep their keys sorted, as FieldsV1 wants them.
std::string key_element(const json& key_fields) { return "k:" + to_text(key_fields); }

std::string value_element(const json& value) { return "v:" + to_text(value); }

FieldSet set_union(const FieldSet& a, const FieldSet& b) {
  FieldSet out = a;
  out.insert(b.begin(), b.end());
  return out;
}

FieldSet set_difference(const FieldSet& a, const FieldSet& b) {
  FieldSet out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

FieldSet set_intersection(const FieldSet& a, const FieldSet& b) {
  FieldSet out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

bool has_descendant(const FieldSet& set, const FieldPath& prefix) {
  for (auto it = set.upper_bound(prefix); it != set.end() && starts_with(*it, prefix); ++it) {
    if (it->size() > prefix.size()) return true;
  }
  return false;
}

FieldSet without_subtree(const FieldSet& set, const FieldPath& prefix) {
  FieldSet out;
  for (const auto& path : set) {
    if (!starts_with(path, prefix)) out.insert(path);
  }
  return out;
}

FieldSet only_subtree(const FieldSet& set, const FieldPath& prefix) {
  FieldSet out;
  for (auto it = set.lower_bound(prefix); it != set.end() && starts_with(*it, prefix); ++it) {
    out.insert(*it);
  }
  return out;
}

}  // namespace kopiur::localkube::detail
