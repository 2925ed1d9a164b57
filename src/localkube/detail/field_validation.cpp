#include "localkube/detail/field_validation.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "localkube/detail/json_access.hpp"

namespace kopiur::localkube::detail {
namespace {

// metav1.ObjectMeta's fields.
const std::set<std::string>& object_meta_fields() {
  static const std::set<std::string> kFields = {"name",
                                                "generateName",
                                                "namespace",
                                                "selfLink",
                                                "uid",
                                                "resourceVersion",
                                                "generation",
                                                "creationTimestamp",
                                                "deletionTimestamp",
                                                "deletionGracePeriodSeconds",
                                                "labels",
                                                "annotations",
                                                "ownerReferences",
                                                "finalizers",
                                                "managedFields"};
  return kFields;
}

std::string child_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// Structural pruning of `value` against an OpenAPI v3 schema: unknown properties are removed
// (and their paths recorded) unless x-kubernetes-preserve-unknown-fields says to keep them.
void prune_by_schema(json& value, const json& schema, const std::string& path,
                     std::vector<std::string>& unknown) {
  if (!schema.is_object()) return;
  if (value.is_array()) {
    const auto items = schema.find("items");
    if (items == schema.end()) return;
    for (std::size_t i = 0; i < value.size(); ++i) {
      prune_by_schema(value[i], *items, path + "[" + std::to_string(i) + "]", unknown);
    }
    return;
  }
  if (!value.is_object()) return;
  const bool preserve = field::flag(schema, "x-kubernetes-preserve-unknown-fields");
  const auto props = schema.find("properties");
  const auto additional = schema.find("additionalProperties");
  const bool has_props = props != schema.end() && props->is_object();
  if (additional != schema.end() && additional->is_object()) {
    for (auto& [key, child] : value.items()) {
      prune_by_schema(child, *additional, child_path(path, key), unknown);
    }
    return;
  }
  if (!has_props && (preserve || additional != schema.end())) return;
  for (auto it = value.begin(); it != value.end();) {
    const auto declared = has_props ? props->find(it.key()) : props;
    if (has_props && declared != props->end()) {
      prune_by_schema(it.value(), *declared, child_path(path, it.key()), unknown);
      ++it;
    } else if (preserve) {
      ++it;
    } else {
      unknown.push_back(child_path(path, it.key()));
      it = value.erase(it);
    }
  }
}

bool declared_top_field(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string> unknown_fields(const FieldRules& rules, json& object) {
  std::vector<std::string> unknown;
  if (!object.is_object()) return unknown;
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    for (auto it = meta->begin(); it != meta->end();) {
      if (object_meta_fields().count(it.key()) != 0) {
        ++it;
      } else {
        unknown.push_back("metadata." + it.key());
        it = meta->erase(it);
      }
    }
  }
  const auto& schema = rules.schema;
  if (!schema.is_object() && rules.top == nullptr) return unknown;
  const json& props = field::map(schema, "properties");
  const bool preserve = field::flag(schema, "x-kubernetes-preserve-unknown-fields");
  for (auto it = object.begin(); it != object.end();) {
    const auto key = it.key();
    const bool known =
        key == "apiVersion" || key == "kind" || key == "metadata" ||
        (rules.top != nullptr ? declared_top_field(*rules.top, key) : props.contains(key));
    if (known) {
      const bool meta_part = key == "apiVersion" || key == "kind" || key == "metadata";
      if (rules.top == nullptr && !meta_part && props.contains(key)) {
        prune_by_schema(it.value(), props[key], key, unknown);
      }
      ++it;
    } else if (preserve) {
      ++it;
    } else {
      unknown.push_back(key);
      it = object.erase(it);
    }
  }
  return unknown;
}

// Records, from JSON text, each member's path in document order and the members written twice
// (nlohmann keeps only the last, as a real server does).
void scan_written_fields(const std::string& text, FieldRules& rules) {
  struct Frame {
    std::string path;
    bool array = false;
    std::size_t index = 0;
    std::string key;
    std::set<std::string> keys;
  };
  std::vector<Frame> stack;
  const auto child = [](const Frame& f) {
    if (f.array) return f.path + "[" + std::to_string(f.index) + "]";
    return f.path.empty() ? f.key : f.path + "." + f.key;
  };
  json::parser_callback_t walk = [&](int, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    if (event == E::object_start || event == E::array_start) {
      stack.push_back(Frame{
          stack.empty() ? std::string{} : child(stack.back()), event == E::array_start, 0, {}, {}});
    } else if (event == E::key && !stack.empty() && parsed.is_string()) {
      auto& frame = stack.back();
      frame.key = parsed.get<std::string>();
      const auto path = child(frame);
      if (!frame.keys.insert(frame.key).second) rules.duplicates.push_back(path);
      rules.written_order.emplace(path, rules.written_order.size());
    } else if (event == E::object_end || event == E::array_end) {
      if (!stack.empty()) stack.pop_back();
      if (!stack.empty() && stack.back().array) ++stack.back().index;
    } else if (event == E::value && !stack.empty() && stack.back().array) {
      ++stack.back().index;
    }
    return true;
  };
  const auto walked = json::parse(text, walk, /*allow_exceptions=*/false);
  static_cast<void>(walked);
}

}  // namespace

const std::vector<std::string>* builtin_top_fields(const ResourceType& rt) {
  static const std::map<std::string, std::vector<std::string>> kByKind = {
      {"/ConfigMap", {"data", "binaryData", "immutable"}},
      {"/Secret", {"data", "stringData", "type", "immutable"}},
      {"/ServiceAccount", {"secrets", "imagePullSecrets", "automountServiceAccountToken"}},
      {"/Namespace", {"spec", "status"}},
      {"/PersistentVolumeClaim", {"spec", "status"}},
      {"/Pod", {"spec", "status"}},
      {"/Service", {"spec", "status"}},
      {"/Event",
       {"involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count",
        "type", "eventTime", "series", "action", "related", "reportingComponent",
        "reportingInstance"}},
      {"events.k8s.io/Event",
       {"eventTime", "series", "reportingController", "reportingInstance", "action", "reason",
        "regarding", "related", "note", "type", "deprecatedSource", "deprecatedFirstTimestamp",
        "deprecatedLastTimestamp", "deprecatedCount"}},
      {"batch/Job", {"spec", "status"}},
      {"apps/Deployment", {"spec", "status"}},
      {"coordination.k8s.io/Lease", {"spec"}},
      {"rbac.authorization.k8s.io/ClusterRole", {"rules", "aggregationRule"}},
      {"rbac.authorization.k8s.io/Role", {"rules"}},
      {"rbac.authorization.k8s.io/ClusterRoleBinding", {"subjects", "roleRef"}},
      {"rbac.authorization.k8s.io/RoleBinding", {"subjects", "roleRef"}},
      {"admissionregistration.k8s.io/ValidatingWebhookConfiguration", {"webhooks"}},
      {"apiextensions.k8s.io/CustomResourceDefinition", {"spec", "status"}},
  };
  const auto it = kByKind.find(rt.group + "/" + rt.kind);
  return it == kByKind.end() ? nullptr : &it->second;
}

json crd_schema(const LocalStore& store, const ResourceType& rt) {
  const auto crds = store.find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  if (!crds) return nullptr;
  const auto crd = store.get(*crds, "", rt.plural + "." + rt.group);
  if (!crd.ok()) return nullptr;
  // A stored CRD was checked when written, but read it as untrusted all the same.
  for (const auto& v : field::list(field::map(*crd, "spec"), "versions")) {
    if (field::text(v, "name") != rt.version) continue;
    return field::get(field::map(v, "schema"), "openAPIV3Schema");
  }
  return nullptr;
}

Result<FieldRules> field_rules(const LocalStore& store, const Target& t, const ApiRequest& req) {
  FieldRules rules;
  const auto value = req.param("fieldValidation");
  if (value == "Strict") {
    rules.mode = FieldValidation::kStrict;
  } else if (value == "Ignore") {
    rules.mode = FieldValidation::kIgnore;
  } else if (!value.empty() && value != "Warn") {
    return api_err(400, "BadRequest",
                   "fieldValidation: Unsupported value: \"" + value +
                       "\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"");
  }
  if (const auto first = req.body().find_first_not_of(" \t\r\n");
      first != std::string::npos && req.body()[first] == '{') {
    scan_written_fields(req.body(), rules);
  }
  rules.kind = t.served.kind;
  rules.version = t.served.version;
  rules.custom = t.served.custom;
  if (t.served.custom) {
    rules.schema = crd_schema(store, t.served);
  } else {
    rules.top = builtin_top_fields(t.served);
  }
  return rules;
}

Status check_fields(const FieldRules& rules, json& object, std::vector<std::string>& warnings) {
  const auto unknown = unknown_fields(rules, object);
  if ((unknown.empty() && rules.duplicates.empty()) || rules.mode == FieldValidation::kIgnore) {
    return {};
  }
  // (position as written, path, problem); fields the body did not name sort last, by path.
  std::vector<std::tuple<std::size_t, std::string, std::string>> problems;
  const auto position = [&](const std::string& path) {
    const auto it = rules.written_order.find(path);
    return it == rules.written_order.end() ? rules.written_order.size() : it->second;
  };
  for (const auto& path : rules.duplicates) {
    problems.emplace_back(position(path), path, "duplicate field \"" + path + "\"");
  }
  for (const auto& path : unknown) {
    problems.emplace_back(position(path), path, "unknown field \"" + path + "\"");
  }
  std::sort(problems.begin(), problems.end());
  if (rules.mode == FieldValidation::kWarn) {
    for (const auto& p : problems) warnings.push_back(std::get<2>(p));
    return {};
  }
  std::string all;
  for (const auto& p : problems) all += (all.empty() ? "" : ", ") + std::get<2>(p);
  return api_err(400, "BadRequest",
                 rules.kind + " in version \"" + rules.version + "\" cannot be handled as a " +
                     rules.kind + ": strict decoding error: " + all);
}

}  // namespace kopiur::localkube::detail
