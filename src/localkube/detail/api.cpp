#include "localkube/detail/api.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "localkube/detail/event_views.hpp"
#include "localkube/detail/tables.hpp"

namespace kopiur::localkube::detail {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one query component: %XX escapes and '+' as a space (form encoding, which Go's
// url.Values uses for labelSelector and friends).
std::string decode_component(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() && hex_digit(in[i + 1]) >= 0 &&
               hex_digit(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(in[i + 1]) * 16 + hex_digit(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

std::multimap<std::string, std::string> parse_query(std::string_view query) {
  std::multimap<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    out.emplace(decode_component(part.substr(0, eq)), eq == std::string_view::npos
                                                          ? std::string{}
                                                          : decode_component(part.substr(eq + 1)));
  }
  return out;
}

}  // namespace

ApiRequest::ApiRequest(const http::Request& request)
    : request_(request),
      method_(request.method == "HEAD" ? "GET" : request.method),
      segments_(split_path(request.path)),
      params_(parse_query(request.query)) {}

bool ApiRequest::has_param(const std::string& name) const { return params_.contains(name); }

std::string ApiRequest::param(const std::string& name) const {
  const auto it = params_.find(name);
  return it == params_.end() ? std::string{} : it->second;
}

bool ApiRequest::wants_table() const {
  return header("accept").find("as=Table") != std::string::npos;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::string current;
  for (const char c : path) {
    if (c == '/') {
      if (!current.empty()) out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

Error api_err(int code, std::string reason, std::string message) {
  return api_error(code, std::move(reason), std::move(message));
}

Error not_found() {
  return api_err(404, "NotFound", "the server could not find the requested resource");
}

json status_body(const Error& error) {
  json body = {{"kind", "Status"},         {"apiVersion", "v1"},       {"metadata", json::object()},
               {"status", "Failure"},      {"message", error.message}, {"reason", error.reason},
               {"code", error.http_status}};
  if (error.details) {
    json causes = json::array();
    for (const auto& c : error.details->causes) {
      causes.push_back({{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
    }
    body["details"] = {{"name", error.details->name},
                       {"group", error.details->group},
                       {"kind", error.details->kind},
                       {"causes", causes}};
  }
  return body;
}

http::Response json_response(int code, const json& body) {
  http::Response response;
  response.status = code;
  response.content_type = "application/json";
  response.body = to_text(body);
  return response;
}

http::Response error_response(const Error& error) {
  return json_response(error.http_status, status_body(error));
}

http::Response reply(const Context& ctx, const ApiRequest& req, const Target& t,
                     const Result<json>& result, int code,
                     const std::vector<std::string>& warnings) {
  if (!result.ok()) return error_response(result.error());
  auto response = req.wants_table()
                      ? json_response(200, to_table(t.rt, {*result}, ctx.store.current_rv()))
                      : json_response(code, to_served(t, *result));
  for (const auto& w : warnings) {
    response.headers.emplace("Warning", "299 - " + json(w).dump());
  }
  return response;
}

bool served_converted(const Target& t) { return is_events_v1(t.served); }

json to_served(const Target& t, json stored) {
  return is_events_v1(t.served) ? v1_event_from_core(std::move(stored)) : stored;
}

json to_stored(const Target& t, json served) {
  return is_events_v1(t.served) ? core_event_from_v1(std::move(served)) : served;
}

}  // namespace kopiur::localkube::detail
