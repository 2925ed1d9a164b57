#include "localkube/detail/config_objects.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "localkube/detail/builtin_objects.hpp"
#include "localkube/detail/local_store.hpp"
#include "localkube/detail/validation.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;

// Collects every problem of one object, as the API server lists all its causes.
class Problems {
 public:
  void add(std::string path, std::string detail) {
    items_.push_back(std::move(path) + ": " + std::move(detail));
  }
  [[nodiscard]] Status status(const std::string& kind, const json& object) const {
    if (items_.empty()) return {};
    const auto name = object.value("metadata", json::object()).value("name", "");
    return invalid_error(kind, name, items_);
  }

 private:
  std::vector<std::string> items_;
};

const json& member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

bool string_list(const json& v) {
  if (!v.is_array()) return false;
  for (const auto& e : v) {
    if (!e.is_string()) return false;
  }
  return true;
}

bool string_map(const json& v) {
  if (!v.is_object()) return false;
  for (const auto& [k, e] : v.items()) {
    if (!e.is_string()) return false;
  }
  return true;
}

void port_in_range(const json& v, const std::string& path, Problems& p, bool required) {
  if (v.is_null()) {
    if (required) p.add(path, "Required value");
    return;
  }
  if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > 65535) {
    p.add(path, "Invalid value: " + v.dump() + ": must be between 1 and 65535, inclusive");
  }
}

Status deployment(json& d) {
  Problems p;
  json& spec = d["spec"];
  if (!spec.is_object()) {
    p.add("spec", "Required value");
    return p.status("Deployment.apps", d);
  }
  const json& match = member(member(spec, "selector"), "matchLabels");
  const json& labels = member(member(member(spec, "template"), "metadata"), "labels");
  if (!member(spec, "selector").is_object()) {
    p.add("spec.selector", "Required value");
  } else if (!string_map(match) || match.empty()) {
    p.add("spec.selector", "Invalid value: " + member(spec, "selector").dump() +
                               ": empty selector is invalid for deployment");
  } else {
    bool matches = labels.is_object();
    for (const auto& [k, v] : match.items()) {
      matches = matches && labels.contains(k) && labels[k] == v;
    }
    if (!matches) {
      p.add("spec.template.metadata.labels",
            "Invalid value: " + labels.dump() + ": `selector` does not match template `labels`");
    }
  }
  if (const json& r = member(spec, "replicas");
      !r.is_null() && (!r.is_number_integer() || r.get<std::int64_t>() < 0)) {
    p.add("spec.replicas", "Invalid value: " + r.dump() + ": must be greater than or equal to 0");
  }
  if (auto s = p.status("Deployment.apps", d); !s.ok()) return s;
  if (!spec["template"].is_object()) spec["template"] = json::object();
  if (auto s =
          prepare_pod_spec("Deployment.apps", d, spec["template"]["spec"], "spec.template.spec");
      !s.ok()) {
    return s;
  }
  if (!spec.contains("replicas")) spec["replicas"] = 1;
  return {};
}

Status service(json& s) {
  Problems p;
  const json& spec = member(s, "spec");
  const json& ports = member(spec, "ports");
  const std::string type =
      member(spec, "type").is_string() ? spec["type"].get<std::string>() : std::string("ClusterIP");
  if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" &&
      type != "ExternalName") {
    p.add("spec.type", "Unsupported value: \"" + type +
                           "\": supported values: \"ClusterIP\", \"ExternalName\", "
                           "\"LoadBalancer\", \"NodePort\"");
  }
  if (type != "ExternalName" && (!ports.is_array() || ports.empty()))
    p.add("spec.ports", "Required value");
  std::size_t i = 0;
  for (const auto& port : ports.is_array() ? ports : json::array()) {
    const std::string at = "spec.ports[" + std::to_string(i++) + "]";
    port_in_range(member(port, "port"), at + ".port", p, true);
    const json& target = member(port, "targetPort");
    if (target.is_number()) port_in_range(target, at + ".targetPort", p, false);
    const json& protocol = member(port, "protocol");
    if (!protocol.is_null() && protocol != "TCP" && protocol != "UDP" && protocol != "SCTP") {
      p.add(at + ".protocol", "Unsupported value: " + protocol.dump() +
                                  ": supported values: \"SCTP\", \"TCP\", \"UDP\"");
    }
    if (ports.size() > 1 && !member(port, "name").is_string())
      p.add(at + ".name", "Required value");
  }
  if (const json& sel = member(spec, "selector"); !sel.is_null() && !string_map(sel)) {
    p.add("spec.selector", "Invalid value: " + sel.dump() + ": must be a map of strings");
  }
  return p.status("Service", s);
}

