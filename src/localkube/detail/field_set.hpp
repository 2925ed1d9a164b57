// Sets of field paths, as server-side apply records who owns what: a path is a list of elements
// in FieldsV1's spelling ("f:spec", "k:{\"name\":\"c\"}" for an associative list's item,
// "v:\"x\"" for a set's item, "i:0" for an index), and a set is written as the FieldsV1 tree
// (`{"f:spec":{"f:x":{}}}`, "." marking a node that is itself a member, as in
// `{"f:data":{".":{},"f:k":{}}}`).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

namespace kopiur::localkube::detail {

using FieldPath = std::vector<std::string>;
using FieldSet = std::set<FieldPath>;

// The FieldsV1 tree of a set.
nlohmann::json to_fields_v1(const FieldSet& set);
// A set from its FieldsV1 tree; members of a malformed tree that are not objects are ignored.
FieldSet from_fields_v1(const nlohmann::json& tree);

// The path as conflicts name it: `.spec.x`, `.spec.containers[name="c"].image`, `[="x"]`, `[0]`.
std::string path_text(const FieldPath& path);

// Elements of paths.
std::string field_element(const std::string& name);         // "f:<name>"
std::string key_element(const nlohmann::json& key_fields);  // "k:{...}", keys sorted
std::string value_element(const nlohmann::json& value);     // "v:<json>"

FieldSet set_union(const FieldSet& a, const FieldSet& b);
FieldSet set_difference(const FieldSet& a, const FieldSet& b);
FieldSet set_intersection(const FieldSet& a, const FieldSet& b);
// Whether the set holds a path that starts with `prefix` and is longer than it.
bool has_descendant(const FieldSet& set, const FieldPath& prefix);
// The paths of `set` that are not `prefix` or below it.
FieldSet without_subtree(const FieldSet& set, const FieldPath& prefix);
// The paths of `set` that are `prefix` or below it.
FieldSet only_subtree(const FieldSet& set, const FieldPath& prefix);

}  // namespace kopiur::localkube::detail
