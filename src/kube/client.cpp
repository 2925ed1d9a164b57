// Client: builds one httplib connection per call from the Config, and maps answers to Results.
#include "kopiur/kube/client.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kopiur/api/kinds.hpp"
#include "kopiur/api/meta.hpp"

namespace kopiur::kube {
namespace {

using nlohmann::json;

std::string url_encode(const std::string& text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct Endpoint {
  bool tls = false;
  std::string host;
  int port = 0;
};

std::optional<Endpoint> parse_server(const std::string& server) {
  Endpoint e;
  std::string rest;
  if (server.rfind("https://", 0) == 0) {
    e.tls = true;
    rest = server.substr(8);
  } else if (server.rfind("http://", 0) == 0) {
    rest = server.substr(7);
  } else {
    return std::nullopt;
  }
  rest = rest.substr(0, rest.find('/'));
  e.port = e.tls ? 443 : 80;
  std::string host = rest;
  if (!rest.empty() && rest[0] == '[') {  // [ipv6]:port
    const auto close = rest.find(']');
    if (close == std::string::npos) return std::nullopt;
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') {
      e.port = std::atoi(rest.c_str() + close + 2);
    }
  } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    e.port = std::atoi(rest.c_str() + colon + 1);
  }
  if (host.empty() || e.port <= 0) return std::nullopt;
  e.host = host;
  return e;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioDeleter> bio_of(const std::string& pem) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// make_transport(): a connection configured from the Config, or an Error naming what is wrong.
Result<std::unique_ptr<httplib::ClientImpl>> make_transport(const Config& config,
                                                            std::chrono::seconds read_timeout) {
  const auto endpoint = parse_server(config.server);
  if (!endpoint) {
    return Error{"connect", 0, "",
                 "server \"" + config.server + "\" is not an http:// or https:// URL"};
  }
  std::unique_ptr<httplib::ClientImpl> transport;
  if (endpoint->tls) {
    std::unique_ptr<httplib::SSLClient> ssl;
    if (!config.client_cert_pem.empty()) {
      std::unique_ptr<X509, X509Deleter> cert(
          PEM_read_bio_X509(bio_of(config.client_cert_pem).get(), nullptr, nullptr, nullptr));
      std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
          PEM_read_bio_PrivateKey(bio_of(config.client_key_pem).get(), nullptr, nullptr, nullptr));
      if (!cert || !key) {
        return Error{"load client certificate", 0, "",
                     "the client certificate or key is not valid PEM"};
      }
      ssl = std::make_unique<httplib::SSLClient>(endpoint->host, endpoint->port, cert.get(),
                                                 key.get());
    } else {
      ssl = std::make_unique<httplib::SSLClient>(endpoint->host, endpoint->port);
    }
    if (!ssl->is_valid()) {
      return Error{"set up TLS", 0, "", "the client certificate does not match its key"};
    }
    ssl->enable_server_certificate_verification(!config.insecure_skip_tls_verify);
    if (!config.ca_pem.empty()) {
      X509_STORE* store = X509_STORE_new();  // owned by the SSL context once set
      auto bio = bio_of(config.ca_pem);
      int loaded = 0;
      while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(store, cert);
        X509_free(cert);
        ++loaded;
      }
      if (loaded == 0) {
        X509_STORE_free(store);
        return Error{"load CA", 0, "", "the certificate authority data holds no PEM certificate"};
      }
      ssl->set_ca_cert_store(store);
    }
    transport = std::move(ssl);
  } else {
    transport = std::make_unique<httplib::ClientImpl>(endpoint->host, endpoint->port);
  }
  transport->set_connection_timeout(config.timeout);
  transport->set_read_timeout(read_timeout);
  transport->set_write_timeout(config.timeout);
  return transport;
}

Result<std::string> bearer_token(const Config& config) {
  if (!config.token_file.empty()) {
    std::ifstream in(config.token_file);
    if (!in) return Error{"read token file " + config.token_file, 0, "", "cannot open the file"};
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto token = buffer.str();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
      token.pop_back();
    }
    return token;
  }
  return config.token;
}

