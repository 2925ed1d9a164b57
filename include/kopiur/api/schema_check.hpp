// File: kopiur/api/schema_check.hpp
//
// check_schema(): validates a JSON value against a structural OpenAPI v3 schema the way a real
// Kubernetes API server validates a custom resource, for the subset this project generates:
// type, nullable, enum, required, minimum, minItems, format date-time, properties,
// additionalProperties and items.
// As on a real server, an explicit null in a field that is not nullable has been pruned before
// validation (so it only matters when the field is required), while a nullable null still meets
// `enum`; a null list item is not pruned and fails the item's type. Errors use the server's
// wording, e.g.
//   spec.mode: Unsupported value: "Sometimes": supported values: "ReadWrite", "ReadOnly"
//   spec.backend: Required value
// x-kubernetes-validations rules are not interpreted here: every rule this project generates
// comes from a kExactlyOne group (codec.hpp), which decode() enforces with the same message.
//
// Thread-safety: stateless. Cost: one pass over the value. Failure: never throws on bad input.
#pragma once

#include <string>

#include "kopiur/api/codec.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::api {

FieldErrors check_schema(const nlohmann::json& value, const nlohmann::json& schema,
                         const std::string& path = {});

}  // namespace kopiur::api
