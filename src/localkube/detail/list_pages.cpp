#include "localkube/detail/list_pages.hpp"

#include <cstdlib>
#include <utility>

#include "kube/detail/base64.hpp"

namespace kopiur::localkube::detail {
namespace {

// The key an object has within a list: "name", or "namespace/name" across namespaces. Compared
// as (namespace, name) pairs, the order the store lists them in.
std::pair<std::string, std::string> list_position(const json& object, bool all_namespaces) {
  const auto& meta = object["metadata"];
  return {all_namespaces ? meta.value("namespace", "") : "", meta.value("name", "")};
}

std::string position_key(const std::pair<std::string, std::string>& at, bool all_namespaces) {
  return all_namespaces ? at.first + "/" + at.second : at.second;
}

std::pair<std::string, std::string> parse_position(std::string key, bool all_namespaces) {
  if (!key.empty() && key.back() == '\0') key.pop_back();
  if (!all_namespaces) return {"", key};
  const auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

Result<std::size_t> parse_limit(const ApiRequest& req) {
  const auto text = req.param("limit");
  if (text.empty()) return std::size_t{0};
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || value < 0) {
    return api_err(400, "BadRequest", "limit: Invalid value: \"" + text + "\": must be >= 0");
  }
  return static_cast<std::size_t>(value);
}

}  // namespace

http::Response continue_expired_response(const ListPage& page) {
  auto body = status_body(api_err(
      410, "Expired",
      "The provided continue parameter is too old to display a consistent list result. You can "
      "start a new list without the continue parameter, or use the continue token in this "
      "response to retrieve the remainder of the results. Continuing with the provided token "
      "results in an inconsistent list - objects that were created, modified, or deleted between "
      "the time the first chunk was returned and now may show up in the list."));
  body["metadata"] = {{"continue", page.expired_next}};
  return json_response(410, body);
}

std::string encode_continue(std::int64_t rv, const std::string& start) {
  auto text = kube::detail::base64_encode(
      json{{"v", "meta.k8s.io/v1"}, {"rv", rv}, {"start", start}}.dump());
  for (auto& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

std::optional<std::pair<std::int64_t, std::string>> decode_continue(const std::string& token) {
  std::string text = token;
  for (auto& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  const auto raw = kube::detail::base64_decode(text);
  if (!raw) return std::nullopt;
  const auto parsed = json::parse(*raw, nullptr, false);
  if (!parsed.is_object() || parsed.find("v") == parsed.end() ||
      *parsed.find("v") != "meta.k8s.io/v1" || !parsed.contains("rv") ||
      !parsed["rv"].is_number_integer() || !parsed.contains("start") ||
      !parsed["start"].is_string()) {
    return std::nullopt;
  }
  return std::pair{parsed["rv"].get<std::int64_t>(), parsed["start"].get<std::string>()};
}

Result<ListPage> list_page(const LocalStore& store, const Target& t, const ApiRequest& req,
                           const std::function<bool(const json&)>& matches, bool filtered) {
  const auto limit = parse_limit(req);
  if (!limit.ok()) return limit.error();
  const bool all_namespaces = t.rt.namespaced && t.ns.empty();
  std::optional<std::pair<std::string, std::string>> after;
  std::optional<std::int64_t> token_rv;
  if (const auto token = req.param("continue"); !token.empty()) {
    const auto decoded = decode_continue(token);
    if (!decoded) {
      return api_err(400, "BadRequest", "continue key is not valid: the token is malformed");
    }
    after = parse_position(decoded->second, all_namespaces);
    // -1: carry on at the current version (what an expired token's replacement says).
    if (decoded->first >= 0) {
      if (!store.events_since(t.rt.key(), decoded->first)) {
        ListPage expired;
        expired.expired_next = encode_continue(-1, decoded->second);
        return expired;
      }
      token_rv = decoded->first;
    }
  }
  auto [objects, rv] = store.list_shared(t.rt, t.ns);
  ListPage page;
  page.resource_version = token_rv.value_or(rv);
  std::size_t left = 0;
  for (auto& stored : objects) {
    const json& object = *stored.object;
    if (after && !(list_position(object, all_namespaces) > *after)) continue;
    if (!matches(object)) continue;
    if (*limit != 0 && page.items.size() == *limit) {
      ++left;
      continue;
    }
    page.items.push_back(std::move(stored));
  }
  if (left > 0) {
    page.next = encode_continue(
        page.resource_version,
        position_key(list_position(*page.items.back().object, all_namespaces), all_namespaces) +
            std::string(1, '\0'));
    if (!filtered) page.remaining = static_cast<std::int64_t>(left);
  }
  return page;
}

}  // namespace kopiur::localkube::detail
