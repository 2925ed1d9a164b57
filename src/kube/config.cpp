#include "kopiur/kube/config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kube/detail/base64.hpp"
#include "kube/detail/yaml_json.hpp"

namespace kopiur::kube {
namespace {

using detail::base64_decode;
using nlohmann::json;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

const json* find_named(const json& doc, const char* list, const std::string& name) {
  const auto it = doc.find(list);
  if (it == doc.end() || !it->is_array()) return nullptr;
  for (const auto& entry : *it) {
    if (entry.is_object() && entry.value("name", "") == name) return &entry;
  }
  return nullptr;
}

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).string();
}

// Reads "<field>-data" (base64) or "<field>" (a file path) into pem.
Status load_pem(const json& section, const std::string& field, const std::string& base_dir,
                const std::string& where, std::string& pem) {
  const auto data = section.value(field + "-data", "");
  if (!data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) return Error{where, 0, "", field + "-data is not valid base64"};
    pem = std::move(*decoded);
    return {};
  }
  const auto file = section.value(field, "");
  if (file.empty()) return {};
  auto content = read_file(resolve(base_dir, file));
  if (!content) return Error{where, 0, "", "cannot read " + field + " file " + file};
  pem = std::move(*content);
  return {};
}

}  // namespace

Result<Config> load_kubeconfig_text(const std::string& yaml, const std::string& base_dir,
                                    const std::string& context) {
  const std::string where = "kubeconfig" + (base_dir.empty() ? "" : " in " + base_dir);
  std::string parse_error;
  const auto doc = detail::parse_yaml(yaml, &parse_error);
  if (!doc || !doc->is_object()) {
    return Error{where, 0, "", "not a YAML mapping: " + parse_error};
  }
  const auto context_name = context.empty() ? doc->value("current-context", "") : context;
  if (context_name.empty()) return Error{where, 0, "", "no current-context set and none given"};
  const json* ctx = find_named(*doc, "contexts", context_name);
  if (ctx == nullptr || !ctx->contains("context")) {
    return Error{where, 0, "", "context \"" + context_name + "\" not found"};
  }
  const auto& c = (*ctx)["context"];
  Config config;
  config.namespace_ = c.value("namespace", "default");
  const auto cluster_name = c.value("cluster", "");
  const json* cluster = find_named(*doc, "clusters", cluster_name);
  if (cluster == nullptr || !cluster->contains("cluster")) {
    return Error{
        where, 0, "",
        "cluster \"" + cluster_name + "\" (of context \"" + context_name + "\") not found"};
  }
  const auto& cl = (*cluster)["cluster"];
  config.server = cl.value("server", "");
  if (config.server.empty()) {
    return Error{where, 0, "", "cluster \"" + cluster_name + "\" has no server"};
  }
  config.insecure_skip_tls_verify = cl.value("insecure-skip-tls-verify", false);
  if (auto s = load_pem(cl, "certificate-authority", base_dir, where, config.ca_pem); !s.ok()) {
    return s.error();
  }
  const auto user_name = c.value("user", "");
  if (!user_name.empty()) {
    const json* user = find_named(*doc, "users", user_name);
    if (user == nullptr) return Error{where, 0, "", "user \"" + user_name + "\" not found"};
    const auto& u = user->value("user", json::object());
    if (auto s = load_pem(u, "client-certificate", base_dir, where, config.client_cert_pem);
        !s.ok()) {
      return s.error();
    }
    if (auto s = load_pem(u, "client-key", base_dir, where, config.client_key_pem); !s.ok()) {
      return s.error();
    }
    config.token = u.value("token", "");
    const auto token_file = u.value("tokenFile", "");
    if (!token_file.empty()) config.token_file = resolve(base_dir, token_file);
    if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
      return Error{where, 0, "",
                   "user \"" + user_name + "\" needs both a client certificate and a client key"};
    }
  }
  return config;
}

Result<Config> load_kubeconfig(const std::string& path, const std::string& context) {
  auto text = read_file(path);
  if (!text) return Error{"read kubeconfig " + path, 0, "", "cannot open the file"};
  auto config =
      load_kubeconfig_text(*text, std::filesystem::path(path).parent_path().string(), context);
  if (!config.ok()) {
    auto error = config.error();
    error.step = "kubeconfig " + path;
    return error;
  }
  return config;
}

Result<Config> in_cluster_config(const std::string& service_account_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0') {
    return Error{"in-cluster config", 0, "",
                 "KUBERNETES_SERVICE_HOST/PORT are not set (not running in a pod?)"};
  }
  Config config;
  const std::string h = host;
  config.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  config.token_file = service_account_dir + "/token";
  if (!read_file(config.token_file)) {
    return Error{"in-cluster config", 0, "", "cannot read " + config.token_file};
  }
  auto ca = read_file(service_account_dir + "/ca.crt");
  if (!ca)
    return Error{"in-cluster config", 0, "", "cannot read " + service_account_dir + "/ca.crt"};
  config.ca_pem = std::move(*ca);
  if (auto ns = read_file(service_account_dir + "/namespace")) {
    while (!ns->empty() && (ns->back() == '\n' || ns->back() == ' ')) ns->pop_back();
    if (!ns->empty()) config.namespace_ = *ns;
  }
  return config;
}

Result<Config> default_config() {
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    std::string first = env;
    first = first.substr(0, first.find(':'));
    return load_kubeconfig(first);
  }
  if (const char* home = std::getenv("HOME"); home != nullptr) {
    const auto path = std::string(home) + "/.kube/config";
    if (std::filesystem::exists(path)) return load_kubeconfig(path);
  }
  auto in_cluster = in_cluster_config();
  if (!in_cluster.ok()) {
    return Error{"find Kubernetes config", 0, "",
                 "no $KUBECONFIG, no ~/.kube/config, and " + in_cluster.error().message};
  }
  return in_cluster;
}

}  // namespace kopiur::kube