void rules(const json& object, Problems& p) {
  std::size_t i = 0;
  for (const auto& rule : member(object, "rules").is_array() ? object["rules"] : json::array()) {
    const std::string at = "rules[" + std::to_string(i++) + "]";
    if (!string_list(member(rule, "verbs")) || rule["verbs"].empty())
      p.add(at + ".verbs", "Required value");
    const bool urls = member(rule, "nonResourceURLs").is_array();
    if (!urls && !string_list(member(rule, "apiGroups"))) {
      p.add(at + ".apiGroups", "Required value: resource rules must supply at least one api group");
    }
    if (!urls && !string_list(member(rule, "resources"))) {
      p.add(at + ".resources", "Required value: resource rules must supply at least one resource");
    }
  }
  if (const json& r = member(object, "rules"); !r.is_null() && !r.is_array()) {
    p.add("rules", "Invalid value: must be a list");
  }
}

void binding(const json& object, bool cluster, Problems& p) {
  const json& ref = member(object, "roleRef");
  if (!ref.is_object()) {
    p.add("roleRef", "Required value");
  } else {
    if (ref.value("apiGroup", "") != "rbac.authorization.k8s.io") {
      p.add("roleRef.apiGroup", "Unsupported value: " + member(ref, "apiGroup").dump() +
                                    ": supported values: \"rbac.authorization.k8s.io\"");
    }
    const std::string kind = ref.value("kind", "");
    if (kind != "ClusterRole" && (cluster || kind != "Role")) {
      p.add("roleRef.kind", std::string("Unsupported value: \"") + kind + "\": supported values: " +
                                (cluster ? "\"ClusterRole\"" : "\"ClusterRole\", \"Role\""));
    }
    if (ref.value("name", "").empty()) p.add("roleRef.name", "Required value");
  }
  std::size_t i = 0;
  for (const auto& s : member(object, "subjects").is_array() ? object["subjects"] : json::array()) {
    const std::string at = "subjects[" + std::to_string(i++) + "]";
    const std::string kind = s.value("kind", "");
    if (kind != "ServiceAccount" && kind != "User" && kind != "Group") {
      p.add(at + ".kind", "Unsupported value: \"" + kind +
                              "\": supported values: \"Group\", \"ServiceAccount\", \"User\"");
    }
    if (s.value("name", "").empty()) p.add(at + ".name", "Required value");
    if (kind == "ServiceAccount" && cluster && s.value("namespace", "").empty()) {
      p.add(at + ".namespace", "Required value");
    }
  }
}

Status webhook_configuration(const json& c) {
  Problems p;
  std::size_t i = 0;
  for (const auto& w : member(c, "webhooks").is_array() ? c["webhooks"] : json::array()) {
    const std::string at = "webhooks[" + std::to_string(i++) + "]";
    const std::string name = w.value("name", "");
    if (std::count(name.begin(), name.end(), '.') < 2) {
      p.add(at + ".name",
            "Invalid value: \"" + name +
                "\": should be a domain with at least three segments separated by dots");
    }
    const json& client = member(w, "clientConfig");
    if (member(client, "url").is_null() == member(client, "service").is_null()) {
      p.add(at + ".clientConfig", "Required value: exactly one of url or service is required");
    }
    const json& versions = member(w, "admissionReviewVersions");
    if (!string_list(versions) || versions.empty()) {
      p.add(at + ".admissionReviewVersions", "Required value: must specify one of v1, v1beta1");
    }
    const json& effects = member(w, "sideEffects");
    if (effects != "None" && effects != "NoneOnDryRun") {
      p.add(at + ".sideEffects", "Unsupported value: " + effects.dump() +
                                     ": supported values: \"None\", \"NoneOnDryRun\"");
    }
    if (const json& f = member(w, "failurePolicy"); !f.is_null() && f != "Fail" && f != "Ignore") {
      p.add(at + ".failurePolicy",
            "Unsupported value: " + f.dump() + ": supported values: \"Fail\", \"Ignore\"");
    }
    if (const json& t = member(w, "timeoutSeconds");
        !t.is_null() && (!t.is_number_integer() || t.get<int>() < 1 || t.get<int>() > 30)) {
      p.add(at + ".timeoutSeconds",
            "Invalid value: " + t.dump() + ": the timeout value must be between 1 and 30 seconds");
    }
  }
  return p.status("ValidatingWebhookConfiguration.admissionregistration.k8s.io", c);
}

}  // namespace

Status prepare_config_object(const ResourceType& rt, json& object) {
  if (rt.group == "apps" && rt.kind == "Deployment") return deployment(object);
  if (rt.group.empty() && rt.kind == "Service") return service(object);
  if (rt.group == "rbac.authorization.k8s.io") {
    Problems p;
    if (rt.kind == "ClusterRole" || rt.kind == "Role") rules(object, p);
    if (rt.kind == "ClusterRoleBinding" || rt.kind == "RoleBinding") {
      binding(object, rt.kind == "ClusterRoleBinding", p);
    }
    return p.status(rt.kind + ".rbac.authorization.k8s.io", object);
  }
  if (rt.group == "admissionregistration.k8s.io" && rt.kind == "ValidatingWebhookConfiguration") {
    return webhook_configuration(object);
  }
  return {};
}

}  // namespace kopiur::localkube::detail
