// fieldValidation, as a real API server applies it to every create, update and patch: fields the
// type does not declare, and fields written twice in a JSON body, are an error (Strict: 400 `<Kind>
// in version "<v>" cannot be handled as a <Kind>: strict decoding error: unknown field
// "spec.foo"`), or dropped with a `Warning: 299 - "unknown field \"spec.foo\""` header (Warn, the
// default), or dropped silently (Ignore). What is declared: ObjectMeta's fields for every kind; a
// CRD's structural schema (properties, items, additionalProperties,
// x-kubernetes-preserve-unknown-fields) for its custom resources; the top-level fields of each
// built-in kind (deeper built-in fields are not checked: there are no built-in schemas here).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "localkube/detail/api.hpp"

namespace kopiur::localkube::detail {

enum class FieldValidation { kIgnore, kWarn, kStrict };

// What check_fields() needs, gathered before a patch runs under the store's lock: the mode, the
// served type's name for messages, and what it declares.
struct FieldRules {
  FieldValidation mode = FieldValidation::kWarn;
  std::string kind;
  std::string version;
  bool custom = false;
  json schema;                                    // a CRD's openAPIV3Schema (null: none)
  const std::vector<std::string>* top = nullptr;  // a built-in kind's top-level fields
  // From the request body's JSON text: each member's path in the order it was written (the
  // order errors are listed in), and the members written twice (the last one wins).
  std::map<std::string, std::size_t> written_order;
  std::vector<std::string> duplicates;
};

// The top-level fields of a built-in kind besides apiVersion, kind and metadata (null: not a
// built-in kind).
const std::vector<std::string>* builtin_top_fields(const ResourceType& rt);
// The openAPIV3Schema of a custom resource's version, from its stored CRD (null: none).
json crd_schema(const LocalStore& store, const ResourceType& rt);

// field_rules(): the request's fieldValidation (Warn when absent; 400 on an unknown value) and
// what t.served declares.
Result<FieldRules> field_rules(const LocalStore& store, const Target& t, const ApiRequest& req);

// check_fields(): removes from `object` (in the form t.served shows it) the fields its type does
// not declare. Strict: an error naming them all instead; Warn: one warning per field appended to
// `warnings` (sent as Warning headers by reply()).
Status check_fields(const FieldRules& rules, json& object, std::vector<std::string>& warnings);

}  // namespace kopiur::localkube::detail