Result<httplib::Headers> headers_for(const Config& config) {
  httplib::Headers headers = {{"Accept", "application/json"}, {"User-Agent", "kopiur"}};
  auto token = bearer_token(config);
  if (!token.ok()) return token.error();
  if (!token->empty()) headers.emplace("Authorization", "Bearer " + *token);
  return headers;
}

Error http_error(const std::string& step, int status, const std::string& body) {
  const auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.value("kind", "") == "Status") {
    return Error{step, status, parsed.value("reason", ""), parsed.value("message", "")};
  }
  return Error{step, status, "", body.substr(0, 300)};
}

const char* content_type_of(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategic:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

std::string name_of(const json& object) {
  if (!object.is_object() || !object.contains("metadata")) return "";
  return object["metadata"].value("name", "");
}

}  // namespace

std::string ResourceId::path(const std::string& ns, const std::string& name,
                             const std::string& subresource) const {
  std::string out = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) out += "/namespaces/" + url_encode(ns);
  out += "/" + plural;
  if (!name.empty()) out += "/" + url_encode(name);
  if (!subresource.empty()) out += "/" + subresource;
  return out;
}

ResourceId resource_for(const std::string& kopiur_kind) {
  const auto* info = api::find_kind(kopiur_kind);
  if (info == nullptr) return {};
  return {std::string(api::kGroup), std::string(api::kVersion), info->plural, info->namespaced()};
}

void CancelToken::cancel() {
  std::function<void()> interrupter;
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    interrupter = interrupter_;
  }
  if (interrupter) interrupter();
}

bool CancelToken::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

bool CancelToken::set_interrupter(std::function<void()> interrupter) {
  std::lock_guard lock(mu_);
  interrupter_ = std::move(interrupter);
  return !cancelled_;
}

Client::Client(Config config) : config_(std::move(config)) {}

Result<json> Client::request(const std::string& method, const std::string& path, const json& body,
                             const std::string& content_type) {
  return request_text(method, path, body.is_null() ? std::string() : body.dump(), content_type);
}

Result<json> Client::request_text(const std::string& method, const std::string& path,
                                  const std::string& body, const std::string& content_type) {
  const std::string step = method + " " + path;
  auto transport = make_transport(config_, config_.timeout);
  if (!transport.ok()) {
    auto error = transport.error();
    error.step = step + ": " + error.step;
    return error;
  }
  auto headers = headers_for(config_);
  if (!headers.ok()) return headers.error();
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = std::move(*headers);
  if (!body.empty()) {
    req.body = body;
    req.headers.emplace("Content-Type", content_type);
  }
  const auto started = std::chrono::steady_clock::now();
  auto res = (*transport)->send(req);
  if (config_.on_request) {
    config_.on_request(method, res ? res->status : 0, std::chrono::steady_clock::now() - started);
  }
  if (!res) return Error{step, 0, "", "no answer: " + httplib::to_string(res.error())};
  if (res->status < 200 || res->status >= 300) return http_error(step, res->status, res->body);
  auto parsed = json::parse(res->body, nullptr, false);
  if (parsed.is_discarded()) return Error{step, res->status, "", "the answer is not JSON"};
  return parsed;
}

Result<json> Client::get(const ResourceId& r, const std::string& ns, const std::string& name) {
  return request("GET", r.path(ns, name), nullptr, "");
}

Result<json> Client::get_status(const ResourceId& r, const std::string& ns,
                                const std::string& name) {
  return request("GET", r.path(ns, name, "status"), nullptr, "");
}

Result<json> Client::list(const ResourceId& r, const std::string& ns, const ListOptions& options) {
  std::string query;
  if (!options.label_selector.empty())
    query += "&labelSelector=" + url_encode(options.label_selector);
  if (!options.field_selector.empty())
    query += "&fieldSelector=" + url_encode(options.field_selector);
  if (!query.empty()) query[0] = '?';
  return request("GET", r.path(ns) + query, nullptr, "");
}

Result<json> Client::create(const ResourceId& r, const std::string& ns, const json& object) {
  return request("POST", r.path(ns), object, "application/json");
}

Result<json> Client::replace(const ResourceId& r, const std::string& ns, const json& object) {
  return request("PUT", r.path(ns, name_of(object)), object, "application/json");
}

