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
    if (!entry.is_object()) continue;
    const auto entry_name = entry.find("name");
    if (entry_name != entry.end() && entry_name->is_string() && *entry_name == name) return &entry;
  }
  return nullptr;
}

// Typed reads of kubeconfig members. The file is outside input and YAML gives any member any type
// (`server: 5`, `name:` is null), so json::value() (which throws on a mismatch) is never used: the
// first member of the wrong type is kept as `problem` and the load fails naming it.
class Fields {
 public:
  // The string at section[key], `fallback` when absent or null.
  std::string text(const json& section, const std::string& key, const std::string& path,
                   std::string fallback = "") {
    const json* member = find(section, key, path);
    if (member == nullptr) return fallback;
    if (member->is_string()) return member->get<std::string>();
    note(path + "." + key + " must be a string, not " + member->type_name());
    return fallback;
  }
  bool flag(const json& section, const std::string& key, const std::string& path) {
    const json* member = find(section, key, path);
    if (member == nullptr) return false;
    if (member->is_boolean()) return member->get<bool>();
    note(path + "." + key + " must be true or false, not " + member->type_name());
    return false;
  }
  // section[key] when it is a mapping, else an empty one (and a problem unless absent or null).
  const json& mapping(const json& section, const std::string& key, const std::string& path) {
    static const json kNone = json::object();
    const json* member = find(section, key, path);
    if (member == nullptr) return kNone;
    if (member->is_object()) return *member;
    note(path + "." + key + " must be a mapping, not " + member->type_name());
    return kNone;
  }
  [[nodiscard]] const std::string& problem() const { return problem_; }

 private:
  const json* find(const json& section, const std::string& key, const std::string& path) {
    if (!section.is_object()) {
      note(path + " must be a mapping, not " + std::string(section.type_name()));
      return nullptr;
    }
    const auto it = section.find(key);
    return it == section.end() || it->is_null() ? nullptr : &*it;
  }
  void note(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
  }
  std::string problem_;
};

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).string();
}

// Reads "<field>-data" (base64) or "<field>" (a file path) of `section` (at `path`) into pem.
Status load_pem(Fields& fields, const json& section, const std::string& path,
                const std::string& field, const std::string& base_dir, const std::string& where,
                std::string& pem) {
  const auto data = fields.text(section, field + "-data", path);
  if (!data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) return Error{where, 0, "", field + "-data is not valid base64"};
    pem = std::move(*decoded);
    return {};
  }
  const auto file = fields.text(section, field, path);
  if (!fields.problem().empty()) return Error{where, 0, "", fields.problem()};
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
  Fields fields;
  const auto context_name =
      context.empty() ? fields.text(*doc, "current-context", "kubeconfig") : context;
  if (!fields.problem().empty()) return Error{where, 0, "", fields.problem()};
  if (context_name.empty()) return Error{where, 0, "", "no current-context set and none given"};
  const json* ctx = find_named(*doc, "contexts", context_name);
  if (ctx == nullptr || !ctx->contains("context")) {
    return Error{where, 0, "", "context \"" + context_name + "\" not found"};
  }
  const std::string context_path = "contexts[" + context_name + "]";
  const auto& c = fields.mapping(*ctx, "context", context_path);
  const std::string c_path = context_path + ".context";
  Config config;
  config.namespace_ = fields.text(c, "namespace", c_path, "default");
  const auto cluster_name = fields.text(c, "cluster", c_path);
  const auto user_name = fields.text(c, "user", c_path);
  if (!fields.problem().empty()) return Error{where, 0, "", fields.problem()};
  const json* cluster = find_named(*doc, "clusters", cluster_name);
  if (cluster == nullptr || !cluster->contains("cluster")) {
    return Error{
        where, 0, "",
        "cluster \"" + cluster_name + "\" (of context \"" + context_name + "\") not found"};
  }
  const std::string cl_path = "clusters[" + cluster_name + "].cluster";
  const auto& cl = fields.mapping(*cluster, "cluster", "clusters[" + cluster_name + "]");
  config.server = fields.text(cl, "server", cl_path);
  config.insecure_skip_tls_verify = fields.flag(cl, "insecure-skip-tls-verify", cl_path);
  if (!fields.problem().empty()) return Error{where, 0, "", fields.problem()};
  if (config.server.empty()) {
    return Error{where, 0, "", "cluster \"" + cluster_name + "\" has no server"};
  }
  if (auto s =
          load_pem(fields, cl, cl_path, "certificate-authority", base_dir, where, config.ca_pem);
      !s.ok()) {
    return s.error();
  }
  if (!user_name.empty()) {
    const json* user = find_named(*doc, "users", user_name);
    if (user == nullptr) return Error{where, 0, "", "user \"" + user_name + "\" not found"};
    const std::string u_path = "users[" + user_name + "].user";
    const auto& u = fields.mapping(*user, "user", "users[" + user_name + "]");
    if (auto s = load_pem(fields, u, u_path, "client-certificate", base_dir, where,
                          config.client_cert_pem);
        !s.ok()) {
      return s.error();
    }
    if (auto s = load_pem(fields, u, u_path, "client-key", base_dir, where, config.client_key_pem);
        !s.ok()) {
      return s.error();
    }
    config.token = fields.text(u, "token", u_path);
    const auto token_file = fields.text(u, "tokenFile", u_path);
    if (!fields.problem().empty()) return Error{where, 0, "", fields.problem()};
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
