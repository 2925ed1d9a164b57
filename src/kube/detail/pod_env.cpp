#include "kube/detail/pod_env.hpp"

namespace kopiur::kube::detail {
namespace {

using nlohmann::json;

Error config_error(std::string message) {
  return Error{"CreateContainerConfigError", 0, "CreateContainerConfigError", std::move(message)};
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Kubernetes accepts env names of printable ASCII without '='; envFrom skips keys that are not.
bool valid_env_name(const std::string& name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (c < 32 || c > 126 || c == '=') return false;
  }
  return true;
}

void put(EnvList& out, const std::string& name, std::string value) {
  for (auto& [existing, old] : out) {
    if (existing == name) {
      old = std::move(value);
      return;
    }
  }
  out.emplace_back(name, std::move(value));
}

// Reads `metadata.labels['key']`-style field paths and the simple ones the downward API offers.
Result<std::string> field_value(const json& pod, const std::string& path) {
  const auto& meta = pod.value("metadata", json::object());
  const auto bracket = [&](const char* prefix, const char* map) -> std::optional<std::string> {
    const std::string p = prefix;
    if (path.compare(0, p.size(), p) != 0 || path.size() < p.size() + 3) return std::nullopt;
    auto key = path.substr(p.size() + 1, path.size() - p.size() - 2);  // inside [...]
    if (key.size() >= 2 && (key.front() == '\'' || key.front() == '"')) {
      key = key.substr(1, key.size() - 2);
    }
    const auto values = meta.value(map, json::object());
    return values.is_object() ? values.value(key, std::string{}) : std::string{};
  };
  if (path == "metadata.name") return meta.value("name", "");
  if (path == "metadata.namespace") return meta.value("namespace", "");
  if (path == "metadata.uid") return meta.value("uid", "");
  if (auto v = bracket("metadata.labels", "labels")) return *v;
  if (auto v = bracket("metadata.annotations", "annotations")) return *v;
  const auto& spec = pod.value("spec", json::object());
  if (path == "spec.nodeName") return spec.value("nodeName", "");
  if (path == "spec.serviceAccountName") return spec.value("serviceAccountName", "default");
  if (path == "status.hostIP" || path == "status.podIP" || path == "status.hostIPs" ||
      path == "status.podIPs") {
    return std::string("127.0.0.1");
  }
  return config_error("unsupported fieldRef fieldPath \"" + path + "\"");
}

Result<std::string> key_value(const std::string& ns, const json& ref, const std::string& kind,
                              const ConfigLookup& lookup) {
  const auto name = ref.value("name", "");
  const auto key = ref.value("key", "");
  const bool optional = ref.value("optional", false);
  const auto data = lookup(kind, name);
  if (!data) {
    if (optional) return config_error("");
    return config_error(lower(kind) + " \"" + name + "\" not found");
  }
  const auto it = data->find(key);
  if (it == data->end()) {
    if (optional) return config_error("");
    return config_error("couldn't find key " + key + " in " + kind + " " + ns + "/" + name);
  }
  return it->second;
}

}  // namespace

std::string expand_references(const std::string& text,
                              const std::map<std::string, std::string>& env) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] == '(') {
      const auto close = text.find(')', i + 2);
      if (close != std::string::npos) {
        const auto name = text.substr(i + 2, close - i - 2);
        if (const auto it = env.find(name); it != env.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out += text[i];
  }
  return out;
}

Result<EnvList> container_env(const json& pod, const json& container, const ConfigLookup& lookup) {
  const auto ns = pod.value("metadata", json::object()).value("namespace", "");
  EnvList out;
  for (const auto& source : container.value("envFrom", json::array())) {
    if (!source.is_object()) continue;
    const auto prefix = source.value("prefix", "");
    for (const char* kind : {"Secret", "ConfigMap"}) {
      const auto ref_key =
          std::string(kind == std::string("Secret") ? "secretRef" : "configMapRef");
      if (!source.contains(ref_key) || !source[ref_key].is_object()) continue;
      const auto& ref = source[ref_key];
      const auto name = ref.value("name", "");
      const auto data = lookup(kind, name);
      if (!data) {
        if (ref.value("optional", false)) continue;
        return config_error(lower(kind) + " \"" + name + "\" not found");
      }
      for (const auto& [key, value] : *data) {
        if (valid_env_name(prefix + key)) put(out, prefix + key, value);
      }
    }
  }
  std::map<std::string, std::string> defined(out.begin(), out.end());
  for (const auto& entry : container.value("env", json::array())) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) continue;
    const auto name = entry["name"].get<std::string>();
    std::string value;
    if (entry.contains("valueFrom") && entry["valueFrom"].is_object()) {
      const auto& from = entry["valueFrom"];
      Result<std::string> resolved = config_error("env " + name + ": valueFrom names no source");
      if (from.contains("secretKeyRef")) {
        resolved = key_value(ns, from["secretKeyRef"], "Secret", lookup);
      } else if (from.contains("configMapKeyRef")) {
        resolved = key_value(ns, from["configMapKeyRef"], "ConfigMap", lookup);
      } else if (from.contains("fieldRef")) {
        resolved = field_value(pod, from["fieldRef"].value("fieldPath", ""));
      } else if (from.contains("resourceFieldRef")) {
        resolved = std::string("0");  // no resource accounting on a local machine
      }
      if (!resolved.ok()) {
        if (resolved.error().message.empty()) continue;  // an optional reference that is absent
        return resolved.error();
      }
      value = *resolved;
    } else {
      value = expand_references(entry.value("value", ""), defined);
    }
    defined[name] = value;
    put(out, name, std::move(value));
  }
  return out;
}

}  // namespace kopiur::kube::detail
