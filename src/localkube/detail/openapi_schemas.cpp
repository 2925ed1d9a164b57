#include "localkube/detail/openapi_schemas.hpp"

#include <map>
#include <utility>

#include "localkube/detail/field_validation.hpp"

namespace kopiur::localkube::detail {
namespace {

json typed(const char* type, const std::string& description) {
  return {{"type", type}, {"description", description}};
}

json string_map(const std::string& description, bool bytes = false) {
  json value = {{"type", "string"}, {"default", ""}};
  if (bytes) value["format"] = "byte";
  return {{"type", "object"}, {"additionalProperties", value}, {"description", description}};
}

json string_list(const std::string& description) {
  return {{"type", "array"},
          {"items", {{"type", "string"}, {"default", ""}}},
          {"description", description}};
}

json object_list(json properties, const std::string& description) {
  return {{"type", "array"},
          {"items", {{"type", "object"}, {"properties", std::move(properties)}}},
          {"description", description}};
}

const char* const kImmutable =
    "When true, the data can no longer be changed: only the object's metadata can be, and the "
    "object can be deleted and created again.";

// What the four kinds the local server describes in full add to apiVersion, kind and metadata.
json described_fields(const std::string& kind) {
  if (kind == "ConfigMap") {
    return {
        {"data", string_map("Configuration data: UTF-8 values under keys of alphanumerics, '-', "
                            "'_' or '.'. A key may not also be in binaryData.")},
        {"binaryData",
         string_map("Binary configuration data, base64 in JSON, under keys of alphanumerics, "
                    "'-', '_' or '.'. A key may not also be in data.",
                    /*bytes=*/true)},
        {"immutable", typed("boolean", kImmutable)}};
  }
  if (kind == "Secret") {
    return {{"data", string_map("The secret's data, base64 in JSON, under keys of "
                                "alphanumerics, '-', '_' or '.'.",
                                /*bytes=*/true)},
            {"stringData", string_map("Plain-text values written into data on the way in (they "
                                      "win over data's keys of the same name); never read back.")},
            {"type", typed("string",
                           "How the data is meant to be used, e.g. Opaque (the default), "
                           "kubernetes.io/tls or kubernetes.io/dockerconfigjson.")},
            {"immutable", typed("boolean", kImmutable)}};
  }
  if (kind == "Namespace") {
    return {{"spec",
             {{"type", "object"},
              {"description", "What the namespace should be."},
              {"properties",
               {{"finalizers", string_list("Finalizers that must be cleared before the "
                                           "namespace is removed from storage.")}}}}},
            {"status",
             {{"type", "object"},
              {"description", "What the namespace is."},
              {"properties",
               {{"phase",
                 {{"type", "string"},
                  {"enum", {"Active", "Terminating"}},
                  {"description", "Active, or Terminating while it is being deleted."}}},
                {"conditions", object_list({{"type", {{"type", "string"}}},
                                            {"status", {{"type", "string"}}},
                                            {"reason", {{"type", "string"}}},
                                            {"message", {{"type", "string"}}}},
                                           "The namespace's latest observations.")}}}}}};
  }
  if (kind == "ServiceAccount") {
    return {{"secrets", object_list({{"name", {{"type", "string"}}},
                                     {"namespace", {{"type", "string"}}},
                                     {"kind", {{"type", "string"}}}},
                                    "Secrets pods running as this account may use (legacy).")},
            {"imagePullSecrets", object_list({{"name", {{"type", "string"}}}},
                                             "Secrets, in the same namespace, used to pull the "
                                             "images of pods running as this account.")},
            {"automountServiceAccountToken",
             typed("boolean",
                   "Whether pods running as this account get its API token mounted "
                   "unless they say otherwise.")}};
  }
  return json::object();
}

json meta_string(const std::string& description) { return typed("string", description); }

}  // namespace

json schema_ref(const std::string& name, const std::string& description) {
  return {{"allOf", {{{"$ref", "#/components/schemas/" + name}}}},
          {"default", json::object()},
          {"description", description}};
}

json object_meta_schema() {
  const json time = {{"type", "string"}, {"format", "date-time"}};
  json props = {
      {"name", meta_string("Unique within a namespace (or the cluster for cluster-scoped kinds); "
                           "cannot be changed once set.")},
      {"generateName", meta_string("A prefix the server completes to a unique name when name is "
                                   "empty.")},
      {"namespace", meta_string("The namespace the object lives in; empty for cluster-scoped "
                                "kinds.")},
      {"uid", meta_string("Set by the server: unique across time for this object.")},
      {"resourceVersion",
       meta_string("Set by the server: an opaque version for optimistic concurrency and "
                   "watches. Clients pass it back unchanged.")},
      {"generation",
       {{"type", "integer"},
        {"format", "int64"},
        {"description",
         "Set by the server: a sequence number of the desired "
         "state, bumped when it changes."}}},
      {"creationTimestamp", time},
      {"deletionTimestamp", time},
      {"deletionGracePeriodSeconds",
       {{"type", "integer"},
        {"format", "int64"},
        {"description", "Seconds the object has to terminate after deletionTimestamp is set."}}},
      {"labels", string_map("Keys and values for selecting and grouping objects.")},
      {"annotations", string_map("Keys and values for tools and people; not used for "
                                 "selection.")},
      {"ownerReferences",
       {{"type", "array"},
        {"items", schema_ref(kOwnerReferenceSchema, "")},
        {"description",
         "Objects this one depends on: it is garbage-collected once all of them "
         "are gone."}}},
      {"finalizers", string_list("Entries that must be removed before the object is removed "
                                 "from storage after a delete.")},
      {"managedFields",
       {{"type", "array"},
        {"items", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}},
        {"description", "Which field manager owns which fields (server-side apply)."}}}};
  props["creationTimestamp"]["description"] = "Set by the server: when the object was created.";
  props["deletionTimestamp"]["description"] =
      "Set by the server when the object is being deleted; it is removed once its finalizers "
      "are empty.";
  return {{"type", "object"},
          {"description",
           "Metadata every persisted object has, including the ones users "
           "create: its name, namespace, labels, annotations and owners."},
          {"properties", std::move(props)}};
}

