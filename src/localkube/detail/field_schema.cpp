#include "localkube/detail/field_schema.hpp"

#include <utility>

namespace kopiur::localkube::detail {

using nlohmann::json;

namespace {

FieldTypeRef make(FieldType type) { return std::make_shared<const FieldType>(std::move(type)); }

FieldTypeRef scalar() {
  static const auto kScalar = make({FieldShape::kScalar, {}, nullptr, {}, false, false});
  return kScalar;
}

FieldTypeRef deduced() {
  static const auto kDeduced = make({FieldShape::kDeduced, {}, nullptr, {}, false, false});
  return kDeduced;
}

FieldTypeRef atomic() {
  static const auto kAtomic = make({FieldShape::kAtomic, {}, nullptr, {}, false, false});
  return kAtomic;
}

// A built-in struct: the fields named here, every other field loose.
FieldTypeRef builtin_struct(std::map<std::string, FieldTypeRef> fields = {}) {
  return make({FieldShape::kStruct, std::move(fields), nullptr, {}, true, true});
}

FieldTypeRef string_map_type() { return make({FieldShape::kMap, {}, scalar(), {}, false, false}); }

// `implicit`: the Go type has no omitempty, so the list is there (null) in every object.
FieldTypeRef keyed(std::vector<std::string> keys, FieldTypeRef item, bool implicit = false,
                   std::map<std::string, json> key_defaults = {}) {
  return make({FieldShape::kAssociative,
               {},
               std::move(item),
               std::move(keys),
               false,
               implicit,
               std::move(key_defaults)});
}

FieldTypeRef port_list(const char* number) {
  return keyed({number, "protocol"}, builtin_struct(), false, {{"protocol", "TCP"}});
}

FieldTypeRef string_set() { return make({FieldShape::kSet, {}, scalar(), {}, false, false}); }

FieldTypeRef object_meta() {
  static const auto kMeta = builtin_struct({{"labels", string_map_type()},
                                            {"annotations", string_map_type()},
                                            {"finalizers", string_set()},
                                            {"ownerReferences", keyed({"uid"}, builtin_struct())}});
  return kMeta;
}

FieldTypeRef conditions() { return keyed({"type"}, builtin_struct()); }

FieldTypeRef pod_spec() {
  static const auto kPodSpec = [] {
    const auto container = builtin_struct(
        {{"env", keyed({"name"}, builtin_struct())},
         {"ports", port_list("containerPort")},
         {"volumeMounts", keyed({"mountPath"}, builtin_struct())},
         {"resources",
          builtin_struct({{"limits", string_map_type()}, {"requests", string_map_type()}})}});
    return builtin_struct({{"containers", keyed({"name"}, container, /*implicit=*/true)},
                           {"initContainers", keyed({"name"}, container)},
                           {"volumes", keyed({"name"}, builtin_struct())},
                           {"imagePullSecrets", keyed({"name"}, builtin_struct())},
                           {"nodeSelector", string_map_type()}});
  }();
  return kPodSpec;
}

FieldTypeRef pod_template() {
  return builtin_struct({{"metadata", object_meta()}, {"spec", pod_spec()}});
}

// LabelSelector is an atomic struct (+structType=atomic): owned and replaced as a whole.
FieldTypeRef label_selector() { return atomic(); }

// The parts of each served built-in kind that are not loose structs and atomic lists.
std::map<std::string, FieldTypeRef> builtin_fields(const ResourceType& rt) {
  const auto kind = rt.group + "/" + rt.kind;
  if (kind == "/ConfigMap") return {{"data", string_map_type()}, {"binaryData", string_map_type()}};
  if (kind == "/Secret") return {{"data", string_map_type()}, {"stringData", string_map_type()}};
  if (kind == "/ServiceAccount") {
    return {{"secrets", keyed({"name"}, builtin_struct())},
            {"imagePullSecrets", keyed({"name"}, builtin_struct())}};
  }
  if (kind == "/Pod") {
    return {{"spec", pod_spec()}, {"status", builtin_struct({{"conditions", conditions()}})}};
  }
  if (kind == "batch/Job") {
    return {
        {"spec", builtin_struct({{"template", pod_template()}, {"selector", label_selector()}})},
        {"status", builtin_struct({{"conditions", conditions()}})}};
  }
  if (kind == "apps/Deployment") {
    return {
        {"spec", builtin_struct({{"template", pod_template()}, {"selector", label_selector()}})},
        {"status", builtin_struct({{"conditions", conditions()}})}};
  }
  if (kind == "/Service") {
    return {
        {"spec", builtin_struct({{"ports", port_list("port")}, {"selector", string_map_type()}})}};
  }
  if (kind == "/PersistentVolumeClaim") {
    return {{"spec",
             builtin_struct({{"resources", builtin_struct({{"requests", string_map_type()}})}})},
            {"status",
             builtin_struct({{"capacity", string_map_type()}, {"conditions", conditions()}})}};
  }
  if (kind == "/Namespace") return {{"status", builtin_struct({{"conditions", conditions()}})}};
  if (kind == "apiextensions.k8s.io/CustomResourceDefinition") {
    return {{"spec", builtin_struct({{"versions", keyed({"name"}, builtin_struct())}})}};
  }
  return {};
}

FieldTypeRef from_openapi(const json& schema) {
  if (!schema.is_object()) return deduced();
  const auto type = schema.value("type", "");
  if (type == "array") {
    const auto list_type = schema.value("x-kubernetes-list-type", "atomic");
    const auto items = from_openapi(schema.value("items", json::object()));
    if (list_type == "set") return make({FieldShape::kSet, {}, items, {}, false, false});
    if (list_type == "map") {
      const auto keys = schema.value("x-kubernetes-list-map-keys", std::vector<std::string>{});
      std::map<std::string, json> defaults;
      const auto item_props =
          schema.value("items", json::object()).value("properties", json::object());
      for (const auto& key : keys) {
        if (const auto prop = item_props.find(key);
            prop != item_props.end() && prop->is_object() && prop->contains("default")) {
          defaults[key] = (*prop)["default"];
        }
      }
      return keyed(keys, items, false, std::move(defaults));
    }
    return atomic();
  }
  if (type == "object" || schema.contains("properties")) {
    if (schema.value("x-kubernetes-map-type", "") == "atomic") return atomic();
    if (const auto props = schema.find("properties"); props != schema.end() && props->is_object()) {
      FieldType out{FieldShape::kStruct, {}, nullptr, {}, false, false};
      for (const auto& [name, sub] : props->items()) out.fields[name] = from_openapi(sub);
      if (schema.value("x-kubernetes-preserve-unknown-fields", false)) out.element = deduced();
      return make(std::move(out));
    }
    if (const auto extra = schema.find("additionalProperties");
        extra != schema.end() && extra->is_object()) {
      return make({FieldShape::kMap, {}, from_openapi(*extra), {}, false, false});
    }
    return deduced();
  }
  if (type.empty() && schema.value("x-kubernetes-preserve-unknown-fields", false)) return deduced();
  return scalar();
}

}  // namespace

ChildType child_of(const FieldType& type, const std::string& key) {
  switch (type.shape) {
    case FieldShape::kStruct: {
      if (const auto it = type.fields.find(key); it != type.fields.end()) {
        return {it->second, true};
      }
      if (type.loose) return {builtin_struct(), true};
      return {type.element ? type.element : deduced(), false};
    }
    case FieldShape::kMap:
      return {type.element ? type.element : deduced(), false};
    default:
      return {deduced(), false};
  }
}

FieldTypeRef item_of(const FieldType& type) { return type.element ? type.element : deduced(); }

FieldTypeRef schema_for(const ResourceType& rt, const json& crd_schema) {
  auto fields =
      rt.custom && crd_schema.is_object() ? from_openapi(crd_schema)->fields : builtin_fields(rt);
  fields["metadata"] = object_meta();
  fields["apiVersion"] = scalar();
  fields["kind"] = scalar();
  if (rt.custom) {
    return make({FieldShape::kStruct, std::move(fields), deduced(), {}, false, false});
  }
  return builtin_struct(std::move(fields));
}

}  // namespace kopiur::localkube::detail
