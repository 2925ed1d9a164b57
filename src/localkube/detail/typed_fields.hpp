// Field sets of objects, read through their field types (field_schema.hpp), as server-side apply
// computes them: the set an applied configuration names, what changed between two versions of an
// object, an applied configuration merged into the live object, and the removal of the fields a
// manager gave up.
#pragma once

#include "kopiur/support/json.hpp"

#include "localkube/detail/field_schema.hpp"
#include "localkube/detail/field_set.hpp"

namespace kopiur::localkube::detail {

// The fields `value` sets: every scalar, atomic value, list item and map item (struct fields
// are named only through what they hold, or when null or empty).
FieldSet fields_of(const FieldType& type, const nlohmann::json& value);

struct FieldChanges {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;
  [[nodiscard]] bool empty() const { return added.empty() && modified.empty() && removed.empty(); }
};
// What changed from `before` to `after` (objects and lists compared item by item).
FieldChanges compare_fields(const FieldType& type, const nlohmann::json& before,
                            const nlohmann::json& after);

// `config` merged into `live`: objects key by key, associative lists and sets item by item,
// everything else replaced.
nlohmann::json merge_applied(const FieldType& type, const nlohmann::json& live,
                             const nlohmann::json& config);

// Removes each path of `paths` from `value`, except those with a path of `keep` below them.
void remove_fields(const FieldType& type, nlohmann::json& value, const FieldSet& paths,
                   const FieldSet& keep);

}  // namespace kopiur::localkube::detail
