// The shape of a kind's fields as server-side apply sees them: which objects are structs (their
// keys are declared fields) and which are maps (every key is an item that can be owned), which
// lists are atomic, sets (`v:` items) or associative lists keyed by some of their items' fields
// (`k:` items). Custom resources take it from their CRD's structural schema
// (x-kubernetes-list-type, x-kubernetes-list-map-keys, x-kubernetes-map-type,
// additionalProperties, x-kubernetes-preserve-unknown-fields); the built-in kinds from a table of
// the maps and merge-keyed lists Kubernetes declares for them (other objects are structs, other
// lists atomic).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

#include "localkube/detail/local_store.hpp"

namespace kopiur::localkube::detail {

struct FieldType;
using FieldTypeRef = std::shared_ptr<const FieldType>;

enum class FieldShape {
  kScalar,
  kStruct,       // declared fields; `loose`: undeclared ones are fields of a loose struct too
  kMap,          // every key an item of type `element`
  kDeduced,      // no schema: objects are maps of deduced values, lists atomic
  kAtomic,       // replaced and owned as a whole
  kSet,          // a list of scalars, items owned one by one
  kAssociative,  // a list of objects keyed by `keys`
};

struct FieldType {
  FieldShape shape = FieldShape::kDeduced;
  std::map<std::string, FieldTypeRef> fields;
  FieldTypeRef element;
  std::vector<std::string> keys;
  bool loose = false;
  // A built-in struct field (or a list without omitempty): present (if empty) in every object of
  // its kind, so a write never "adds" it and an Update entry does not own it itself.
  bool implicit = false;
  // kAssociative: the value of a key field an item leaves out (a port's protocol is TCP).
  std::map<std::string, nlohmann::json> key_defaults = {};
};

// The type of the child `key` of an object of type `type`, and whether the key is a declared
// field (declared fields are not owned as items themselves).
struct ChildType {
  FieldTypeRef type;
  bool declared = false;
};
ChildType child_of(const FieldType& type, const std::string& key);
// The type of a list's items.
FieldTypeRef item_of(const FieldType& type);

// The type of objects of `rt`; `crd_schema` is a custom resource's openAPIV3Schema.
FieldTypeRef schema_for(const ResourceType& rt, const nlohmann::json& crd_schema);

}  // namespace kopiur::localkube::detail
