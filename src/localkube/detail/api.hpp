// What every handler of the local API server shares: the request as the handlers read it (path
// segments, decoded query parameters), the resource a URL names (Target), the state they serve
// (Context) and the JSON and Kubernetes Status answers.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/localkube/server.hpp"
#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/http/server.hpp"

#include "localkube/detail/kube_types.hpp"
#include "localkube/detail/local_store.hpp"

namespace kopiur::localkube::detail {

namespace http = telemetry::http;
using nlohmann::json;

class LocalKubelet;
class StreamPump;

// An HTTP request as the API handlers read it. HEAD is served as GET (the server sends no body).
class ApiRequest {
 public:
  explicit ApiRequest(const http::Request& request);

  [[nodiscard]] const std::string& method() const { return method_; }
  [[nodiscard]] const std::string& path() const { return request_.path; }
  [[nodiscard]] const std::vector<std::string>& segments() const { return segments_; }
  [[nodiscard]] const std::string& body() const { return request_.body; }
  [[nodiscard]] std::string header(std::string_view name) const { return request_.header(name); }
  [[nodiscard]] bool has_param(const std::string& name) const;
  // The first value of a query parameter (percent- and '+'-decoded), or empty.
  [[nodiscard]] std::string param(const std::string& name) const;
  // Whether the client asked for kubectl's table form (Accept: ...;as=Table).
  [[nodiscard]] bool wants_table() const;

 private:
  const http::Request& request_;
  std::string method_;
  std::vector<std::string> segments_;
  std::multimap<std::string, std::string> params_;
};

// The resource a URL names: its type, namespace, name and subresource ("status", "log").
// `rt` is the type objects are stored as, `served` the one the URL names: they differ only for
// events.k8s.io/v1 Events, kept in the core/v1 Event store (event_views.hpp).
struct Target {
  ResourceType rt;
  ResourceType served;
  std::string ns;
  std::string name;
  std::string sub;
};

// The state handlers serve from. `kubelet` is null unless the server runs workloads.
struct Context {
  const LocalApiServer::Options& options;
  LocalStore& store;
  StreamPump& streams;
  LocalKubelet* kubelet = nullptr;
  int port = 0;
};

std::vector<std::string> split_path(const std::string& path);

Error api_err(int code, std::string reason, std::string message);
Error not_found();  // "the server could not find the requested resource"
// A Kubernetes Status object for an error (what kubectl prints).
json status_body(const Error& error);

http::Response json_response(int code, const json& body);
http::Response error_response(const Error& error);
// The answer to a write or get: the object as t.served shows it (or its table row), else the
// error's Status.
// `warnings` go out as `Warning: 299 - "<text>"` headers, which kubectl prints.
http::Response reply(const Context& ctx, const ApiRequest& req, const Target& t,
                     const Result<json>& result, int code,
                     const std::vector<std::string>& warnings = {});
// An object between its stored form and the form the URL's API serves.
json to_served(const Target& t, json stored);
// Whether to_served() changes objects of `t` (the served type is not the stored one).
bool served_converted(const Target& t);
json to_stored(const Target& t, json served);

}  // namespace kopiur::localkube::detail