Result<json> Client::replace_status(const ResourceId& r, const std::string& ns,
                                    const json& object) {
  return request("PUT", r.path(ns, name_of(object), "status"), object, "application/json");
}

namespace {
std::string patch_query(PatchType type, const PatchOptions& options) {
  std::string query = "?fieldManager=" + url_encode(options.field_manager);
  if (type == PatchType::kApply && options.force) query += "&force=true";
  return query;
}
}  // namespace

Result<json> Client::patch(const ResourceId& r, const std::string& ns, const std::string& name,
                           const json& patch, PatchType type, const PatchOptions& options) {
  return request("PATCH", r.path(ns, name) + patch_query(type, options), patch,
                 content_type_of(type));
}

Result<json> Client::patch_status(const ResourceId& r, const std::string& ns,
                                  const std::string& name, const json& patch, PatchType type,
                                  const PatchOptions& options) {
  return request("PATCH", r.path(ns, name, "status") + patch_query(type, options), patch,
                 content_type_of(type));
}

Result<json> Client::apply(const ResourceId& r, const std::string& ns, const json& object,
                           const PatchOptions& options) {
  // JSON is YAML, so the apply body can be sent as JSON text.
  return patch(r, ns, name_of(object), object, PatchType::kApply, options);
}

Result<json> Client::remove(const ResourceId& r, const std::string& ns, const std::string& name) {
  return request("DELETE", r.path(ns, name), nullptr, "");
}

Status Client::watch(const ResourceId& r, const std::string& ns, const WatchOptions& options,
                     const std::function<bool(WatchEvent&&)>& on_event, CancelToken* cancel) {
  std::string query = "?watch=true&timeoutSeconds=" + std::to_string(options.timeout_seconds);
  if (options.bookmarks) query += "&allowWatchBookmarks=true";
  if (!options.resource_version.empty()) {
    query += "&resourceVersion=" + url_encode(options.resource_version);
  }
  if (!options.label_selector.empty())
    query += "&labelSelector=" + url_encode(options.label_selector);
  if (!options.field_selector.empty())
    query += "&fieldSelector=" + url_encode(options.field_selector);
  const std::string step = "watch " + r.path(ns);
  auto transport = make_transport(config_, std::chrono::seconds(options.timeout_seconds + 30));
  if (!transport.ok()) return transport.error();
  auto headers = headers_for(config_);
  if (!headers.ok()) return headers.error();
  auto* raw = transport->get();
  if (cancel != nullptr && !cancel->set_interrupter([raw] { raw->stop(); })) return {};

  int status = 0;
  std::string buffer;
  std::string error_body;
  bool stopped_by_callback = false;
  auto res = raw->Get(
      r.path(ns) + query, *headers,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, std::size_t size) {
        if (status != 200) {
          error_body.append(data, size);
          return true;
        }
        buffer.append(data, size);
        for (auto newline = buffer.find('\n'); newline != std::string::npos;
             newline = buffer.find('\n')) {
          const auto line = buffer.substr(0, newline);
          buffer.erase(0, newline + 1);
          if (line.empty()) continue;
          auto parsed = json::parse(line, nullptr, false);
          if (!parsed.is_object()) continue;  // tolerate garbage lines rather than fail the watch
          WatchEvent event;
          const auto type = parsed.value("type", "");
          if (type == "ADDED") {
            event.type = WatchEvent::Type::kAdded;
          } else if (type == "MODIFIED") {
            event.type = WatchEvent::Type::kModified;
          } else if (type == "DELETED") {
            event.type = WatchEvent::Type::kDeleted;
          } else if (type == "BOOKMARK") {
            event.type = WatchEvent::Type::kBookmark;
          } else {
            event.type = WatchEvent::Type::kError;
          }
          event.object = std::move(parsed["object"]);
          if (!on_event(std::move(event))) {
            stopped_by_callback = true;
            return false;
          }
        }
        return true;
      });
  if (cancel != nullptr) (void)cancel->set_interrupter({});
  if (stopped_by_callback || (cancel != nullptr && cancel->cancelled())) return {};
  if (status != 0 && status != 200) return http_error(step, status, error_body);
  if (!res) return Error{step, 0, "", "stream ended: " + httplib::to_string(res.error())};
  return {};
}

}  // namespace kopiur::kube