json owner_reference_schema() {
  return {
      {"type", "object"},
      {"description", "An object that owns this one, in the same namespace (or cluster-scoped)."},
      {"required", {"apiVersion", "kind", "name", "uid"}},
      {"properties",
       {{"apiVersion", meta_string("API version of the owner.")},
        {"kind", meta_string("Kind of the owner.")},
        {"name", meta_string("Name of the owner.")},
        {"uid", meta_string("UID of the owner.")},
        {"controller", typed("boolean", "Whether the owner is the managing controller.")},
        {"blockOwnerDeletion", typed("boolean",
                                     "Whether a foreground deletion of the owner waits for this "
                                     "object.")}}}};
}

json type_and_object_meta(const std::string& kind) {
  return {{"apiVersion", meta_string("The versioned schema of this representation of an object, "
                                     "e.g. v1 or kopiur.home-operations.com/v1alpha1.")},
          {"kind",
           meta_string("The REST resource this object represents, in CamelCase (" + kind + ").")},
          {"metadata", schema_ref(kObjectMetaSchema, "Standard object's metadata.")}};
}

json builtin_kind_schema(const ResourceType& rt) {
  json props = type_and_object_meta(rt.kind);
  auto described = described_fields(rt.kind);
  std::string description = rt.kind + ", served by the local API server.";
  if (rt.group.empty() && !described.empty()) {
    props.update(described);
  } else if (const auto* top = builtin_top_fields(rt)) {
    // Named so that `kubectl explain` lists them; their insides are not described here.
    for (const auto& field : *top) {
      props[field] = {{"type", "object"},
                      {"x-kubernetes-preserve-unknown-fields", true},
                      {"description",
                       "Not described by the local API server: see the "
                       "Kubernetes API reference for " +
                           rt.kind + "." + field + "."}};
    }
    description += " Only its top-level fields are listed here.";
  }
  return {{"type", "object"}, {"description", description}, {"properties", std::move(props)}};
}

}  // namespace kopiur::localkube::detail
