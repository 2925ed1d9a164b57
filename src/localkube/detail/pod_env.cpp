#include "localkube/detail/pod_env.hpp"

#include "localkube/detail/json_access.hpp"

namespace kopiur::localkube::detail {
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
  const auto& meta = field::map(pod, "metadata");
  const auto bracket = [&](const char* prefix, const char* map) -> std::optional<std::string> {
    const std::string p = prefix;
    if (path.compare(0, p.size(), p) != 0 || path.size() < p.size() + 3) return std::nullopt;
    auto key = path.substr(p.size() + 1, path.size() - p.size() - 2);  // inside [...]
    if (key.size() >= 2 && (key.front() == '\'' || key.front() == '"')) {
      key = key.substr(1, key.size() - 2);
    }
    return field::text(field::map(meta, map), key.c_str());
  };
  if (path == "metadata.name") return field::text(meta, "name");
  if (path == "metadata.namespace") return field::text(meta, "namespace");
  if (path == "metadata.uid") return field::text(meta, "uid");
  if (auto v = bracket("metadata.labels", "labels")) return *v;
  if (auto v = bracket("metadata.annotations", "annotations")) return *v;
  const auto& spec = field::map(pod, "spec");
  if (path == "spec.nodeName") return field::text(spec, "nodeName");
  if (path == "spec.serviceAccountName") return field::text(spec, "serviceAccountName", "default");
  if (path == "status.hostIP" || path == "status.podIP" || path == "status.hostIPs" ||
      path == "status.podIPs") {
    return std::string("127.0.0.1");
  }
  return config_error("unsupported fieldRef fieldPath \"" + path + "\"");
}

Result<std::string> key_value(const std::string& ns, const json& ref, const std::string& kind,
                              const ConfigLookup& lookup) {
  const auto name = field::text(ref, "name");
  const auto key = field::text(ref, "key");
  const bool optional = field::flag(ref, "optional");
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
  const auto ns = field::text(field::map(pod, "metadata"), "namespace");
  EnvList out;
  for (const auto& source : field::list(container, "envFrom")) {
    if (!source.is_object()) continue;
    const auto prefix = field::text(source, "prefix");
    for (const char* kind : {"Secret", "ConfigMap"}) {
      const auto ref_key =
          std::string(kind == std::string("Secret") ? "secretRef" : "configMapRef");
      const auto& ref = field::map(source, ref_key.c_str());
      if (ref.empty()) continue;
      const auto name = field::text(ref, "name");
      const auto data = lookup(kind, name);
      if (!data) {
        if (field::flag(ref, "optional")) continue;
        return config_error(lower(kind) + " \"" + name + "\" not found");
      }
      for (const auto& [key, value] : *data) {
        if (valid_env_name(prefix + key)) put(out, prefix + key, value);
      }
    }
  }
  std::map<std::string, std::string> defined(out.begin(), out.end());
  for (const auto& entry : field::list(container, "env")) {
    const auto name = field::text(entry, "name");
    if (name.empty()) continue;
    std::string value;
    if (const auto& from = field::map(entry, "valueFrom"); !from.empty()) {
      Result<std::string> resolved = config_error("env " + name + ": valueFrom names no source");
      if (from.contains("secretKeyRef")) {
        resolved = key_value(ns, field::map(from, "secretKeyRef"), "Secret", lookup);
      } else if (from.contains("configMapKeyRef")) {
        resolved = key_value(ns, field::map(from, "configMapKeyRef"), "ConfigMap", lookup);
      } else if (from.contains("fieldRef")) {
        resolved = field_value(pod, field::text(field::map(from, "fieldRef"), "fieldPath"));
      } else if (from.contains("resourceFieldRef")) {
        resolved = std::string("0");  // no resource accounting on a local machine
      }
      if (!resolved.ok()) {
        if (resolved.error().message.empty()) continue;  // an optional reference that is absent
        return resolved.error();
      }
      value = *resolved;
    } else {
      value = expand_references(field::text(entry, "value"), defined);
    }
    defined[name] = value;
    put(out, name, std::move(value));
  }
  return out;
}

}  // namespace kopiur::localkube::detail
