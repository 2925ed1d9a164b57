#include "localkube/detail/openapi.hpp"

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <utility>

#include "localkube/detail/field_validation.hpp"
#include "localkube/detail/openapi_schemas.hpp"

namespace kopiur::localkube::detail {
namespace {

// "api/v1" or "apis/<group>/<version>": how the index names a group-version.
std::string openapi_gv_path(const ResourceType& rt) {
  return rt.group.empty() ? "api/" + rt.version : "apis/" + rt.api_version();
}

json openapi_gvk(const ResourceType& rt) {
  return {{"group", rt.group}, {"version", rt.version}, {"kind", rt.kind}};
}

// A custom resource's schema: its CRD's structural schema for the version, with apiVersion, kind
// and metadata as a real server publishes them (metadata refers to ObjectMeta).
json custom_kind_schema(const LocalStore& store, const ResourceType& rt) {
  auto schema = crd_schema(store, rt);
  if (!schema.is_object()) {
    schema = {{"x-kubernetes-preserve-unknown-fields", true}};
  }
  auto& props = schema["properties"];
  if (!props.is_object()) props = json::object();
  props.update(type_and_object_meta(rt.kind));
  schema["type"] = "object";
  return schema;
}

// The PATCH operation kubectl looks for: the kind's group-version-kind (how `kubectl explain`
// finds the schema of a resource) and the fieldValidation parameter (why kubectl leaves field
// validation to the server). It has no requestBody on purpose: one offering
// application/strategic-merge-patch+json would make `kubectl apply` compute its patches for
// built-in kinds from the reduced schemas here instead of from its compiled-in types.
json patch_operation(const ResourceType& rt) {
  return {{"x-kubernetes-group-version-kind", openapi_gvk(rt)},
          {"parameters",
           {{{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
            {{"name", "fieldManager"}, {"in", "query"}, {"schema", {{"type", "string"}}}}}},
          {"responses", {{"200", {{"description", "OK"}}}}}};
}

std::optional<json> group_version_document(const LocalStore& store,
                                           const std::vector<ResourceType>& types,
                                           const std::string& gv) {
  json paths = json::object();
  json schemas = json::object();
  for (const auto& rt : types) {
    if (openapi_gv_path(rt) != gv) continue;
    const auto base = "/" + gv + (rt.namespaced ? "/namespaces/{namespace}/" : "/") + rt.plural;
    paths[base + "/{name}"] = {{"patch", patch_operation(rt)}};
    auto schema = rt.custom ? custom_kind_schema(store, rt) : builtin_kind_schema(rt);
    schema["x-kubernetes-group-version-kind"] = json::array({openapi_gvk(rt)});
    schemas[openapi_schema_name(rt)] = std::move(schema);
  }
  if (paths.empty()) return std::nullopt;
  schemas[kObjectMetaSchema] = object_meta_schema();
  schemas[kOwnerReferenceSchema] = owner_reference_schema();
  return json{{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0-kopiur-localkube"}}},
              {"paths", std::move(paths)},
              {"components", {{"schemas", std::move(schemas)}}}};
}

// FNV-1a of a document's text: the index's ?hash= changes exactly when the document does, so a
// client's cache of the old URL is never served for new content (a CRD created or changed).
std::string content_hash(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llX", static_cast<unsigned long long>(hash));
  return out;
}

json openapi_index(const LocalStore& store) {
  const auto types = store.resources();
  std::map<std::string, bool> gvs;
  for (const auto& rt : types) gvs[openapi_gv_path(rt)] = true;
  json paths = json::object();
  for (const auto& [gv, unused] : gvs) {
    const auto doc = group_version_document(store, types, gv);
    paths[gv] = {{"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + content_hash(doc->dump())}};
  }
  return {{"paths", std::move(paths)}};
}

}  // namespace

std::string openapi_schema_name(const ResourceType& rt) {
  if (rt.custom) {
    // kopiur.home-operations.com -> com.home-operations.kopiur
    std::string reversed;
    std::string rest = rt.group;
    while (!rest.empty()) {
      const auto dot = rest.rfind('.');
      const auto label = dot == std::string::npos ? rest : rest.substr(dot + 1);
      reversed += (reversed.empty() ? "" : ".") + label;
      rest = dot == std::string::npos ? "" : rest.substr(0, dot);
    }
    return reversed + "." + rt.version + "." + rt.kind;
  }
  if (rt.group == "apiextensions.k8s.io") {
    return "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions." + rt.version + "." + rt.kind;
  }
  const auto group =
      rt.group.empty() ? std::string("core") : rt.group.substr(0, rt.group.find('.'));
  return "io.k8s.api." + group + "." + rt.version + "." + rt.kind;
}

http::Response openapi_v3(const LocalStore& store, const std::vector<std::string>& seg) {
  if (seg.size() == 2) return json_response(200, openapi_index(store));
  std::string gv;
  for (std::size_t i = 2; i < seg.size(); ++i) gv += (i == 2 ? "" : "/") + seg[i];
  if (auto doc = group_version_document(store, store.resources(), gv)) {
    return json_response(200, *doc);
  }
  return error_response(api_err(404, "NotFound", "no OpenAPI document for " + gv));
}

}  // namespace kopiur::localkube::detail
