// The schemas the local API server publishes beside the CRDs' own (openapi.hpp): ObjectMeta and
// OwnerReference, which every kind's `metadata` refers to, and the built-in kinds it serves.
// ConfigMap, Secret, Namespace and ServiceAccount are described field by field; the other
// built-in kinds by their top-level fields only (what `kubectl explain pod.spec` would show of a
// real server is not here).
#pragma once

#include <string>

#include "localkube/detail/api.hpp"

namespace kopiur::localkube::detail {

// "#/components/schemas/<name>" wrapped the way kube-apiserver writes a field that refers to
// another schema: {"allOf": [{"$ref": ...}], "description": ...}.
json schema_ref(const std::string& name, const std::string& description);

inline constexpr const char* kObjectMetaSchema = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
inline constexpr const char* kOwnerReferenceSchema =
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference";

json object_meta_schema();
json owner_reference_schema();

// apiVersion, kind and metadata, as every kind's schema starts.
json type_and_object_meta(const std::string& kind);

// A built-in kind's schema (without x-kubernetes-group-version-kind).
json builtin_kind_schema(const ResourceType& rt);

}  // namespace kopiur::localkube::detail
