// The API server's object-metadata validation (apimachinery's ValidateObjectMeta) and its 422
// answers: names per resource (RFC 1123 subdomain or label, DNS-1035 label for Services, path
// segment for RBAC), label keys and values, annotation keys and their 256 KiB total, generateName,
// no new finalizers on an object being deleted. Errors are worded as a real server words them and
// carry details (name, group, kind, one cause per field), so kubectl prints
// `The ConfigMap "BadName" is invalid: metadata.name: Invalid value: "BadName": ...`.
#pragma once

#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

#include "localkube/detail/kube_types.hpp"

namespace kopiur::localkube::detail {

struct ResourceType;

// invalid_error(): a 422 Invalid for `kind` ("ConfigMap", or "Job.batch" with its group) named
// `name`, from problems written "<field>: <body>" (e.g. `spec.x: Required value`). The cause
// types (FieldValueInvalid, FieldValueRequired, ...) follow from each body's first words.
Error invalid_error(const std::string& qualified_kind, const std::string& name,
                    const std::vector<std::string>& problems);

// validate_metadata(): the checks above for `object` of type `rt`; `old` is the stored object on
// an update (names are then immutable and not checked again), null on create.
Status validate_metadata(const ResourceType& rt, const nlohmann::json& object,
                         const nlohmann::json* old);

// The message of each name rule, for a name that breaks it ("" when it holds).
std::vector<std::string> dns1123_subdomain_errors(const std::string& value);
std::vector<std::string> qualified_name_errors(const std::string& value);
std::vector<std::string> label_value_errors(const std::string& value);

}  // namespace kopiur::localkube::detail
