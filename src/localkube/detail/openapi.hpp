// OpenAPI v3 as kube-apiserver publishes it, for what kubectl reads from it: the index
// (/openapi/v3: one serverRelativeURL per group-version, with a hash of its document) and one
// document per group-version (/openapi/v3/api/v1, /openapi/v3/apis/<group>/<version>). A
// document has a path per kind whose PATCH operation carries the kind's
// x-kubernetes-group-version-kind and the fieldValidation parameter (so kubectl leaves field
// validation to the server), and components.schemas keyed as a real server keys them
// (io.k8s.api.core.v1.ConfigMap, com.home-operations.kopiur.v1alpha1.Backup) with the CRDs'
// structural schemas, so `kubectl explain` works. No OpenAPI v2: kubectl 1.32 reads v3.
#pragma once

#include <string>
#include <vector>

#include "localkube/detail/api.hpp"

namespace kopiur::localkube::detail {

// GET /openapi/v3[/<group-version path>]; `seg` are the path's segments ("openapi", "v3", ...).
http::Response openapi_v3(const LocalStore& store, const std::vector<std::string>& seg);

// The name components.schemas uses for a kind: the group's labels reversed (builtins under
// io.k8s.api), then version and kind.
std::string openapi_schema_name(const ResourceType& rt);

}  // namespace kopiur::localkube::detail
