// Client: turns each call into an HTTP request on the curl transport (kube/detail/curl_http.hpp)
// and maps answers to Results.
#include "kopiur/kube/client.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

#include "kopiur/api/kinds.hpp"
#include "kopiur/api/meta.hpp"

#include "kube/detail/curl_http.hpp"
#include "kube/detail/line_splitter.hpp"
#include "kube/detail/watch_line.hpp"

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

// server_base(): the server URL without a trailing '/' (a path prefix, as behind a proxy that
// serves several clusters, is kept), or an Error when it is not http(s).
Result<std::string> server_base(const Config& config) {
  std::string base = config.server;
  const bool http = base.rfind("http://", 0) == 0 || base.rfind("https://", 0) == 0;
  if (!http || base.find("://") + 3 >= base.size()) {
    return Error{"connect", 0, "",
                 "server \"" + config.server + "\" is not an http:// or https:// URL"};
  }
  while (base.back() == '/') base.pop_back();
  return base;
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

// request_for(): the transport request for method + path (with query) under the Config: its
// deadlines, TLS material and headers. The token file is read here, on every request, so a
// rotated service-account token is picked up.
Result<detail::HttpRequest> request_for(const Config& config, const std::string& method,
                                        const std::string& path, const std::string& step) {
  auto base = server_base(config);
  if (!base.ok()) return Error{step + ": connect", 0, "", base.error().message};
  if (!config.ca_pem.empty() &&
      config.ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Error{step + ": load CA", 0, "",
                 "the certificate authority data holds no PEM certificate"};
  }
  auto token = bearer_token(config);
  if (!token.ok()) return token.error();
  detail::HttpRequest request;
  request.method = method;
  request.url = *base + path;
  request.headers = {"Accept: application/json", "User-Agent: kopiur"};
  if (!token->empty()) request.headers.push_back("Authorization: Bearer " + *token);
  request.tls = {config.ca_pem, config.insecure_skip_tls_verify, config.client_cert_pem,
                 config.client_key_pem};
  request.connect_timeout = config.connect_timeout;
  request.total_timeout = config.timeout;
  return request;
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

Client::Client(Config config)
    : config_(std::move(config)), pool_(std::make_shared<detail::CurlPool>()) {}

Result<json> Client::request(const std::string& method, const std::string& path, const json& body,
                             const std::string& content_type) {
  // Text from outside (a pod's log tail in a status, say) may hold invalid UTF-8: it is sent with
  // U+FFFD in its place, as the API server's own encoder does, never an exception out of dump().
  const std::string text =
      body.is_null() ? std::string() : body.dump(-1, ' ', false, json::error_handler_t::replace);
  return request_text(method, path, text, content_type);
}

Result<json> Client::request_text(const std::string& method, const std::string& path,
                                  const std::string& body, const std::string& content_type) {
  const std::string step = method + " " + path;
  auto request = request_for(config_, method, path, step);
  if (!request.ok()) return request.error();
  request->accept_gzip = true;  // large lists travel compressed; curl decodes
  if (!body.empty()) {
    request->body = body;
    request->headers.push_back("Content-Type: " + content_type);
  }
  const auto started = std::chrono::steady_clock::now();
  auto res = pool_->perform(*request);
  if (config_.on_request) {
    config_.on_request(method, res.ok() ? res->status : 0,
                       std::chrono::steady_clock::now() - started);
  }
  if (!res.ok()) return Error{step, 0, "", res.error().message};
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

namespace {

std::string watch_query(const WatchOptions& options) {
  std::string query = "?watch=true&timeoutSeconds=" + std::to_string(options.timeout_seconds);
  if (options.bookmarks) query += "&allowWatchBookmarks=true";
  if (!options.resource_version.empty()) {
    query += "&resourceVersion=" + url_encode(options.resource_version);
  }
  if (!options.label_selector.empty())
    query += "&labelSelector=" + url_encode(options.label_selector);
  if (!options.field_selector.empty())
    query += "&fieldSelector=" + url_encode(options.field_selector);
  return query;
}

constexpr std::size_t kMaxErrorBody = 64 * 1024;

}  // namespace

Status Client::watch(const ResourceId& r, const std::string& ns, const WatchOptions& options,
                     const std::function<bool(WatchEvent&&)>& on_event, CancelToken* cancel) {
  const std::string step = "watch " + r.path(ns);
  auto request = request_for(config_, "GET", r.path(ns) + watch_query(options), step);
  if (!request.ok()) return request.error();
  request->total_timeout = std::chrono::milliseconds(0);  // the idle deadline guards a watch
  auto stream = detail::CurlStream::create();
  // The interrupter shares the stream, so a cancel() racing with the end of the watch never
  // touches a destroyed handle.
  if (cancel != nullptr && !cancel->set_interrupter([stream] { stream->cancel(); })) return {};

  detail::LineSplitter lines;
  std::string error_body;
  const auto on_line = [&](std::string_view line) {
    auto event = detail::decode_watch_line(line);
    if (!event) return true;  // tolerate garbage lines rather than fail the watch
    return on_event(std::move(*event));
  };
  auto end =
      stream->run(*request, config_.watch_idle_timeout, [&](int status, std::string_view bytes) {
        if (status != 200) {
          if (error_body.size() < kMaxErrorBody) error_body.append(bytes);
          return true;
        }
        return lines.feed(bytes, on_line);
      });
  if (cancel != nullptr) (void)cancel->set_interrupter({});
  if (!end.ok()) return Error{step, 0, "", end.error().message};
  if (end->end != detail::CurlStream::End::kComplete) return {};
  if (end->status != 200) return http_error(step, end->status, error_body);
  if (!lines.pending().empty()) (void)on_line(lines.pending());  // a last line without '\n'
  return {};
}

}  // namespace kopiur::kube
